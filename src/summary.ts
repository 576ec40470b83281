// The job summary, as pure renderers from what happened to Markdown: one flow, several, a dry run,
// bad input. Service text is escaped here; the runner's I/O (and secret redaction) is elsewhere.
import type { Run, RunRequest } from './flow-service.js';
import type { FlowStory } from './outcome.js';
import type { Settings } from './settings.js';
import { classifyStatus, type Outcome } from './status.js';
import { formatDuration, isoSeconds } from './time.js';
import { inert } from './untrusted.js';

/** What the summary shows of a single-flow step. */
export interface RunStory extends FlowStory {
  settings: Settings;
  dryRunRequest?: RunRequest;
}

const ICON: Record<Outcome, string> = { success: '✅', failure: '❌', partial: '⚠️', pending: '⏳' };

/** Markdown for a step that stopped at its inputs: each bad input, and that nothing was sent. */
export function renderBadInput(problems: string[]): string {
  return [
    '### ❌ No flow run was started: the inputs are not right',
    '',
    ...problems.map((p) => `- ${esc(p)}`),
    '',
    'Nothing was sent to Adobe. Correct the inputs in the workflow file and run it again.',
    '',
  ].join('\n');
}

/** Markdown for the job summary of one flow: a table a person reads at a glance. */
export function renderSummary(story: RunStory): string {
  const { settings, run, wait } = story;
  const status = run?.status ?? (run ? 'scheduled' : undefined);
  const outcome = classifyStatus(status);
  const title = story.dryRunRequest
    ? '🧪 Dry run: no flow run was started'
    : run
      ? `${story.failure ? '❌' : ICON[outcome]} Flow run ${wait?.end === 'timeout' ? 'still running (timed out)' : esc(status ?? '')}`
      : '❌ No flow run was started';
  const rows: Array<[string, string]> = [
    ['Flow', code(story.flowId)],
    ['Run ID', run ? code(run.id) : '—'],
    ['Sandbox', esc(settings.sandboxName)],
    ['Window', `${isoSeconds(settings.windowStart)} → ${isoSeconds(settings.windowEnd)}`],
    ['Start time', isoSeconds(settings.startTime)],
    ['Status', status ? esc(status) : '—'],
  ];
  if (wait) {
    rows.push(['Duration', duration(story)]);
    rows.push(['Records', records(run)]);
    rows.push(['Files', files(run)]);
  }
  const lines = [`### ${title}`, '', '| | |', '| --- | --- |', ...rows.map(([k, v]) => `| ${k} | ${v} |`), ''];
  if (run && run.errors.length > 0) {
    lines.push('**Errors reported by the service**', '');
    for (const e of run.errors) lines.push(`- ${e.code ? `${code(e.code)} ` : ''}${esc(e.message)}`);
    lines.push('');
  }
  if (story.failure) lines.push(`**Why the step failed:** ${esc(story.failure)}`, '');
  if (story.dryRunRequest) {
    lines.push(
      'The request that would be sent:',
      '',
      '```json',
      JSON.stringify(story.dryRunRequest, null, 2),
      '```',
      '',
    );
  }
  return lines.join('\n');
}

/** Markdown for the job summary of several flows: one row per flow, then each one's errors. */
export function renderSummaryOfMany(settings: Settings, stories: FlowStory[]): string {
  const ok = stories.filter((s) => !s.failure && classifyStatus(s.run?.status) === 'success').length;
  const failed = stories.filter((s) => s.failure).length;
  const waited = stories.some((s) => s.wait);
  const icon = failed > 0 ? '❌' : ok === stories.length ? '✅' : '⏳';
  const lines = [
    `### ${icon} ${stories.length} flow runs: ${waited ? `${ok} succeeded, ` : ''}${failed} failed`,
    '',
    `Sandbox ${esc(settings.sandboxName)} · window ${isoSeconds(settings.windowStart)} → ${isoSeconds(settings.windowEnd)} · start ${isoSeconds(settings.startTime)}`,
    '',
    waited ? '| Flow | Run ID | Status | Duration | Records | Files |' : '| Flow | Run ID | Status |',
    waited ? '| --- | --- | --- | --- | --- | --- |' : '| --- | --- | --- |',
  ];
  for (const story of stories) {
    const { run } = story;
    const status = `${story.failure ? '❌ ' : ''}${run ? esc(run.status ?? 'scheduled') : 'not started'}`;
    const cells = [code(story.flowId), run ? code(run.id) : '—', status];
    if (waited) cells.push(story.wait ? duration(story) : '—', records(run), files(run));
    lines.push(`| ${cells.join(' | ')} |`);
  }
  lines.push('');
  for (const story of stories.filter((s) => s.failure || s.warning || (s.run?.errors.length ?? 0) > 0)) {
    lines.push(`**${code(story.flowId)}**`, '');
    if (story.failure) lines.push(`- ${esc(story.failure)}`);
    else if (story.warning) lines.push(`- ${esc(story.warning)}`);
    for (const e of story.run?.errors ?? []) lines.push(`- ${e.code ? `${code(e.code)} ` : ''}${esc(e.message)}`);
    lines.push('');
  }
  return lines.join('\n');
}

function duration(story: FlowStory): string {
  const m = story.run?.metrics;
  const started = m?.durationSummary?.startedAtUTC;
  const completed = m?.durationSummary?.completedAtUTC;
  if (started && completed && completed >= started) return formatDuration(completed - started);
  return `${formatDuration(story.waitedMs ?? 0)} (waited)`;
}

function records(run: Run | undefined): string {
  const r = run?.metrics?.recordSummary;
  const written = sum(r?.createdRecordCount, r?.updatedRecordCount);
  return `${num(r?.inputRecordCount)} in · ${num(written)} written · ${num(r?.failedRecordCount)} failed`;
}

function files(run: Run | undefined): string {
  const f = run?.metrics?.fileSummary;
  return `${num(f?.inputFileCount)} in · ${num(f?.outputFileCount)} written · ${num(f?.failedFileCount)} failed`;
}

function esc(text: string): string {
  return inert(text, 1000)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('|', '&#124;')
    .replaceAll('`', '&#96;')
    .replaceAll('*', '&#42;')
    .replaceAll('_', '&#95;')
    .replaceAll('[', '&#91;');
}

function code(text: string): string {
  return `<code>${esc(text)}</code>`;
}

/** 1,234,567: grouped by hand, because the first toLocaleString loads ICU's data (about 8 MiB). */
export function num(n: number | undefined): string {
  if (n === undefined || n < 0 || !Number.isFinite(n)) return '—';
  return String(Math.round(n)).replace(/\B(?=(\d{3})+$)/g, ',');
}

function sum(...values: Array<number | undefined>): number | undefined {
  const known = values.filter((v): v is number => v !== undefined && v >= 0);
  return known.length === 0 ? undefined : known.reduce((a, b) => a + b, 0);
}
