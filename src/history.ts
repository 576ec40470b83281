// What a flow's past runs say about its next one: where the next window starts (the end of the
// newest window that succeeded) and which runs are still going. Pure functions over a list of runs,
// as the service listed them: they filter and sort on their own, and trust no order or filter of the
// server's.
import type { Run } from './answers.js';
import type { WindowOrigin } from './outcome.js';
import { classifyStatus } from './status.js';
import { isoSeconds } from './time.js';

export interface WindowRules {
  /** Where every window ends at the latest (unix seconds): `window-end`. */
  windowEnd: number;
  /** Where the window starts when no run has succeeded yet (unix seconds): `first-window-start`. */
  firstWindowStart: number | undefined;
  /** The longest window one run may take: `max-window`. */
  maxWindowMs: number | undefined;
}

/** A successful run whose window is known: the one the next window follows. */
export interface Success {
  run: Run;
  /** Its window, known to be there. */
  window: NonNullable<Run['window']>;
}

export type NextWindow =
  | { kind: 'window'; start: number; end: number; origin: WindowOrigin }
  /** Nothing new: the newest successful window already reaches `window-end`. */
  | { kind: 'empty'; after: Success }
  /** No run succeeded, and no `first-window-start` was given. */
  | { kind: 'no success' }
  /**
   * Runs succeeded whose windows cannot be read, newer than any success whose window can: starting
   * from an older window (or the first one) could ingest their data a second time.
   */
  | { kind: 'unreadable'; runs: Run[] };

/** Why there is no window to take: no success to start after, or nothing new. */
export type NoWindow = Exclude<NextWindow, { kind: 'window' }>;

/** How long a run that is not final still counts as running: older ones are taken as stuck. */
export const IN_FLIGHT_MS = 24 * 3_600_000;

/**
 * The newest successful (or partially successful) run with a known window: the one whose window
 * ends last, and of those the one created last.
 */
export function newestSuccess(runs: readonly Run[]): Success | undefined {
  let best: Success | undefined;
  for (const run of runs) {
    if (!succeeded(run) || !run.window) continue;
    const later =
      !best ||
      run.window.end > best.window.end ||
      (run.window.end === best.window.end && (run.createdAt ?? 0) > (best.run.createdAt ?? 0));
    if (later) best = { run, window: run.window };
  }
  return best;
}

/** The next window of a flow with these runs: from where the newest success ended, or the first one. */
export function nextWindow(runs: readonly Run[], rules: WindowRules): NextWindow {
  const success = newestSuccess(runs);
  // The window never moves back: a later success whose window is unknown may have taken any window.
  const unreadable = runs.filter(
    (r) => succeeded(r) && !r.window && (!success || (r.createdAt ?? Infinity) > (success.run.createdAt ?? 0)),
  );
  if (unreadable.length > 0) return { kind: 'unreadable', runs: unreadable };
  if (!success && rules.firstWindowStart === undefined) return { kind: 'no success' };
  const start = success ? success.window.end : rules.firstWindowStart!;
  const cap = rules.maxWindowMs === undefined ? Infinity : start + Math.floor(rules.maxWindowMs / 1000);
  const end = Math.min(rules.windowEnd, cap);
  if (success && start >= end) return { kind: 'empty', after: success };
  const capped = end < rules.windowEnd;
  const origin: WindowOrigin = success
    ? {
        kind: 'last success',
        runId: success.run.id,
        status: success.run.status ?? '',
        endedAt: success.run.metrics?.durationSummary?.completedAtUTC,
        capped,
      }
    : { kind: 'first window', capped };
  return { kind: 'window', start, end, origin };
}

/** The most windows one step catches up: a given range is refused beyond it, a computed one cut short. */
export const MAX_WINDOWS = 1000;

/** One window of a range, unix seconds. */
export interface Span {
  start: number;
  end: number;
}

/**
 * `catch-up`: the range split into windows of exactly `max-window`, oldest first, the last one shorter
 * when the range does not divide evenly. An empty range has no windows.
 */
export function splitWindows(range: Span, maxWindowMs: number): Span[] {
  const step = Math.max(1, Math.floor(maxWindowMs / 1000));
  const windows: Span[] = [];
  for (let start = range.start; start < range.end; start += step) {
    windows.push({ start, end: Math.min(start + step, range.end) });
  }
  return windows;
}

/**
 * `catch-up` with `last-success`: every window from where the newest success ended (or the first
 * window's start) up to `window-end`, each at most `max-window`. The same answers as `nextWindow`
 * when there is nothing to split.
 */
export function windowsToCatchUp(
  runs: readonly Run[],
  rules: WindowRules & { maxWindowMs: number },
): NoWindow | { kind: 'windows'; windows: Span[]; origin: WindowOrigin } {
  const next = nextWindow(runs, { ...rules, maxWindowMs: undefined });
  if (next.kind !== 'window') return next;
  // A range longer than MAX_WINDOWS windows is taken in steps: the next step resumes where this one ends.
  const end = Math.min(next.end, next.start + MAX_WINDOWS * Math.max(1, Math.floor(rules.maxWindowMs / 1000)));
  const capped = end < next.end;
  return {
    kind: 'windows',
    windows: splitWindows({ start: next.start, end }, rules.maxWindowMs),
    origin: next.origin.kind === 'inputs' ? next.origin : { ...next.origin, capped },
  };
}

/** Runs created in the last 24 hours whose status is not final yet, newest first. */
export function runsInFlight(runs: readonly Run[], nowMs: number): Run[] {
  return runs
    .filter((r) => classifyStatus(r.status) === 'pending')
    .filter((r) => r.createdAt !== undefined && r.createdAt >= nowMs - IN_FLIGHT_MS)
    .sort((a, b) => b.createdAt! - a.createdAt!);
}

/** The runs, with each one read again since (by waiting for it) in place of its listed self. */
export function withReads(runs: readonly Run[], reads: readonly Run[]): Run[] {
  const latest = new Map(reads.map((r) => [r.id, r]));
  return runs.map((r) => latest.get(r.id) ?? r);
}

/**
 * "after run X, which succeeded at T; capped by max-window": where a window came from, for the log
 * and the summary. `id` formats the run ID (the summary sets it in code).
 */
export function originText(origin: WindowOrigin, id: (runId: string) => string = (runId) => runId): string {
  const capped = origin.kind !== 'inputs' && origin.capped ? '; capped by max-window' : '';
  if (origin.kind === 'first window') return `first window: no successful run yet${capped}`;
  if (origin.kind === 'inputs') return 'from the inputs';
  const verb = classifyStatus(origin.status) === 'partial' ? 'partially succeeded' : 'succeeded';
  const at = origin.endedAt ? ` at ${isoSeconds(Math.floor(origin.endedAt / 1000))}` : '';
  return `after run ${id(origin.runId)}, which ${verb}${at}${capped}`;
}

/** Whether a run succeeded, fully or partially: its window was ingested. */
function succeeded(run: Run): boolean {
  const outcome = classifyStatus(run.status);
  return outcome === 'success' || outcome === 'partial';
}
