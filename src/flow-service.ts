// Asking the Flow Service: the request headers, token renewal, `/runs`, `/runs/{id}/action`,
// `/flows/{id}`, and the one rule that matters most: a request that starts a run (create or
// re-trigger) is never sent twice unless the service has had time to show the run it may have made.
// What the answers mean is in answers.ts.
import { setTimeout as delay } from 'node:timers/promises';
import {
  parseFlowAnswer,
  parseRunAnswer,
  parseRunPage,
  serviceError,
  ServiceError,
  type Answer,
  type Flow,
  type Run,
} from './answers.js';
import { backoffMs, certainlyNotSent, NetworkError, type RetryMode } from './faults.js';
import type { HttpClient } from './http.js';
import { AuthError, type TokenSource } from './ims.js';

export interface RunParams {
  startTime: number;
  windowStartTime: number;
  windowEndTime: number;
  deltaColumn?: { name: string };
}

export interface RunRequest {
  flowId: string;
  params: RunParams;
}

/**
 * A request that may have started a run, and no run was found for it: the run may exist. The message
 * says where to look; running the step again could start a second ingestion.
 */
export class UnknownOutcomeError extends ServiceError {
  override name = 'UnknownOutcomeError';
}

export interface FlowServiceOptions {
  platformUrl: string;
  clientId: string;
  orgId: string;
  sandboxName: string;
  tokens: TokenSource;
  http: HttpClient;
  log: { info(message: string): void; warning(message: string): void };
  /** Epoch ms: no request, re-send or lookup starts after it. */
  deadline: number;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Answers after which a run may or may not exist: the request reached the service. */
const UNKNOWN_OUTCOME_STATUS = new Set([500, 502, 504]);
const MAX_START_REQUESTS = 3;
/** How far a run's createdAt may precede our request (clocks differ between us and Adobe). */
const CLOCK_SKEW_MS = 60_000;
/**
 * How long after a lost answer (or after the run's start time, if later) a run it made may still be
 * missing from lists. Adobe says new runs take two to three minutes to show; two more cover clock
 * skew and a slow listing. Before then, "not found" does not mean "not created".
 */
export const LIST_SETTLE_MS = 5 * 60_000;
const MAX_LIST_PAGES = 20;

/** What a request that starts a run needs: how to send it, and how to recognise the run it made. */
interface StartRequest {
  /** "the run request", "the re-trigger of run X": for log lines and errors. */
  what: string;
  /** "create a run": completes "Flow Service could not …". */
  action: string;
  path: string;
  body?: string;
  flowId: string;
  /** The window the new run carries (it echoes ours, or the original run's for a re-trigger). */
  window?: { start: number; end: number };
  /** The start time the run request asked for (epoch seconds); lists show runs only after it. */
  startTime?: number;
  /** Runs already known, which a lookup must not take for the new one. */
  known: ReadonlySet<string>;
}

/** The Flow Service's addresses: only the client knows them (a dry run says what would be asked). */
export function flowServiceUrls(platformUrl: string) {
  const base = `${platformUrl}/data/foundation/flowservice`;
  return {
    base,
    runs: `${base}/runs`,
    run: (runId: string) => `${base}/runs/${encodeURIComponent(runId)}`,
    retrigger: (runId: string) => `${base}/runs/${encodeURIComponent(runId)}/action?op=re-trigger`,
  };
}

export class FlowServiceClient {
  private readonly base: string;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(private readonly options: FlowServiceOptions) {
    this.base = flowServiceUrls(options.platformUrl).base;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms, signal) => delay(ms, undefined, { signal }));
  }

  /** POST /runs: a new run of the flow, never two. */
  createRun(request: RunRequest, signal?: AbortSignal): Promise<Run> {
    return this.startOnce(
      {
        what: 'the run request',
        action: 'create a run',
        path: '/runs',
        body: JSON.stringify(request),
        flowId: request.flowId,
        window: { start: request.params.windowStartTime, end: request.params.windowEndTime },
        startTime: request.params.startTime,
        known: new Set(),
      },
      signal,
    );
  }

  /** POST /runs/{id}/action?op=re-trigger: a new run over the failed run's window, never two. */
  retrigger(failed: Run, known: ReadonlySet<string>, signal?: AbortSignal): Promise<Run> {
    return this.startOnce(
      {
        what: `the re-trigger of run ${failed.id}`,
        action: `re-trigger run ${failed.id}`,
        path: `/runs/${encodeURIComponent(failed.id)}/action?op=re-trigger`,
        flowId: failed.flowId ?? '',
        window: failed.window,
        known: new Set([...known, failed.id]),
      },
      signal,
    );
  }

  /** GET /runs/{id}. */
  async getRun(runId: string, signal?: AbortSignal): Promise<Run> {
    const res = await this.call('GET', `/runs/${encodeURIComponent(runId)}`, { retry: 'idempotent', signal });
    if (res.status !== 200) throw serviceError(res, `read run ${runId}`);
    return parseRunAnswer(res, `the read of run ${runId}`, runId);
  }

  /**
   * GET /runs?property=flowId==X, every page up to a bound. The server is asked to filter and sort,
   * but neither is trusted: runs of other flows are dropped here, and the caller sorts.
   */
  async listRuns(flowId: string, signal?: AbortSignal): Promise<{ runs: Run[]; complete: boolean }> {
    const runs: Run[] = [];
    let continuation: string | undefined;
    const filter = `property=${encodeURIComponent(`flowId==${flowId}`)}&orderby=-createdAt`;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const query = `${filter}${continuation ? `&continuationToken=${encodeURIComponent(continuation)}` : ''}`;
      const res = await this.call('GET', `/runs?${query}`, { retry: 'idempotent', signal });
      if (res.status !== 200) throw serviceError(res, `list the runs of flow ${flowId}`);
      const answer = parseRunPage(res, `the list of runs of flow ${flowId}`);
      runs.push(...answer.runs.filter((run) => run.flowId === undefined || run.flowId === flowId));
      continuation = answer.next;
      if (!continuation) return { runs, complete: true };
    }
    return { runs, complete: false };
  }

  /** GET /flows/{id}: the flow, or undefined when the sandbox has no such flow. */
  async getFlow(flowId: string, signal?: AbortSignal): Promise<Flow | undefined> {
    const res = await this.call('GET', `/flows/${encodeURIComponent(flowId)}`, { retry: 'idempotent', signal });
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw serviceError(res, `read flow ${flowId}`);
    return parseFlowAnswer(res, flowId);
  }

  /**
   * Sends a request that starts a run. Retried blindly only where the service certainly did nothing
   * (see http.ts). When the outcome is unknown (connection lost after sending, 500/502/504, no answer
   * in time), the run is looked for until the service has had time to list it; it is adopted if found,
   * and the request is sent again only when it still is not. When the step's timeout comes first, the
   * step fails saying the run may exist.
   */
  private async startOnce(request: StartRequest, signal?: AbortSignal): Promise<Run> {
    const firstSentAt = this.now();
    for (let sent = 1; ; sent++) {
      let lost: string;
      let unanswered = false;
      try {
        const res = await this.call('POST', request.path, {
          body: request.body ?? '',
          retry: 'unacted',
          signal,
          unanswered: (yes) => (unanswered = yes),
        });
        if (res.status === 200 || res.status === 201) return startedRun(res, request.what);
        if (!UNKNOWN_OUTCOME_STATUS.has(res.status)) throw serviceError(res, request.action);
        lost = serviceError(res, request.action).message;
      } catch (error) {
        // A cancel cuts the request short like a lost answer, and leaves no time to look for the run.
        if (unanswered && signal?.aborted) {
          const why = signal.reason instanceof Error ? signal.reason.message : 'cancelled';
          throw new UnknownOutcomeError(
            `${capitalize(request.what)} was cut short (${why}) after it was sent: the service may have made ` +
              'a run all the same. A run may exist.',
          );
        }
        if (!(error instanceof NetworkError) || certainlyNotSent(error.code)) throw error;
        lost = error.message;
      }
      this.options.log.warning(
        `The answer to ${request.what} was lost (${lost}). Looking for the run it may have made before deciding to send it again.`,
      );
      const found = await this.lookForNewRun(request, firstSentAt - CLOCK_SKEW_MS, lost, signal).catch((error) => {
        // Whatever stops the looking (a token IMS will not renew, a cancel), the run may exist all the same.
        if (error instanceof UnknownOutcomeError) throw error;
        throw new UnknownOutcomeError(
          `The answer to ${request.what} was lost (${lost}), and looking for the run it may have made failed: ` +
            `${sentence(error)} A run may exist.`,
        );
      });
      if (found) {
        this.options.log.info(`Found run ${found.id}, made by the request whose answer was lost: following it.`);
        return found;
      }
      if (sent >= MAX_START_REQUESTS) {
        throw new UnknownOutcomeError(
          `${capitalize(request.what)} was sent ${sent} times and each answer was lost (last: ${lost}); no run it ` +
            `made showed up in ${minutes(LIST_SETTLE_MS)} of looking. A run may still exist.`,
        );
      }
      this.options.log.info(
        `No run made by ${request.what} showed up in ${minutes(LIST_SETTLE_MS)} of looking: sending it again.`,
      );
    }
  }

  /**
   * Lists the flow's runs until one made by the request shows up, or the service has had time to list
   * it (undefined: it was not made). Fails with UnknownOutcomeError when the step's timeout comes first.
   */
  private async lookForNewRun(
    request: StartRequest,
    sinceMs: number,
    lost: string,
    signal?: AbortSignal,
  ): Promise<Run | undefined> {
    if (!request.flowId) {
      throw new UnknownOutcomeError(
        `The answer to ${request.what} was lost (${lost}), and the run names no flow to look in. A run may exist.`,
      );
    }
    const settledAt = Math.max(this.now(), (request.startTime ?? 0) * 1000) + LIST_SETTLE_MS;
    let lookupFailure = '';
    for (let look = 1; ; look++) {
      const pause = backoffMs(Math.min(look, 7)); // 0.5 s, 1 s, 2 s … up to half a minute between looks
      if (this.now() + pause >= this.options.deadline) {
        throw new UnknownOutcomeError(
          `The answer to ${request.what} was lost (${lost}), and the step's timeout came before the service ` +
            `listed a run it made${lookupFailure}. A run may exist.`,
        );
      }
      await this.sleep(pause, signal);
      try {
        const { runs } = await this.listRuns(request.flowId, signal);
        lookupFailure = '';
        const found = runs
          .filter((run) => isMadeBy(run, request, sinceMs))
          .sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0))[0];
        if (found) return found;
        // Only a look that succeeded after the service had time to list the run says it was not made.
        if (this.now() >= settledAt) return undefined;
      } catch (error) {
        if (signal?.aborted || !(error instanceof NetworkError || error instanceof ServiceError)) throw error;
        lookupFailure = ` (the last look failed: ${error.message})`;
      }
    }
  }

  /** One Platform call with the current token; after a 401, once more with a renewed token. */
  private async call(
    method: 'GET' | 'POST',
    path: string,
    {
      body,
      retry,
      signal,
      unanswered,
    }: {
      body?: string;
      retry: RetryMode;
      signal?: AbortSignal;
      /** Told when a request goes out (true) and when its answer comes (false). */
      unanswered?: (yes: boolean) => void;
    },
  ): Promise<Answer> {
    const send = async (token: string) => {
      unanswered?.(true);
      const res = await this.options.http.send({
        method,
        url: `${this.base}${path}`,
        headers: this.headers(token, body),
        body,
        retry,
        signal,
      });
      unanswered?.(false);
      return res;
    };
    const token = await tokenStep(() => this.options.tokens.current(signal));
    const res = await send(token);
    if (res.status !== 401) return res;
    let renewed: string;
    try {
      renewed = await tokenStep(() => this.options.tokens.renew(token, signal));
    } catch (error) {
      if (error instanceof AuthError)
        throw new AuthError(`${sentence(error)} ${serviceError(res, 'accept the token').message}`);
      throw error;
    }
    this.options.log.info('Platform no longer accepts the access token (401): minted a new one.');
    return send(renewed);
  }

  private headers(token: string, body: string | undefined): Record<string, string> {
    return {
      authorization: `Bearer ${token}`,
      'x-api-key': this.options.clientId,
      'x-gw-ims-org-id': this.options.orgId,
      'x-sandbox-name': this.options.sandboxName,
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    };
  }
}

/**
 * Getting a token: a network failure here is IMS's, and says nothing about a Platform request (so it
 * must never be taken for a lost answer to a run request). It fails the step as an AuthError.
 */
async function tokenStep(get: () => Promise<string>): Promise<string> {
  try {
    return await get();
  } catch (error) {
    if (error instanceof NetworkError) throw new AuthError(error.message);
    throw error;
  }
}

/**
 * Whether a listed run is the one a lost request made: same flow, created since we sent it, not one
 * we knew already, and the same window when the list shows one (lists do not always carry params).
 */
function isMadeBy(run: Run, request: StartRequest, sinceMs: number): boolean {
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
 * (not a run, or an ID that is not one) is a run that may exist, never "no run was started".
 */
function startedRun(res: Answer, what: string): Run {
  try {
    return parseRunAnswer(res, what);
  } catch (error) {
    if (!(error instanceof ServiceError)) throw error;
    throw new UnknownOutcomeError(
      `${error.message}. The service accepted the request, so a run may exist.`,
      res.status,
    );
  }
}

/** An error's message as a sentence that ends with a full stop. */
function sentence(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function minutes(ms: number): string {
  return `${Math.round(ms / 60_000)} minutes`;
}

/** The run request for a flow: times as unix-second integers, as the OpenAPI schema types them. */
export function buildRunRequest(run: {
  flowId: string;
  startTime: number;
  windowStart: number;
  windowEnd: number;
  deltaColumn: string | undefined;
}): RunRequest {
  const params: RunParams = {
    startTime: run.startTime,
    windowStartTime: run.windowStart,
    windowEndTime: run.windowEnd,
  };
  if (run.deltaColumn) params.deltaColumn = { name: run.deltaColumn };
  return { flowId: run.flowId, params };
}
