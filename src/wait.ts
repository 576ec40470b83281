// Waiting for a run: read its status every poll interval until it is final, the deadline passes,
// or the job is cancelled. How a status is read, and what time it is, are passed in.
import { setTimeout as delay } from 'node:timers/promises';
import type { Run } from './answers.js';
import { isFinal } from './status.js';

export type WaitEnd = 'final' | 'timeout' | 'cancelled';

/** How long before the deadline the last read starts, so that it can still be answered. */
const LAST_READ_LEAD_MS = 100;

export interface WaitOptions {
  /** The run as last known (from the run request). */
  run: Run;
  readRun: (signal: AbortSignal) => Promise<Run>;
  pollIntervalMs: number;
  /** When the first read comes (default: one poll interval); spreads several flows' reads apart. */
  firstReadAfterMs?: number;
  /** Epoch ms: no read starts after it. */
  deadline: number;
  signal: AbortSignal;
  /**
   * The read that ended the attempt before, when this run is that same run restarted (a re-trigger
   * answered with the failed run's own ID).
   */
  earlierEnd?: Run;
  /** Called once per status change, not once per read. */
  onStatusChange?: (run: Run, previous: string | undefined) => void;
  now?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface WaitResult {
  end: WaitEnd;
  /** The last run read, whatever the end. */
  run: Run;
  reads: number;
}

export async function waitForRun(options: WaitOptions): Promise<WaitResult> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms, signal) => delay(ms, undefined, { signal }));
  let run = options.run;
  let reads = 0;
  // A run restarted under its own ID may still read as it ended before: a final status with the
  // earlier end's etag is that end, not this attempt's, so waiting goes on. Once a read shows the run
  // running again or with a new etag, every status is the new attempt's. (Without etags, only a read
  // that shows it running tells the new attempt apart.)
  let earlierEnd = options.earlierEnd;
  const ended = (read: Run) => {
    // A read with no status (a re-trigger's answer that was the old run unchanged) tells nothing yet.
    const running = read.status !== undefined && !isFinal(read.status);
    if (earlierEnd && (read.id !== earlierEnd.id || running || read.etag !== earlierEnd.etag)) {
      earlierEnd = undefined;
    }
    return isFinal(read.status) && !earlierEnd;
  };
  // What is known of this attempt: a read that still shows the earlier end says nothing of it.
  const latest = (): Run => (earlierEnd ? { ...run, status: undefined, metrics: undefined, errors: [] } : run);
  try {
    while (!ended(run)) {
      const left = options.deadline - now();
      if (left <= LAST_READ_LEAD_MS) return { end: 'timeout', run: latest(), reads };
      // The last read lands just before the deadline rather than a whole interval early: no request
      // may start after it.
      const interval = reads === 0 ? (options.firstReadAfterMs ?? options.pollIntervalMs) : options.pollIntervalMs;
      await sleep(Math.min(interval, left - LAST_READ_LEAD_MS), options.signal);
      if (now() >= options.deadline) return { end: 'timeout', run: latest(), reads };
      const next = await options.readRun(options.signal);
      reads += 1;
      if (next.status !== run.status) options.onStatusChange?.(next, run.status);
      run = next;
    }
    return { end: 'final', run, reads };
  } catch (error) {
    if (options.signal.aborted) return { end: 'cancelled', run: latest(), reads };
    // A read the deadline cut short is the timeout, not a fault of the service.
    if (now() >= options.deadline) return { end: 'timeout', run: latest(), reads };
    throw error;
  }
}
