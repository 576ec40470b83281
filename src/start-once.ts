// The at-most-once rule for requests that start a run (create, re-trigger): never sent twice unless
// the service has had time to show the run the first one may have made. Its clock and its messages
// live here; how a request is sent and how runs are listed are passed in.
//
// One idea, one name: an "unknown outcome" is a request that went out and whose answer we lost (a
// connection cut after sending, 500/502/504, no answer in time), so a run may exist. Looking for the
// run settles it; when nothing can, the step fails with UnknownOutcomeError ("a run may exist").
import { setTimeout as delay } from 'node:timers/promises';
import { parseRunAnswer, serviceError, ServiceError, type Answer, type Run, type Warn } from './answers.js';
import { backoffMs, NetworkError } from './faults.js';
import { sentence, type Sending } from './transport.js';

/**
 * A request that may have started a run, and no run was found for it: the run may exist. The message
 * says where to look; running the step again could start a second ingestion.
 */
export class UnknownOutcomeError extends ServiceError {
  override name = 'UnknownOutcomeError';
}

/** Answers after which a run may or may not exist: the request reached the service. */
const UNKNOWN_OUTCOME_STATUS = new Set([500, 502, 504]);
export const MAX_START_REQUESTS = 3;
/** How far a run's createdAt may precede our request (clocks differ between us and Adobe). */
export const CLOCK_SKEW_MS = 60_000;
/**
 * How long after an unknown outcome (or after the run's start time, if later) a run it made may still
 * be missing from lists. Adobe says new runs take two to three minutes to show; two more cover clock
 * skew and a slow listing. Before then, "not found" does not mean "not created".
 */
export const LIST_SETTLE_MS = 5 * 60_000;

/** What a request that starts a run needs: how to send it, and how to recognise the run it made. */
export interface StartRequest {
  /** "the run request", "the re-trigger of run X": for log lines and errors. */
  what: string;
  /** "create a run": completes "Flow Service could not …". */
  action: string;
  /** Sends the request once (retried blindly only where the service certainly did nothing). */
  send: (signal?: AbortSignal) => Promise<Sending>;
  flowId: string;
  /** The window the new run carries (it echoes ours, or the original run's for a re-trigger). */
  window?: { start: number; end: number };
  /** The start time the run request asked for (epoch seconds); lists show runs only after it. */
  startTime?: number;
  /** Runs already known, which a lookup must not take for the new one. */
  known: ReadonlySet<string>;
  /**
   * A re-trigger's failed run as last read: the service may restart it under its own ID, so listed with
   * another etag it is the run the request made.
   */
  restarts?: Run;
}

/** The protocol's collaborators: the flow's runs, the log, the step's deadline and a clock. */
export interface StartOnceContext {
  listRuns: (flowId: string, signal?: AbortSignal) => Promise<{ runs: Run[] }>;
  log: { info(message: string): void; warning(message: string): void };
  /** Epoch ms: no request, re-send or lookup starts after it. */
  deadline: number;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

interface Clock {
  now: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Sends a request that starts a run. When the outcome is unknown, the run is looked for until the
 * service has had time to list it; it is adopted if found, and the request is sent again only when it
 * still is not. When the step's timeout comes first, the step fails saying the run may exist.
 */
export async function startOnce(request: StartRequest, context: StartOnceContext, signal?: AbortSignal): Promise<Run> {
  const clock: Clock = {
    now: context.now ?? Date.now,
    sleep: context.sleep ?? ((ms, s) => delay(ms, undefined, { signal: s })),
  };
  const firstSentAt = clock.now();
  for (let sent = 1; ; sent++) {
    const outcome = outcomeOf(await request.send(signal), request, context, signal);
    if ('run' in outcome) return outcome.run;
    const { unknown } = outcome;
    context.log.warning(
      `The answer to ${request.what} was lost (${unknown}). Looking for the run it may have made before deciding to send it again.`,
    );
    const found = await lookForNewRun(request, context, clock, firstSentAt - CLOCK_SKEW_MS, unknown, signal).catch(
      (error) => {
        // Whatever stops the looking (a token IMS will not renew, a cancel), the run may exist all the same.
        if (error instanceof UnknownOutcomeError) throw error;
        throw new UnknownOutcomeError(
          `The answer to ${request.what} was lost (${unknown}), and looking for the run it may have made failed: ` +
            `${sentence(error)} A run may exist.`,
        );
      },
    );
    if (found) {
      context.log.info(`Found run ${found.id}, made by the request whose answer was lost: following it.`);
      return found;
    }
    if (sent >= MAX_START_REQUESTS) {
      throw new UnknownOutcomeError(
        `${capitalize(request.what)} was sent ${sent} times and each answer was lost (last: ${unknown}); no run it ` +
          `made showed up in ${minutes(LIST_SETTLE_MS)} of looking. A run may still exist.`,
      );
    }
    context.log.info(
      `No run made by ${request.what} showed up in ${minutes(LIST_SETTLE_MS)} of looking: sending it again.`,
    );
  }
}

/**
 * The run one send started, or why its outcome is unknown (words for the messages). Throws when the
 * service certainly started nothing, or when a cancel cut the request short after it went out.
 */
function outcomeOf(
  sending: Sending,
  request: StartRequest,
  context: StartOnceContext,
  signal?: AbortSignal,
): { run: Run } | { unknown: string } {
  if ('answer' in sending) {
    const res = sending.answer;
    if (res.status === 200 || res.status === 201)
      return { run: startedRun(res, request.what, (m) => context.log.warning(m)) };
    if (!UNKNOWN_OUTCOME_STATUS.has(res.status)) throw serviceError(res, request.action);
    return { unknown: serviceError(res, request.action).message };
  }
  if (!sending.sent) throw sending.failure;
  // A cancel cuts the request short like a lost answer, and leaves no time to look for the run.
  if (signal?.aborted) {
    const why = signal.reason instanceof Error ? signal.reason.message : 'cancelled';
    throw new UnknownOutcomeError(
      `${capitalize(request.what)} was cut short (${why}) after it was sent: the service may have made ` +
        'a run all the same. A run may exist.',
    );
  }
  if (!(sending.failure instanceof NetworkError)) throw sending.failure;
  return { unknown: sending.failure.message };
}

/**
 * Lists the flow's runs until one made by the request shows up, or the service has had time to list
 * it (undefined: it was not made). Fails with UnknownOutcomeError when the step's timeout comes first.
 */
async function lookForNewRun(
  request: StartRequest,
  context: StartOnceContext,
  clock: Clock,
  sinceMs: number,
  unknown: string,
  signal?: AbortSignal,
): Promise<Run | undefined> {
  if (!request.flowId) {
    throw new UnknownOutcomeError(
      `The answer to ${request.what} was lost (${unknown}), and the run names no flow to look in. A run may exist.`,
    );
  }
  const settledAt = Math.max(clock.now(), (request.startTime ?? 0) * 1000) + LIST_SETTLE_MS;
  let lookupFailure = '';
  for (let look = 1; ; look++) {
    const pause = backoffMs(Math.min(look, 7)); // 0.5 s, 1 s, 2 s … up to half a minute between looks
    if (clock.now() + pause >= context.deadline) {
      throw new UnknownOutcomeError(
        `The answer to ${request.what} was lost (${unknown}), and the step's timeout came before the service ` +
          `listed a run it made${lookupFailure}. A run may exist.`,
      );
    }
    await clock.sleep(pause, signal);
    try {
      const { runs } = await context.listRuns(request.flowId, signal);
      lookupFailure = '';
      const found = runs
        .filter((run) => isMadeBy(run, request, sinceMs))
        .sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0))[0];
      if (found) return found;
      // Only a look that succeeded after the service had time to list the run says it was not made.
      if (clock.now() >= settledAt) return undefined;
    } catch (error) {
      if (signal?.aborted || !(error instanceof NetworkError || error instanceof ServiceError)) throw error;
      lookupFailure = ` (the last look failed: ${error.message})`;
    }
  }
}

/**
 * Whether a listed run is the one a request with an unknown outcome made: same flow, created since we
 * sent it, not one we knew already, and the same window when the list shows one (lists do not always
 * carry params).
 */
export function isMadeBy(run: Run, request: StartRequest, sinceMs: number): boolean {
  const { restarts } = request;
  if (restarts?.id === run.id)
    return restarts.etag !== undefined && run.etag !== undefined && run.etag !== restarts.etag;
  if (request.known.has(run.id)) return false;
  if (run.flowId !== undefined && run.flowId !== request.flowId) return false;
  if ((run.createdAt ?? 0) < sinceMs) return false;
  if (request.window && run.window) {
    if (run.window.start !== request.window.start || run.window.end !== request.window.end) return false;
  }
  const startTime = run.params?.startTime;
  return request.startTime === undefined || startTime === undefined || Number(startTime) === request.startTime;
}

/**
 * The run a 200/201 answer names. The service accepted the request, so an answer we cannot read
 * (not a run, or an ID that is not one) is an unknown outcome, never "no run was started".
 */
function startedRun(res: Answer, what: string, warn: Warn): Run {
  try {
    return parseRunAnswer(res, what, { warn });
  } catch (error) {
    if (!(error instanceof ServiceError)) throw error;
    throw new UnknownOutcomeError(
      `${error.message}. The service accepted the request, so a run may exist.`,
      res.status,
    );
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function minutes(ms: number): string {
  return `${Math.round(ms / 60_000)} minutes`;
}
