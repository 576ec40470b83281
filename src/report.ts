// What the user sees: outputs (set as soon as they are known), log lines, annotations and the job
// summary. Text from the service arrives here already inert (see untrusted.ts); secrets are
// redacted once more on the way out.
import * as core from '@actions/core';
import type { Run, RunRequest } from './flow-service.js';
import type { Secrets } from './secrets.js';
import type { Settings } from './settings.js';
import { classifyStatus, type Outcome } from './status.js';
import { formatDuration, isoSeconds } from './time.js';
import { inert } from './untrusted.js';
import type { WaitResult } from './wait.js';

/** What the summary shows; every field optional but the settings. */
export interface RunStory {
  settings: Settings;
  run?: Run;
  wait?: WaitResult;
  waitedMs?: number;
  /** Why the step failed, if it did (already safe to show). */
  failure?: string;
  dryRunRequest?: RunRequest;
}

const ICON: Record<Outcome, string> = { success: '✅', failure: '❌', partial: '⚠️', pending: '⏳' };

export class Report {
  private readonly story: RunStory;

  constructor(
    settings: Settings,
    private readonly secrets: Secrets,
    private readonly startedAt: number,
  ) {
    this.story = { settings };
  }

  /** The run exists: its ID, etag and status are outputs from now on, whatever happens next. */
  created(run: Run): void {
    this.story.run = run;
    core.setOutput('run-id', run.id);
    core.setOutput('etag', run.etag ?? '');
    core.setOutput('status', run.status ?? 'scheduled');
    core.info(
      `Created run ${run.id} of flow ${this.story.settings.flowId} (status: ${inert(run.status ?? 'scheduled', 60)}).`,
    );
  }

  statusChanged(run: Run, previous: string | undefined): void {
    const elapsed = formatDuration(Date.now() - this.startedAt);
    core.info(
      `Run ${run.id}: ${inert(previous ?? 'unknown', 60)} → ${inert(run.status ?? 'unknown', 60)} (after ${elapsed})`,
    );
  }

  /** The wait ended: outputs, then an annotation that says what happened in words a user can act on. */
  waited(result: WaitResult): void {
    const { run } = result;
    const { settings } = this.story;
    this.story.run = run;
    this.story.wait = result;
    this.story.waitedMs = Date.now() - this.startedAt;
    core.setOutput('status', run.status ?? 'scheduled');
    core.setOutput('etag', run.etag ?? '');
    core.setOutput('metrics', JSON.stringify(run.metrics ?? {}));
    const status = inert(run.status ?? 'unknown', 60);
    const goesOn = `The run goes on in Platform (Sources > Dataflows > ${settings.flowId} > Dataflow activity); runs cannot be cancelled through the API.`;
    if (result.end === 'timeout') {
      return this.fail(
        `Run ${run.id} did not finish within ${formatDuration(settings.timeoutMs)} (last status: ${status}). ${goesOn}`,
      );
    }
    if (result.end === 'cancelled') {
      return this.fail(`The job was cancelled while waiting for run ${run.id} (last status: ${status}). ${goesOn}`);
    }
    const outcome = classifyStatus(run.status);
    const errors =
      run.errors.length > 0
        ? `: ${run.errors.map((e) => (e.code ? `${e.code} ${e.message}` : e.message)).join('; ')}`
        : '';
    if (outcome === 'failure') return this.fail(`Run ${run.id} of flow ${settings.flowId} ended ${status}${errors}`);
    if (outcome === 'partial') {
      const message = `Run ${run.id} of flow ${settings.flowId} partially succeeded${errors}`;
      if (settings.failOnPartial) return this.fail(`${message} (failing because 'fail-on-partial' is true)`);
      core.warning(this.secrets.redact(message));
      return;
    }
    core.info(`Run ${run.id} finished: ${status} after ${formatDuration(this.story.waitedMs)}.`);
  }

  /** The step failed: one error annotation, without a stack trace. */
  fail(message: string): void {
    this.story.failure = this.secrets.redact(message);
    core.setFailed(this.story.failure);
  }

  async writeSummary(): Promise<void> {
    if (!process.env.GITHUB_STEP_SUMMARY) return;
    await core.summary.addRaw(this.secrets.redact(renderSummary(this.story)), true).write();
  }
}

/** Markdown for the job summary: a table a person reads at a glance. */
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
    ['Flow', code(settings.flowId)],
    ['Run ID', run ? code(run.id) : '—'],
    ['Sandbox', esc(settings.sandboxName)],
    ['Window', `${isoSeconds(settings.windowStart)} → ${isoSeconds(settings.windowEnd)}`],
    ['Start time', isoSeconds(settings.startTime)],
    ['Status', status ? esc(status) : '—'],
  ];
  if (wait) {
    const m = run?.metrics;
    const started = m?.durationSummary?.startedAtUTC;
    const completed = m?.durationSummary?.completedAtUTC;
    const runDuration = started && completed && completed >= started ? formatDuration(completed - started) : undefined;
    rows.push(['Duration', runDuration ?? `${formatDuration(story.waitedMs ?? 0)} (waited)`]);
    const r = m?.recordSummary;
    const written = sum(r?.createdRecordCount, r?.updatedRecordCount);
    rows.push([
      'Records',
      `${num(r?.inputRecordCount)} in · ${num(written)} written · ${num(r?.failedRecordCount)} failed`,
    ]);
    const f = m?.fileSummary;
    rows.push([
      'Files',
      `${num(f?.inputFileCount)} in · ${num(f?.outputFileCount)} written · ${num(f?.failedFileCount)} failed`,
    ]);
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

function num(n: number | undefined): string {
  return n === undefined || n < 0 ? '—' : n.toLocaleString('en-US');
}

function sum(...values: Array<number | undefined>): number | undefined {
  const known = values.filter((v): v is number => v !== undefined && v >= 0);
  return known.length === 0 ? undefined : known.reduce((a, b) => a + b, 0);
}
