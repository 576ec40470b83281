// What happened to each flow in this step, as plain data: its runs, its window, how following them
// ended, or why it failed. Pure functions over that data give each flow's verdict, the words for it
// and the step's outputs; nothing here does I/O.
import type { Run } from './answers.js';
import type { RejectedRecords } from './data-access.js';
import { diagnosisLine, errorText } from './diagnosis.js';
import { judgeGates, type GateBreach, type RecordGates } from './gates.js';
import type { Span } from './history.js';
import { classifyStatus } from './status.js';
import { formatDuration, isoSeconds } from './time.js';
import type { WaitResult } from './wait.js';

/** Where a window came from, for the summary ("after run X, which succeeded at …"). */
export type WindowOrigin =
  | { kind: 'inputs' }
  | { kind: 'last success'; runId: string; status: string; endedAt: number | undefined; capped: boolean }
  | { kind: 'first window'; capped: boolean };

/** One flow's story: its runs, its window, how waiting ended, or why it failed. */
export interface FlowStory {
  /** The dataflow; with `run-id`, known once the run has been read ('' before). */
  flowId: string;
  /** With `run-id`: the run the user named. */
  givenRunId?: string;
  /** The flow's name, when preflight read it (inert). */
  flowName?: string;
  /** The newest run: created, adopted, or the latest re-trigger. */
  run?: Run;
  /** Runs before `run` (each one ended failed and was re-triggered), oldest first. */
  earlier?: Run[];
  /** The window the run request carried (unix seconds), and where it came from. */
  window?: { start: number; end: number; origin: WindowOrigin };
  wait?: WaitResult;
  waitedMs?: number;
  /** Why this flow failed, if it did (already safe to show). */
  failure?: string;
  /** Set when the flow only partially succeeded and that is not a failure. */
  warning?: string;
  /** A request that starts a run lost its answer and no run was found: one may exist. */
  unsure?: boolean;
  /** Why no run was started, when that is not a failure (nothing new to ingest, a run in progress). */
  skipped?: string;
  /** Why the last failed run was not re-triggered, when `retries` asked for it. */
  notRetried?: string;
  /** What the newest run's error diagnostics say of its rejected records (`failed-records`), once read. */
  rejected?: RejectedRecords;
  /** The record gate the newest run broke (`min-records`, `max-failed-records`), with its figures. */
  gateBreach?: GateBreach;
  /** With `catch-up`: the windows of the range and the runs of those already behind. */
  catchUp?: CatchUp;
  /** With `catch-up` and `last-success`: the timeout came with windows left; the next step resumes. */
  paused?: string;
}

/**
 * `catch-up`: every window of the range, oldest first, and the runs (attempts, oldest first) of each
 * window before the current one. The current window's runs are the story's `earlier` and `run`.
 */
export interface CatchUp {
  windows: Span[];
  passed: Run[][];
  /** Where the range came from. */
  origin: WindowOrigin;
}

/** One window of a catch-up that had a run started, with its newest run. */
export interface WindowRun extends Span {
  run: Run;
}

/** The windows of a catch-up that had a run started, oldest first, each with its newest run. */
export function windowRuns(story: FlowStory): WindowRun[] {
  const catchUp = story.catchUp;
  if (!catchUp) return [];
  const runs = catchUp.passed.map((attempts) => attempts.at(-1)!);
  if (story.run) runs.push(story.run);
  return runs.map((run, i) => ({ ...catchUp.windows[i]!, run }));
}

/** With `catch-up`: how many windows of the range had no run started. */
export function windowsLeft(story: FlowStory): number | undefined {
  return story.catchUp && story.catchUp.windows.length - windowRuns(story).length;
}

/** The windows not ingested, in words: from the window at `first` (oldest first) to the range's end. */
export function notIngestedText(story: FlowStory, first: number): string {
  const { windows } = story.catchUp!;
  const left = windows.slice(first);
  if (left.length === 0) return 'Every window of the range was ingested.';
  const rest = left.length - 1;
  const more =
    rest > 0 ? ` and the ${rest} window${rest === 1 ? '' : 's'} after it, up to ${isoSeconds(left.at(-1)!.end)}` : '';
  return `The first window not ingested is ${windowText(left[0]!)} (window ${first + 1} of ${windows.length})${more}.`;
}

export type Verdict = 'success' | 'failure' | 'partial' | 'timeout' | 'cancelled' | 'skipped' | 'started';

/** A flow's verdict: `started` is a run the step did not wait for; anything with a failure fails. */
export function verdictOf(story: FlowStory): Verdict {
  if (story.skipped) return 'skipped';
  if (story.wait?.end === 'timeout') return 'timeout';
  if (story.wait?.end === 'cancelled') return 'cancelled';
  if (story.failure || !story.run) return 'failure';
  const outcome = classifyStatus(story.run.status);
  if (outcome === 'partial') return 'partial';
  if (outcome === 'pending') return 'started';
  return outcome;
}

/** The IDs of every run started (or adopted) for the flow, oldest first. */
export function attemptsOf(story: FlowStory): string[] {
  const passed = story.catchUp?.passed.flat() ?? [];
  return [...passed, ...(story.earlier ?? []), ...(story.run ? [story.run] : [])].map((r) => r.id);
}

/** The status a flow ends with, as the outputs say it. */
export function storyStatus(story: FlowStory): string {
  if (story.skipped) return 'skipped';
  if (!story.run) return 'not started';
  return story.run.status ?? 'scheduled';
}

/** Where the run is in the Experience Platform UI (Adobe's own alert links use this form). */
export interface LinkContext {
  /** `ui-tenant`, else the org ID with its @AdobeOrg. */
  tenant: string;
  sandboxName: string;
}

/** The link context of a step: `ui-tenant`, else the org ID. */
export function linkFor(settings: { uiTenant?: string; orgId: string; sandboxName: string }): LinkContext {
  return { tenant: settings.uiTenant || settings.orgId, sandboxName: settings.sandboxName };
}

export function runUrl(link: LinkContext, flowId: string, runId: string): string {
  return `https://experience.adobe.com/#/@${link.tenant}/sname:${link.sandboxName}/platform/source/dataflows/${flowId}/activity/${runId}`;
}

/** The link to a story's newest run, when both IDs are known. */
export function storyUrl(link: LinkContext, story: FlowStory): string | undefined {
  return story.run && story.flowId ? runUrl(link, story.flowId, story.run.id) : undefined;
}

/** One entry of the `runs` output. */
export function runEntry(story: FlowStory, link?: LinkContext) {
  return {
    flowId: story.flowId || null,
    runId: story.run?.id ?? null,
    etag: story.run?.etag ?? null,
    status: story.skipped ? 'skipped' : story.run ? (story.run.status ?? 'scheduled') : null,
    error: story.failure ?? null,
    runUrl: link ? (storyUrl(link, story) ?? null) : null,
    windowStart: story.window?.start ?? null,
    windowEnd: story.window?.end ?? null,
    attempts: attemptsOf(story),
    recordsIn: story.run?.metrics?.recordSummary?.inputRecordCount ?? null,
    recordsFailed: story.run?.metrics?.recordSummary?.failedRecordCount ?? null,
    ...(story.catchUp
      ? {
          windows: windowRuns(story).map((w) => ({
            start: w.start,
            end: w.end,
            runId: w.run.id,
            status: w.run.status ?? 'scheduled',
          })),
        }
      : {}),
  };
}

/** The worst of several: failed, then partialSuccess, then a status not yet final, then success. */
export function overallStatus(stories: FlowStory[]): string {
  const live = stories.filter((s) => !s.skipped);
  if (live.length === 0) return 'skipped';
  const outcomes = live.map((s) => (s.failure || !s.run ? 'failure' : classifyStatus(s.run.status)));
  if (outcomes.includes('failure')) return 'failed';
  if (outcomes.includes('partial')) return 'partialSuccess';
  const pending = live.find((s) => classifyStatus(s.run?.status) === 'pending');
  if (pending) return pending.run?.status ?? 'scheduled';
  return 'success';
}

/** What a flow's end means, in words: a failure, a warning, or a line for the log. */
export interface Judgement {
  failure?: string;
  warning?: string;
  info?: string;
  /** A run that ended well broke a record gate: the failure says so with the figures. */
  breach?: GateBreach;
}

export interface JudgeRules {
  failOnPartial: boolean;
  timeoutMs: number;
  link: LinkContext;
  /** `min-records`, `max-failed-records`; none when not given. */
  gates?: RecordGates;
}

/** A run that ended well is judged on its records too: a broken gate fails the flow, with the figures. */
export function judgeWithGates(story: FlowStory, rules: JudgeRules): Judgement {
  const judgement = judgeWaited(story, rules);
  const verdict = verdictOf(story);
  if (judgement.failure || (verdict !== 'success' && verdict !== 'partial')) return judgement;
  const run = story.run!;
  const breach = judgeGates(run, rules.gates ?? {}, `Run ${run.id}${story.flowId ? ` of flow ${story.flowId}` : ''}`);
  if (!breach) return judgement;
  return { failure: `${breach.message} ${whereToLook(story, rules.link)}`, breach };
}

/** The words for a run that waiting has followed to its end (or to the timeout, or a cancel). */
export function judgeWaited(story: FlowStory, rules: JudgeRules): Judgement {
  const run = story.run!;
  const status = run.status ?? 'unknown';
  const where = whereToLook(story, rules.link);
  const goesOn = `The run goes on in Platform; runs cannot be cancelled through the API. ${where}`;
  const errors = run.errors.length > 0 ? `: ${run.errors.map(errorText).join('; ')}` : '';
  const facts = diagnosisLine(run);
  const diagnosis = facts ? ` (${facts})` : '';
  const tries = (story.earlier?.length ?? 0) > 0 ? ` (attempt ${(story.earlier?.length ?? 0) + 1})` : '';
  const notRetried = story.notRetried ? `; not re-triggered: ${story.notRetried}` : '';
  switch (verdictOf(story)) {
    case 'timeout':
      return {
        failure: `Run ${run.id} did not finish within ${formatDuration(rules.timeoutMs)} (last status: ${status}). ${goesOn}`,
      };
    case 'cancelled':
      return { failure: `The job was cancelled while waiting for run ${run.id} (last status: ${status}). ${goesOn}` };
    case 'failure':
      return {
        failure: `Run ${run.id} of flow ${story.flowId}${tries} ended ${status}${errors}${diagnosis}${notRetried}. ${where}`,
      };
    case 'partial': {
      const message = `Run ${run.id} of flow ${story.flowId}${tries} partially succeeded${errors}${failedRecords(run)}. ${where}`;
      return rules.failOnPartial
        ? { failure: `${message} (failing because 'fail-on-partial' is true)` }
        : { warning: message };
    }
    case 'skipped':
    case 'started':
    case 'success':
      return { info: `Run ${run.id} finished: ${status} after ${formatDuration(story.waitedMs ?? 0)}.` };
  }
}

/** "See it in Platform: <link>", or where to look when no run is known. */
export function whereToLook(story: FlowStory, link: LinkContext): string {
  const url = storyUrl(link, story);
  if (url) return `See the run in Platform: ${url}`;
  return story.flowId
    ? `Check Sources > Dataflows > ${story.flowId} > Dataflow activity in Platform.`
    : 'Check Sources > Dataflows > Dataflow activity in Platform.';
}

/** The words for a flow whose run may exist although its request's answer was lost. */
export function unsureText(message: string, story: FlowStory, link: LinkContext): string {
  return `${message} ${whereToLook(story, link)} Running this step again may start a second ingestion of the same window.`;
}

function failedRecords(run: Run): string {
  const failed = run.metrics?.recordSummary?.failedRecordCount;
  const sample = run.diagnostics.sampleLinks[0];
  const count = failed !== undefined && failed > 0 ? `; ${failed} records failed` : '';
  return `${count}${sample ? ` (sample: ${sample.url})` : ''}`;
}

/** "2023-11-14T00:00:00Z → 2023-11-14T22:13:20Z". */
export function windowText(window: { start: number; end: number }): string {
  return `${isoSeconds(window.start)} → ${isoSeconds(window.end)}`;
}

/**
 * Whether a flow's rejected records are worth reading (`failed-records`): its newest run was followed to
 * a final status that is a failure or a partial success, or it broke a record gate.
 */
export function wantsRejectedRecords(story: FlowStory): boolean {
  if (story.wait?.end !== 'final' || !story.run) return false;
  const outcome = classifyStatus(story.run.status);
  return outcome === 'failure' || outcome === 'partial' || story.gateBreach !== undefined;
}
