// Freshness and health of a dataflow: pure functions over the flow as read and the runs listed in
// `lookback`. Like history.ts, they filter, dedupe and sort on their own: the service may have ignored
// the filters asked of it, listed runs in any order, or shown one run on two pages.
import type { BriefRun, Flow, ServiceErrorEntry } from './answers.js';
import { classifyStatus } from './status.js';

/** What the check judges against. */
export interface HealthRules {
  /** Epoch ms: now. */
  nowMs: number;
  /** How far back runs count (`lookback`). */
  lookbackMs: number;
  /** `max-age`: without it freshness is reported and a flow is never stale. */
  maxAgeMs: number | undefined;
}

/** What was read of one flow: the flow (undefined: not found, or its read refused) and its runs. */
export interface FlowReading {
  flowId: string;
  flow: Flow | undefined;
  /** Undefined when the runs could not be read. */
  runs: readonly BriefRun[] | undefined;
  /** Why a read failed, in words for the user (already inert); one per failed read. */
  problems: string[];
}

/** The newest run of a flow: a listed run, or the flow's own `lastRunDetails` when lists lag behind it. */
export interface NewestRun {
  id: string;
  status: string | undefined;
  /** Epoch ms it started (or was created). */
  at: number | undefined;
  /** The listed run, when it is one. */
  run: BriefRun | undefined;
}

export interface ErrorCount {
  code: string;
  /** In how many runs of `lookback` the code stood. */
  count: number;
}

/** One flow's health, as plain data. Times are unix seconds. */
export interface FlowHealth {
  flowId: string;
  flow: Flow | undefined;
  /** Why the flow cannot be judged at all (its runs could not be read, or it does not exist). */
  unreadable: string | undefined;
  /** Problems that did not stop the judgement (the flow read refused while its runs were listed). */
  problems: string[];
  /**
   * How many runs started in `lookback` (each once). The runs themselves are not kept: a check of 200
   * hourly flows would hold 33,600 of them to its end.
   */
  runCount: number;
  /** The errors of the newest run that has any (a failed one first), at most NEWEST_ERRORS. */
  newestErrors: ServiceErrorEntry[];
  newest: NewestRun | undefined;
  /** The newest run with a final status. */
  newestFinished: BriefRun | undefined;
  /** The newest success (or partial success), by completion. */
  lastSuccess: BriefRun | undefined;
  lastSuccessAt: number | undefined;
  /** The end of the newest data a success brought in: its window end, else its completion. */
  dataThrough: number | undefined;
  ageSeconds: number | undefined;
  stale: boolean;
  /** The newest finished run failed. */
  failing: boolean;
  succeeded: number;
  failed: number;
  medianDurationSeconds: number | undefined;
  recordsIn: number | undefined;
  recordsFailed: number | undefined;
  topErrors: ErrorCount[];
}

/** How many error codes the report and the summary show. */
export const TOP_ERRORS = 5;
/** How many of the newest errors an unhealthy flow's section and incident show. */
export const NEWEST_ERRORS = 10;

/** One flow's health from what was read of it. */
export function assessFlow(reading: FlowReading, rules: HealthRules): FlowHealth {
  const runs = runsInLookback(reading.runs ?? [], reading.flowId, rules);
  const newestFinished = runs.find((r) => classifyStatus(r.status) !== 'pending');
  const successes = runs.filter((r) => isSuccess(r.status));
  const lastSuccess = [...successes].sort((a, b) => (completedAt(b) ?? 0) - (completedAt(a) ?? 0))[0];
  const dataThrough = max(successes.map(dataEnd));
  const nowSeconds = Math.floor(rules.nowMs / 1000);
  const ageSeconds = dataThrough === undefined ? undefined : Math.max(0, nowSeconds - dataThrough);
  const stale = rules.maxAgeMs !== undefined && (ageSeconds === undefined || ageSeconds * 1000 > rules.maxAgeMs);
  const newest = newestOf(runs, reading.flow);
  const lastState = newest && !newest.run ? classifyStatus(newest.status) : 'pending';
  // lastRunDetails may show a finished run that lists do not show yet: it is then the newest finished.
  const failing =
    lastState !== 'pending' ? lastState === 'failure' : classifyStatus(newestFinished?.status) === 'failure';
  const lastSuccessCompleted = lastSuccess ? completedAt(lastSuccess) : undefined;
  return {
    flowId: reading.flowId,
    flow: reading.flow,
    unreadable: unreadableWhy(reading),
    problems: reading.runs === undefined ? [] : reading.problems,
    runCount: runs.length,
    newestErrors: newestErrors(runs),
    newest,
    newestFinished,
    lastSuccess,
    lastSuccessAt: lastSuccessCompleted === undefined ? undefined : Math.floor(lastSuccessCompleted / 1000),
    dataThrough,
    ageSeconds,
    stale,
    failing,
    succeeded: successes.length,
    failed: runs.filter((r) => classifyStatus(r.status) === 'failure').length,
    medianDurationSeconds: median(runs.map(durationMs).filter((d): d is number => d !== undefined)),
    recordsIn: total(runs.map((r) => r.metrics?.recordSummary?.inputRecordCount)),
    recordsFailed: total(runs.map((r) => r.metrics?.recordSummary?.failedRecordCount)),
    topErrors: topErrors(runs),
  };
}

/** The runs of this flow that started within `lookback`, each once (the newest read of it), newest first. */
export function runsInLookback(
  runs: readonly BriefRun[],
  flowId: string,
  rules: Pick<HealthRules, 'nowMs' | 'lookbackMs'>,
) {
  const since = rules.nowMs - rules.lookbackMs;
  const byId = new Map<string, BriefRun>();
  for (const run of runs) {
    if (run.flowId !== undefined && run.flowId !== flowId) continue;
    const at = startedAt(run);
    if (at === undefined || at < since) continue;
    const seen = byId.get(run.id);
    // The same run on two pages: keep the read that knows more (a final status over a pending one).
    if (!seen || (classifyStatus(seen.status) === 'pending' && classifyStatus(run.status) !== 'pending')) {
      byId.set(run.id, run);
    }
  }
  return [...byId.values()].sort((a, b) => startedAt(b)! - startedAt(a)! || (b.createdAt ?? 0) - (a.createdAt ?? 0));
}

/** When a run started: its durationSummary, else its creation (epoch ms). */
export function startedAt(run: BriefRun): number | undefined {
  return positive(run.metrics?.durationSummary?.startedAtUTC) ?? positive(run.createdAt);
}

function completedAt(run: BriefRun): number | undefined {
  return positive(run.metrics?.durationSummary?.completedAtUTC);
}

/** Where a successful run's data ends (unix seconds): its window end, else its completion. */
export function dataEnd(run: BriefRun): number | undefined {
  if (run.window) return run.window.end;
  const done = completedAt(run);
  return done === undefined ? undefined : Math.floor(done / 1000);
}

function durationMs(run: BriefRun): number | undefined {
  if (classifyStatus(run.status) === 'pending') return undefined;
  const start = positive(run.metrics?.durationSummary?.startedAtUTC);
  const end = completedAt(run);
  return start !== undefined && end !== undefined && end >= start ? end - start : undefined;
}

/** The newest listed run, unless the flow's lastRunDetails names a newer one that lists do not show yet. */
function newestOf(runs: readonly BriefRun[], flow: Flow | undefined): NewestRun | undefined {
  const listed = runs[0];
  const fromList: NewestRun | undefined = listed && {
    id: listed.id,
    status: listed.status,
    at: startedAt(listed),
    run: listed,
  };
  const last = flow?.lastRunDetails;
  if (!last || runs.some((r) => r.id === last.id)) return fromList;
  const lastAt = last.startedAtUTC;
  if (fromList && (lastAt === undefined || (fromList.at ?? 0) >= lastAt)) return fromList;
  return { id: last.id, status: last.state, at: lastAt, run: undefined };
}

function unreadableWhy(reading: FlowReading): string | undefined {
  if (reading.runs !== undefined) return undefined;
  return reading.problems.length > 0
    ? reading.problems.join('; ')
    : `The runs of flow ${reading.flowId} could not be read.`;
}

/** The codes that stood in most runs (each run counts a code once), most first, then by code. */
function topErrors(runs: readonly BriefRun[]): ErrorCount[] {
  const counts = new Map<string, number>();
  for (const run of runs) {
    for (const code of new Set(run.errors.map((e) => e.code).filter(Boolean))) {
      counts.set(code, (counts.get(code) ?? 0) + 1);
    }
  }
  return [...counts]
    .map(([code, count]) => ({ code, count }))
    .sort((a, b) => b.count - a.count || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0))
    .slice(0, TOP_ERRORS);
}

/** The errors of the newest run that has any (a failed one first). */
function newestErrors(runs: readonly BriefRun[]): ServiceErrorEntry[] {
  const failedRun = runs.find((r) => classifyStatus(r.status) === 'failure' && r.errors.length > 0);
  const any = failedRun ?? runs.find((r) => r.errors.length > 0);
  return (any?.errors ?? []).slice(0, NEWEST_ERRORS);
}

// ---- verdicts ----

export type Finding = 'stale' | 'failed';

/** `fail-on`: which findings fail the step (`none`: an empty set). */
export type FailOn = ReadonlySet<Finding>;

/** The findings of a flow, whether or not `fail-on` names them. */
export function findingsOf(health: FlowHealth): Finding[] {
  const findings: Finding[] = [];
  if (health.stale) findings.push('stale');
  if (health.failing) findings.push('failed');
  return findings;
}

/** Whether the flow fails the step: unreadable, or a finding `fail-on` names. */
export function failsStep(health: FlowHealth, failOn: FailOn): boolean {
  return health.unreadable !== undefined || findingsOf(health).some((f) => failOn.has(f));
}

/** Unhealthy, for the summary's sections and for incidents: unreadable, stale or failing, whatever `fail-on` says. */
export function isUnhealthy(health: FlowHealth): boolean {
  return health.unreadable !== undefined || findingsOf(health).length > 0;
}

/** The `healthy` output: no flow fails the step. */
export function allHealthy(healths: readonly FlowHealth[], failOn: FailOn): boolean {
  return healths.every((h) => !failsStep(h, failOn));
}

/** Fresh for the `wait` gate: readable and not stale. */
export function isFresh(health: FlowHealth): boolean {
  return health.unreadable === undefined && !health.stale;
}

/** One entry of the `report` output, keys as ACTION.md lists them; unknown values are null. */
export function reportEntry(health: FlowHealth, issueUrl?: string) {
  const newestAt = health.newest?.at;
  return {
    flowId: health.flowId,
    name: health.flow?.name ?? null,
    state: health.flow?.state ?? null,
    frequency: health.flow?.frequency ?? null,
    lastRunId: health.newest?.id ?? null,
    lastRunStatus: health.newest?.status ?? null,
    lastRunAt: newestAt === undefined ? null : Math.floor(newestAt / 1000),
    lastSuccessAt: health.lastSuccessAt ?? null,
    dataThrough: health.dataThrough ?? null,
    ageSeconds: health.ageSeconds ?? null,
    stale: health.stale,
    runs: health.runCount,
    succeeded: health.succeeded,
    failed: health.failed,
    medianDurationSeconds: health.medianDurationSeconds ?? null,
    recordsIn: health.recordsIn ?? null,
    recordsFailed: health.recordsFailed ?? null,
    topErrors: health.topErrors.map((e) => ({ code: e.code, count: e.count })),
    issueUrl: issueUrl ?? null,
  };
}

export type ReportEntry = ReturnType<typeof reportEntry>;

// ---- small helpers ----

function isSuccess(status: string | undefined): boolean {
  const outcome = classifyStatus(status);
  return outcome === 'success' || outcome === 'partial';
}

function positive(value: number | undefined): number | undefined {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : undefined;
}

function max(values: Array<number | undefined>): number | undefined {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length === 0 ? undefined : Math.max(...known);
}

/** Whole seconds; the mean of the middle two for an even count. */
function median(valuesMs: number[]): number | undefined {
  if (valuesMs.length === 0) return undefined;
  const sorted = [...valuesMs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const ms = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return Math.round(ms / 1000);
}

/** The sum of the counts known (a negative count is the service's "unknown"); undefined when none is. */
function total(values: Array<number | undefined>): number | undefined {
  const known = values.filter((v): v is number => v !== undefined && Number.isFinite(v) && v >= 0);
  return known.length === 0 ? undefined : known.reduce((a, b) => a + b, 0);
}
