// The job summary, as pure renderers from what happened to Markdown: one flow, several, a dry run,
// bad input. Service text is escaped here; the runner's I/O (and secret redaction) is elsewhere.
import type { Run, ServiceErrorEntry } from './answers.js';
import { adviceOf, failedRecordsOf, type Advice } from './diagnosis.js';
import type { RunRequest } from './flow-service.js';
import { originText } from './history.js';
import { runUrl, storyUrl, windowRuns, windowsLeft, windowText, type FlowStory, type LinkContext } from './outcome.js';
import { renderRejected } from './rejected-summary.js';
import { classifyStatus, type Outcome } from './status.js';
import { address, capital, code, esc, num } from './markdown.js';
import { formatDuration, isoSeconds } from './time.js';

/** What the summary says of the step as a whole, as plain data: the entry fills it in for its mode. */
export interface StepContext {
  sandboxName: string;
  link: LinkContext;
  /** Create mode: when the runs are scheduled to start (unix seconds). */
  startTime?: number;
  /** A window the inputs give, the same for every flow (unix seconds). */
  window?: { start: number; end: number };
}

/** What the summary shows of a single-flow step. */
export interface RunStory extends FlowStory {
  dryRunRequest?: RunRequest;
}

const ICON: Record<Outcome, string> = { success: '✅', failure: '❌', partial: '⚠️', pending: '⏳' };

/** Markdown for a dry run that has no request body to show: what would be asked, one line each. */
export function renderDryRunPlans(plans: string[]): string {
  return ['### 🧪 Dry run: nothing was sent', '', ...plans.map((p) => `- ${esc(p)}`), ''].join('\n');
}

/** Markdown for the job summary of one flow: a table a person reads at a glance. */
export function renderSummary(story: RunStory, context: StepContext): string {
  const { run, wait } = story;
  const { link } = context;
  const status = run?.status ?? (run ? 'scheduled' : undefined);
  const outcome = classifyStatus(status);
  const title = story.dryRunRequest
    ? '🧪 Dry run: no flow run was started'
    : story.skipped
      ? '⏭️ No flow run was needed'
      : run
        ? runTitle(story, outcome, status)
        : story.unsure
          ? '⚠️ A flow run may have been started: check before running again'
          : '❌ No flow run was started';
  const url = storyUrl(link, story);
  const rows: Array<[string, string]> = [
    ['Flow', `${story.flowId ? code(story.flowId) : '—'}${story.flowName ? ` ${esc(story.flowName)}` : ''}`],
    ['Run ID', run ? code(run.id) : '—'],
  ];
  if (url) rows.push(['In Platform', `[Dataflow activity of this run](${url})`]);
  if ((story.earlier?.length ?? 0) > 0) rows.push(['Attempts', attemptsText(story)]);
  rows.push(['Sandbox', esc(context.sandboxName)]);
  const window = windowOf(story, context);
  if (window) rows.push(['Window', window]);
  if (context.startTime !== undefined) rows.push(['Start time', isoSeconds(context.startTime)]);
  rows.push(['Status', story.skipped ? 'skipped' : status ? esc(status) : '—']);
  if (wait) {
    rows.push(['Duration', duration(story)]);
    rows.push(['Records', records(run)]);
    rows.push(['Files', files(run)]);
  }
  if (story.catchUp) rows.push(['Windows', windowsDone(story)]);
  const lines = [`### ${title}`, '', '| | |', '| --- | --- |', ...rows.map(([k, v]) => `| ${k} | ${v} |`), ''];
  lines.push(...windowsTable(story, link));
  if (story.paused) lines.push(`**Not caught up yet:** ${esc(story.paused)}`, '');
  if (story.skipped) lines.push(esc(story.skipped), '');
  if (story.failure) lines.push(`**Why the step failed:** ${whyFailed(story)}`, '');
  else if (story.warning) lines.push(`**Warning:** ${warningOf(story)}`, '');
  if (run) lines.push(...diagnosis(run));
  if (story.rejected) lines.push(...renderRejected(story.rejected));
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
export function renderSummaryOfMany(stories: FlowStory[], context: StepContext): string {
  const { link } = context;
  const ok = stories.filter((s) => !s.failure && classifyStatus(s.run?.status) === 'success').length;
  const failed = stories.filter((s) => s.failure).length;
  const skipped = stories.filter((s) => s.skipped).length;
  const partial = stories.filter((s) => !s.failure && classifyStatus(s.run?.status) === 'partial').length;
  const waited = stories.some((s) => s.wait);
  const icon = failed > 0 ? '❌' : ok + skipped === stories.length ? '✅' : partial > 0 ? '⚠️' : '⏳';
  const about = [`Sandbox ${esc(context.sandboxName)}`];
  if (context.window) about.push(`window ${windowText(context.window)}`);
  if (context.startTime !== undefined) about.push(`start ${isoSeconds(context.startTime)}`);
  const perFlowWindow = !context.window && stories.some((s) => s.window);
  const head = [
    'Flow',
    'Run ID',
    'Status',
    ...(perFlowWindow ? ['Window'] : []),
    ...(waited ? ['Duration', 'Records', 'Files'] : []),
    'In Platform',
  ];
  const lines = [
    `### ${icon} ${stories.length} flow runs: ${waited ? `${ok} succeeded, ` : ''}${partial ? `${partial} partially succeeded, ` : ''}${failed} failed${skipped ? `, ${skipped} skipped` : ''}`,
    '',
    about.join(' · '),
    '',
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
  ];
  for (const story of stories) {
    const { run } = story;
    const url = storyUrl(link, story);
    const state = story.skipped
      ? 'skipped'
      : run
        ? esc(run.status ?? 'scheduled')
        : story.unsure
          ? 'may exist'
          : 'not started';
    const status = `${story.failure ? '❌ ' : story.warning ? '⚠️ ' : ''}${state}`;
    const runCell = run ? code(run.id) : '—';
    const flow = story.flowId ? code(story.flowId) : code(story.givenRunId ?? '');
    const cells = [flow, runCell, status];
    if (perFlowWindow) cells.push(windowOf(story, context) ?? '—');
    if (waited) cells.push(story.wait ? duration(story) : '—', records(run), files(run));
    cells.push(url ? `[open](${url})` : '—');
    lines.push(`| ${cells.join(' | ')} |`);
  }
  lines.push('');
  const worthTelling = (s: FlowStory) =>
    s.failure ||
    s.warning ||
    s.skipped ||
    s.catchUp ||
    (s.earlier?.length ?? 0) > 0 ||
    (s.run && hasDiagnosis(s.run)) ||
    s.rejected;
  for (const story of stories.filter(worthTelling)) {
    const icon = story.failure ? '❌ ' : story.warning ? '⚠️ ' : story.skipped ? '⏭️ ' : '';
    const name = story.flowName ? ` ${esc(story.flowName)}` : '';
    lines.push(
      `#### ${icon}${story.flowId ? 'Flow' : 'Run'} ${code(story.flowId || story.givenRunId || '')}${name}`,
      '',
    );
    if (story.failure) lines.push(`- ${capital(whyFailed(story))}`);
    else if (story.warning) lines.push(`- ${capital(warningOf(story))}`);
    else if (story.skipped) lines.push(`- ${esc(story.skipped)}`);
    else if (story.paused) lines.push(`- Not caught up yet: ${esc(story.paused)}`);
    if (story.catchUp) lines.push(`- Windows: ${windowsDone(story)}`);
    if ((story.earlier?.length ?? 0) > 0) lines.push(`- Attempts: ${attemptsText(story)}`);
    if (story.run) lines.push(...diagnosisItems(story.run));
    lines.push('');
    lines.push(...windowsTable(story, link));
    if (story.rejected) lines.push(...renderRejected(story.rejected));
  }
  return lines.join('\n');
}

/** "12 of 30 sent, 18 left". */
function windowsDone(story: FlowStory): string {
  const all = story.catchUp!.windows.length;
  const left = windowsLeft(story) ?? 0;
  return `${all - left} of ${all} sent${left > 0 ? `, ${left} not started` : ''}`;
}

/**
 * `catch-up`: one table of the flow's windows that had a run (start, end, run, status, records),
 * then the windows not started in one line: a range of months in hourly windows stays readable.
 */
function windowsTable(story: FlowStory, link: LinkContext): string[] {
  if (!story.catchUp) return [];
  const sent = windowRuns(story);
  const lines = ['| Window | Start | End | Run | Status | Records |', '| --- | --- | --- | --- | --- | --- |'];
  sent.forEach((w, i) => {
    const url = story.flowId ? runUrl(link, story.flowId, w.run.id) : undefined;
    const run = url ? `[${code(w.run.id)}](${url})` : code(w.run.id);
    const cells = [
      String(i + 1),
      isoSeconds(w.start),
      isoSeconds(w.end),
      run,
      esc(w.run.status ?? 'scheduled'),
      records(w.run),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  });
  lines.push('');
  const left = story.catchUp.windows.slice(sent.length);
  if (left.length > 0) {
    const range = windowText({ start: left[0]!.start, end: left.at(-1)!.end });
    lines.push(`${left.length} window${left.length === 1 ? '' : 's'} not started: ${range}.`, '');
  }
  return lines;
}

/** Each attempt's run ID and how it ended, oldest first. */
function attemptsText(story: FlowStory): string {
  const runs = [...(story.earlier ?? []), ...(story.run ? [story.run] : [])];
  return runs.map((r, i) => `${i + 1}. ${code(r.id)} ${esc(r.status ?? 'scheduled')}`).join(' · ');
}

/** The window row: the one sent, and where it came from. */
function windowOf(story: FlowStory, context: StepContext): string | undefined {
  if (story.window) {
    const { origin } = story.window;
    const text = windowText(story.window);
    // Fixed words and times only: the one text from the service, the run ID, goes through code().
    return origin.kind === 'inputs' ? text : `${text} (${originText(origin, code)})`;
  }
  return context.window && windowText(context.window);
}

/**
 * The heading of a step that has a run: it tells the step's outcome in every case. A run that ended
 * badly says so itself; a step that failed for another reason (a re-trigger refused, a read that
 * failed) says the step failed, and how the run stands.
 */
function runTitle(story: FlowStory, outcome: Outcome, status: string | undefined): string {
  if (story.wait?.end === 'timeout') return '❌ Flow run still running (timed out)';
  const runEnded = story.wait?.end === 'final' && (outcome === 'failure' || outcome === 'partial');
  if (!story.failure || runEnded) return `${story.failure ? '❌' : ICON[outcome]} Flow run ${ended(status)}`;
  return `❌ The step failed (the flow run is ${esc(status ?? 'scheduled')})`;
}

/** The title's words for a status: "succeeded", "failed", "partially succeeded", or as spelled. */
function ended(status: string | undefined): string {
  const outcome = classifyStatus(status);
  if (outcome === 'success') return 'succeeded';
  if (outcome === 'partial') return 'partially succeeded';
  if (outcome === 'failure') return status?.toLowerCase() === 'failed' ? 'failed' : `ended ${esc(status ?? '')}`;
  return esc(status ?? '');
}

/**
 * Why the step failed, escaped. A run that ended failed is told in full by its diagnosis above, so
 * the summary says that in a sentence rather than repeat the annotation's one long line.
 */
function whyFailed(story: FlowStory): string {
  const { run } = story;
  const outcome = classifyStatus(run?.status);
  // A catch-up's failure also names the first window not ingested: it is told in full.
  if (!run || story.catchUp || story.wait?.end !== 'final' || (outcome !== 'failure' && outcome !== 'partial')) {
    return esc(story.failure ?? '');
  }
  if (outcome === 'partial') return "the run partially succeeded, and 'fail-on-partial' is true.";
  const notRetried = story.notRetried ? `; it was not re-triggered: ${esc(story.notRetried)}` : '';
  return `the run ${ended(run.status)}${notRetried}.`;
}

/** The warning of a partial success: how many records failed (the links are in the diagnosis). */
function warningOf(story: FlowStory): string {
  const { run } = story;
  if (!run || story.wait?.end !== 'final' || classifyStatus(run.status) !== 'partial') {
    return esc(story.warning ?? '');
  }
  const r = run.metrics?.recordSummary;
  const failed = r?.failedRecordCount;
  const count =
    failed !== undefined && failed > 0
      ? `: ${num(failed)}${r?.inputRecordCount !== undefined ? ` of ${num(r.inputRecordCount)}` : ''} records failed`
      : '';
  return `the run partially succeeded${count}.`;
}

/** Whether a run has anything to say about what went wrong. */
function hasDiagnosis(run: Run): boolean {
  const { failedInfo, batchIds, sampleLinks } = run.diagnostics;
  const unhappy = classifyStatus(run.status) !== 'success';
  return run.errors.length + failedInfo.length + sampleLinks.length > 0 || (unhappy && batchIds.length > 0);
}

/** Why a run failed, in full, one flow: errors, advice, failed records, batches and their files. */
function diagnosis(run: Run): string[] {
  if (!hasDiagnosis(run)) return [];
  const lines: string[] = [];
  const section = (title: string, items: string[]) => {
    if (items.length > 0) lines.push(`**${title}**`, '', ...items.map((i) => `- ${i}`), '');
  };
  section('Errors reported by the service', run.errors.map(errorLine));
  section('What to do', adviceOf(run).map(adviceLine));
  section('Errors in the failed records', failedRecordsOf(run).map(errorLine));
  section('Batches', run.diagnostics.batchIds.map(code));
  section('Failed-record files (Data Access API)', fileLines(run));
  return lines;
}

/** The same, as list items under a flow of several. */
function diagnosisItems(run: Run): string[] {
  if (!hasDiagnosis(run)) return [];
  return [
    ...run.errors.map(errorLine),
    ...adviceOf(run).map((a) => `What to do: ${adviceLine(a)}`),
    ...failedRecordsOf(run).map((e) => `In the failed records: ${errorLine(e)}`),
    ...run.diagnostics.batchIds.map((id) => `Batch ${code(id)}`),
    ...fileLines(run).map(capital),
  ].map((item) => `- ${item}`);
}

/**
 * The addresses of a run's failed-record files, named as the manifest names them ("failed records").
 * They are Data Access API addresses that need a token, so they are shown as code, not as links.
 */
function fileLines(run: Run): string[] {
  return run.diagnostics.sampleLinks.map(
    (l) => `${esc(l.name.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase())}: ${address(l.url)}`,
  );
}

/** One error, with its record count. */
function errorLine(e: ServiceErrorEntry): string {
  const records = e.recordCount !== undefined ? ` (${num(e.recordCount)} record${e.recordCount === 1 ? '' : 's'})` : '';
  return `${e.code ? `${code(e.code)} ` : ''}${esc(e.message)}${records}`;
}

/** "`CODE` means …: …", once per documented class. */
function adviceLine(group: Advice): string {
  const codes = group.codes.map(code).join(', ');
  return `${codes} ${group.codes.length === 1 ? 'means' : 'mean'} ${esc(group.advice)}.`;
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

function sum(...values: Array<number | undefined>): number | undefined {
  const known = values.filter((v): v is number => v !== undefined && v >= 0);
  return known.length === 0 ? undefined : known.reduce((a, b) => a + b, 0);
}
