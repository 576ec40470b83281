// The check's stages: read each flow and its runs in `lookback` -> health -> [wait until fresh] ->
// [incidents] -> tell. Read-only: nothing here creates or re-triggers a run. How flows and runs are
// read (CheckReads), the runner, the clock and sleep are passed in.
import { setTimeout as delay } from 'node:timers/promises';
import type { BriefRun, Flow } from './answers.js';
import { reasons, renderCheckSummary, type CheckView } from './check-summary.js';
import {
  assessFlow,
  failsStep,
  findingsOf,
  isFresh,
  reportEntry,
  type FailOn,
  type FlowHealth,
  type FlowReading,
} from './health.js';
import type { IncidentSettings, IncidentsResult } from './incidents.js';
import type { LinkContext } from './outcome.js';
import { limiter } from './pool.js';
import type { Runner } from './runner.js';
import { messageOf } from './step.js';
import { formatDuration, isoSeconds } from './time.js';

/** What the check asks of the Flow Service; the entry plugs the real client in. */
export interface CheckReads {
  /** GET /flows/{id}: the flow, or undefined when there is no such flow in the sandbox. Throws when refused. */
  getFlow(flowId: string, signal: AbortSignal): Promise<Flow | undefined>;
  /** GET /runs?property=flowId=={id}&property=metrics.durationSummary.startedAtUTC>{sinceMs}, every page. */
  listRuns(flowId: string, sinceMs: number, signal: AbortSignal): Promise<BriefRun[]>;
}

export interface CheckSettings {
  flowIds: string[];
  maxAgeMs: number | undefined;
  lookbackMs: number;
  failOn: FailOn;
  wait: boolean;
  timeoutMs: number;
  pollIntervalMs: number;
  maxConcurrency: number;
  link: LinkContext;
  /** Set with `issues: true`. */
  issues?: IncidentSettings;
}

export interface CheckDeps {
  reads: CheckReads;
  runner: Runner;
  signal: AbortSignal;
  now?: () => number;
  /** Epoch ms the wait ends at: the step's timeout, counted from the step's start (default now + timeout). */
  deadline?: number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** incidents.keepIncidents, loaded by the entry only when `issues` is on. */
  keepIncidents?: (
    healths: readonly FlowHealth[],
    settings: IncidentSettings,
    view: CheckView,
  ) => Promise<IncidentsResult>;
}

/** How long before the deadline the last round of reads starts. */
const LAST_READ_LEAD_MS = 100;

export interface CheckResult {
  healths: FlowHealth[];
  healthy: boolean;
  /** `wait` ended at its timeout (or was cancelled) with flows still not fresh. */
  waitEnd?: 'fresh' | 'timeout' | 'cancelled' | 'unreadable';
  issueUrls: Map<string, string>;
}

/** One flow: its read and its runs, each failure kept as a problem for the user. */
export async function readFlow(
  flowId: string,
  reads: CheckReads,
  sinceMs: number,
  signal: AbortSignal,
  debug: (message: string) => void,
): Promise<FlowReading> {
  const problems: string[] = [];
  const [flow, runs] = await Promise.all([
    reads.getFlow(flowId, signal).then(
      (f) => (f === undefined ? null : f),
      (error: unknown) => {
        problems.push(`The read of flow ${flowId} failed: ${messageOf(error, debug)}`);
        return undefined;
      },
    ),
    reads.listRuns(flowId, sinceMs, signal).catch((error: unknown) => {
      problems.push(`The runs of flow ${flowId} could not be listed: ${messageOf(error, debug)}`);
      return undefined;
    }),
  ]);
  if (flow === null) {
    return { flowId, flow: undefined, runs: undefined, problems: [`Flow ${flowId} was not found in this sandbox.`] };
  }
  return { flowId, flow, runs, problems };
}

/** Every flow's health, at most `max-concurrency` flows read at once. */
export async function readHealths(
  flowIds: readonly string[],
  settings: CheckSettings,
  deps: CheckDeps,
): Promise<FlowHealth[]> {
  const now = deps.now ?? Date.now;
  const slots = limiter(settings.maxConcurrency);
  const debug = (m: string) => deps.runner.debug(m);
  // Each flow is judged as soon as it is read, so that its pages of runs are garbage before the next
  // flow's arrive: 200 flows' lists are never held at once.
  return Promise.all(
    flowIds.map((id) =>
      slots(async () => {
        const reading = await readFlow(id, deps.reads, now() - settings.lookbackMs, deps.signal, debug);
        return assessFlow(reading, { nowMs: now(), lookbackMs: settings.lookbackMs, maxAgeMs: settings.maxAgeMs });
      }),
    ),
  );
}

/**
 * `wait`: reads the flows not fresh yet every poll interval until all are, the deadline passes or the
 * job is cancelled. A flow that cannot be read ends the wait at once: waiting cannot make it readable.
 */
export async function waitUntilFresh(
  first: FlowHealth[],
  settings: CheckSettings,
  deps: CheckDeps,
  deadline: number,
): Promise<{ healths: FlowHealth[]; end: NonNullable<CheckResult['waitEnd']> }> {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms, signal) => delay(ms, undefined, { signal }));
  const healths = [...first];
  for (;;) {
    if (healths.some((h) => h.unreadable !== undefined)) return { healths, end: 'unreadable' };
    const waiting = healths.map((h, i) => [h, i] as const).filter(([h]) => !isFresh(h));
    if (waiting.length === 0) return { healths, end: 'fresh' };
    const left = deadline - now();
    if (left <= LAST_READ_LEAD_MS) return { healths, end: 'timeout' };
    const names = waiting.map(([h]) => h.flowId);
    const listed = names.length > 5 ? `${names.length} flows (${names.slice(0, 5).join(', ')}, …)` : names.join(', ');
    const next = formatDuration(Math.min(settings.pollIntervalMs, left));
    deps.runner.info(`Waiting for ${listed} to be fresh; next read in ${next}.`);
    try {
      await sleep(Math.min(settings.pollIntervalMs, left - LAST_READ_LEAD_MS), deps.signal);
    } catch (error) {
      if (deps.signal.aborted) return { healths, end: 'cancelled' };
      throw error;
    }
    if (deps.signal.aborted) return { healths, end: 'cancelled' };
    const again = await readHealths(
      waiting.map(([h]) => h.flowId),
      settings,
      deps,
    );
    waiting.forEach(([, index], k) => (healths[index] = again[k]!));
  }
}

/** The whole check: read, judge, wait, keep incidents, tell. Fails the step through the runner. */
export async function runCheck(settings: CheckSettings, deps: CheckDeps): Promise<CheckResult> {
  const now = deps.now ?? Date.now;
  const deadline = deps.deadline ?? now() + settings.timeoutMs;
  const { runner } = deps;
  let healths = await readHealths(settings.flowIds, settings, deps);
  let waitEnd: CheckResult['waitEnd'];
  if (settings.wait) ({ healths, end: waitEnd } = await waitUntilFresh(healths, settings, deps, deadline));
  const view: CheckView = {
    link: settings.link,
    nowMs: now(),
    lookbackMs: settings.lookbackMs,
    maxAgeMs: settings.maxAgeMs,
    waitedOut: waitEnd === 'timeout' || waitEnd === 'cancelled',
  };
  let issueUrls = new Map<string, string>();
  if (settings.issues && deps.keepIncidents) {
    const kept = await deps.keepIncidents(healths, settings.issues, view);
    issueUrls = kept.urls;
    for (const line of kept.done) runner.info(line);
    if (kept.problem) runner.error(kept.problem);
  }
  view.issueUrls = issueUrls;

  for (const h of healths) runner.info(logLine(h, view));
  for (const h of healths) {
    for (const problem of h.problems) runner.warning(problem);
    if (failsStep(h, settings.failOn)) runner.error(whyText(h, view));
    else if (findingsOf(h).length > 0) runner.warning(`${whyText(h, view)} (not failing: 'fail-on' does not name it)`);
  }
  const failing = healths.filter((h) => failsStep(h, settings.failOn));
  const healthy = failing.length === 0;
  runner.setOutput('healthy', String(healthy));
  runner.setOutput(
    'stale-flows',
    healths
      .filter((h) => h.stale)
      .map((h) => h.flowId)
      .join('\n'),
  );
  runner.setOutput(
    'failing-flows',
    healths
      .filter((h) => h.failing)
      .map((h) => h.flowId)
      .join('\n'),
  );
  runner.setOutput('report', JSON.stringify(healths.map((h) => reportEntry(h, issueUrls.get(h.flowId)))));
  await runner.summary(renderCheckSummary(healths, view));

  if (waitEnd === 'timeout' || waitEnd === 'cancelled') {
    const still = healths.filter((h) => !isFresh(h)).map((h) => h.flowId);
    const why = waitEnd === 'timeout' ? `Waited ${formatDuration(settings.timeoutMs)}` : 'The job was cancelled';
    runner.fail(`${why}: still not fresh: ${still.join(', ')}.`);
  } else if (!healthy) {
    runner.fail(
      `${failing.length} of ${healths.length} dataflows unhealthy: ${failing.map((h) => h.flowId).join(', ')}.`,
    );
  }
  return { healths, healthy: healthy && !view.waitedOut, waitEnd, issueUrls };
}

/** One line per flow for the log: data through, age, newest run, runs. */
function logLine(h: FlowHealth, view: CheckView): string {
  const name = h.flow?.name ? ` (${h.flow.name})` : '';
  if (h.unreadable !== undefined) return `Flow ${h.flowId}${name}: could not be read.`;
  const data =
    h.dataThrough === undefined
      ? `no successful run in the last ${formatDuration(view.lookbackMs)}`
      : `data through ${isoSeconds(h.dataThrough)} (${formatDuration((h.ageSeconds ?? 0) * 1000)} ago${view.maxAgeMs === undefined ? '' : `, max-age ${formatDuration(view.maxAgeMs)}`})`;
  const newest = h.newest ? `newest run ${h.newest.id} ${h.newest.status ?? 'unknown'}` : 'no run';
  return `Flow ${h.flowId}${name}: ${data}; ${newest}; ${h.succeeded} of ${h.runCount} runs succeeded.`;
}

/** Why a flow is unhealthy, as plain text for an annotation (service text is inert already). */
function whyText(h: FlowHealth, view: CheckView): string {
  const plain = { id: (t: string) => t, text: (t: string) => t };
  return `Flow ${h.flowId}: ${reasons(h, view, plain).join(' ')}`;
}
