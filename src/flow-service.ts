// The Flow Service's resources: runs (create, read, list, re-trigger) and flows. Only this module
// knows their paths. Sending is transport.ts's; the at-most-once rule for requests that start a run
// is start-once.ts's; what the answers mean is answers.ts's.
import {
  parseBriefRunPage,
  parseFlowAnswer,
  parseRunAnswer,
  parseRunPage,
  serviceError,
  ServiceError,
  type Answer,
  type BriefRun,
  type Flow,
  type Run,
  type RunPage,
} from './answers.js';
import type { HttpClient } from './http.js';
import type { TokenSource } from './ims.js';
import { startOnce, type StartOnceContext } from './start-once.js';
import { Transport, type Sending } from './transport.js';

export { UnknownOutcomeError } from './start-once.js';

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

const API = '/data/foundation/flowservice';
const MAX_LIST_PAGES = 20;
const FLOW_NOT_FOUND = 'FLOW-1430-400';

/** A flow's runs as listed; `complete` is false when the list was cut at its bound of pages. */
export interface ListedRuns<T> {
  runs: T[];
  complete: boolean;
}

export interface ListRunsOptions {
  /** Asks for runs started after this (epoch ms): `property=metrics.durationSummary.startedAtUTC>{ms}`. */
  startedAfterMs?: number;
  /** Runs per page asked (`limit`). */
  limit?: number;
}
/**
 * The two spellings of the re-trigger op: Adobe's tutorial's, then the enum of Adobe's OpenAPI file.
 * Which one the service takes cannot be known offline, so the client speaks both.
 */
const RETRIGGER_OPS = ['re-trigger', 'RE_TRIGGER'] as const;
/** Answers that refuse a request before acting on it: a spelling the service does not take gets one. */
const REFUSED_STATUS = new Set([400, 422]);

function retriggerPath(runId: string, op: string): string {
  return `${API}/runs/${encodeURIComponent(runId)}/action?op=${op}`;
}

/** The requests a step would send, as a dry run tells them: only the client knows the service's URLs. */
export function describeRequests(platformUrl: string) {
  const base = `${platformUrl}${API}`;
  return {
    /** Where the run request goes (POST). */
    createRun: `${base}/runs`,
    /** GET of one run. */
    readRun: (runId: string) => `${base}/runs/${runId}`,
    /** POST that re-triggers a run. */
    retrigger: (runId: string) => `${base}/runs/${runId}/action?op=${RETRIGGER_OPS[0]}`,
  };
}

export class FlowServiceClient {
  private readonly transport: Transport;
  private readonly starting: StartOnceContext;
  /** The re-trigger spelling the service took in this step, once one has been taken. */
  private retriggerOp: string | undefined;
  private readonly warned = new Set<string>();
  /** A warning about the service's answers, once per step however often the same answer comes. */
  private readonly warn: (message: string) => void;

  constructor(options: FlowServiceOptions) {
    this.transport = new Transport(options);
    this.warn = (message) => {
      if (this.warned.has(message)) return;
      this.warned.add(message);
      options.log.warning(message);
    };
    this.starting = {
      listRuns: (flowId, signal) => this.listRuns(flowId, signal),
      log: options.log,
      deadline: options.deadline,
      now: options.now,
      sleep: options.sleep,
    };
  }

  /** POST /runs: a new run of the flow, never two. */
  createRun(request: RunRequest, signal?: AbortSignal): Promise<Run> {
    const body = JSON.stringify(request);
    return startOnce(
      {
        what: 'the run request',
        action: 'create a run',
        send: (s) => this.transport.trySend({ method: 'POST', path: `${API}/runs`, body, retry: 'unacted', signal: s }),
        flowId: request.flowId,
        window: { start: request.params.windowStartTime, end: request.params.windowEndTime },
        startTime: request.params.startTime,
        known: new Set(),
      },
      this.starting,
      signal,
    );
  }

  /**
   * POST /runs/{id}/action?op=re-trigger: the failed run's window again, never twice. The answer may
   * name a new run, or the failed run itself restarting (Adobe's OpenAPI file: "returns the updated
   * flow run"); following such a run is follow.ts's concern.
   */
  async retrigger(failed: Run, known: ReadonlySet<string>, signal?: AbortSignal): Promise<Run> {
    const action = `re-trigger run ${failed.id}`;
    const fresh = await startOnce(
      {
        what: `the re-trigger of run ${failed.id}`,
        action,
        send: (s) => this.sendRetrigger(failed.id, action, s),
        flowId: failed.flowId ?? '',
        window: failed.window,
        known: new Set([...known, failed.id]),
        restarts: failed,
      },
      this.starting,
      signal,
    );
    // The failed run itself, unchanged (Adobe's OpenAPI file answers "the updated flow run"): its status
    // is the old attempt's end, and says nothing yet of the new one.
    const unchanged = fresh.id === failed.id && (fresh.etag === undefined || fresh.etag === failed.etag);
    return unchanged ? { ...fresh, status: undefined, metrics: undefined, errors: [] } : fresh;
  }

  /** GET /runs/{id}. */
  async getRun(runId: string, signal?: AbortSignal): Promise<Run> {
    const res = await this.get(`/runs/${encodeURIComponent(runId)}`, signal);
    if (res.status !== 200) throw serviceError(res, `read run ${runId}`);
    return parseRunAnswer(res, `the read of run ${runId}`, { runId, warn: this.warn });
  }

  /**
   * GET /runs?property=flowId==X, every page up to a bound. The server is asked to filter and sort,
   * but neither is trusted: runs of other flows are dropped here, and the caller sorts (and drops runs
   * older than `startedAfterMs`: the start-time filter may be ignored). A list that repeats itself (a
   * page token, or a page of runs, seen before) ends there; no run counts twice. A next link is read
   * for its continuation token only, so a relative one (`/runs?...`) cannot lead to another host or path.
   */
  listRuns(flowId: string, signal?: AbortSignal, options: ListRunsOptions = {}): Promise<ListedRuns<Run>> {
    return this.walkRuns(flowId, (res, what) => parseRunPage(res, what, this.warn), signal, options);
  }

  /** The same list, each run read only as far as judging a flow's health needs (the check's lists). */
  listBriefRuns(flowId: string, signal?: AbortSignal, options: ListRunsOptions = {}): Promise<ListedRuns<BriefRun>> {
    return this.walkRuns(flowId, parseBriefRunPage, signal, options);
  }

  private async walkRuns<T extends BriefRun>(
    flowId: string,
    parsePage: (res: Answer, what: string) => RunPage<T>,
    signal: AbortSignal | undefined,
    options: ListRunsOptions,
  ): Promise<ListedRuns<T>> {
    const runs = new Map<string, T>();
    const seen = { tokens: new Set<string>(), runs: new Set<string>() };
    let continuation: string | undefined;
    const filter = [
      `property=${encodeURIComponent(`flowId==${flowId}`)}`,
      ...(options.startedAfterMs === undefined
        ? []
        : [
            `property=${encodeURIComponent(`metrics.durationSummary.startedAtUTC>${Math.floor(options.startedAfterMs)}`)}`,
          ]),
      'orderby=-createdAt',
      ...(options.limit === undefined ? [] : [`limit=${options.limit}`]),
    ].join('&');
    const what = `the list of runs of flow ${flowId}`;
    const repeated = () => {
      this.warn(`Flow Service repeated a page in ${what}: read it up to there (${runs.size} runs).`);
      return { runs: [...runs.values()], complete: true };
    };
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const query = `${filter}${continuation ? `&continuationToken=${encodeURIComponent(continuation)}` : ''}`;
      const res = await this.get(`/runs?${query}`, signal);
      if (res.status !== 200) throw serviceError(res, `list the runs of flow ${flowId}`);
      const answer = parsePage(res, what);
      if (answer.runs.length > 0 && answer.runs.every((run) => seen.runs.has(run.id))) return repeated();
      for (const run of answer.runs) {
        seen.runs.add(run.id);
        if ((run.flowId === undefined || run.flowId === flowId) && !runs.has(run.id)) runs.set(run.id, run);
      }
      continuation = answer.next;
      if (!continuation) return { runs: [...runs.values()], complete: true };
      if (seen.tokens.has(continuation)) return repeated();
      seen.tokens.add(continuation);
    }
    return { runs: [...runs.values()], complete: false };
  }

  /** GET /flows/{id}: the flow, or undefined when the sandbox has no such flow. */
  async getFlow(flowId: string, signal?: AbortSignal): Promise<Flow | undefined> {
    const res = await this.get(`/flows/${encodeURIComponent(flowId)}`, signal);
    if (res.status === 404) return undefined;
    if (res.status !== 200) {
      const error = serviceError(res, `read flow ${flowId}`);
      // Adobe's way of saying "no such flow" is a 400 with this code (flow-service README).
      if (error.code === FLOW_NOT_FOUND) return undefined;
      throw error;
    }
    return parseFlowAnswer(res, flowId); // an empty `items` is no such flow too
  }

  /**
   * One re-trigger request, in the spelling the service took before in this step; else the tutorial's,
   * and after a refusal of it (400 or 422: nothing was started) once more in the OpenAPI file's.
   */
  private async sendRetrigger(runId: string, action: string, signal?: AbortSignal): Promise<Sending> {
    const send = async (op: string) => {
      const path = retriggerPath(runId, op);
      const sending = await this.transport.trySend({ method: 'POST', path, body: '', retry: 'unacted', signal });
      if ('answer' in sending && (sending.answer.status === 200 || sending.answer.status === 201)) {
        this.retriggerOp = op;
      }
      return sending;
    };
    const refused = (sending: Sending) => 'answer' in sending && REFUSED_STATUS.has(sending.answer.status);
    if (this.retriggerOp) return send(this.retriggerOp);
    const [tutorial, openApi] = RETRIGGER_OPS;
    const first = await send(tutorial);
    if (!refused(first)) return first;
    const second = await send(openApi);
    if (!refused(second) || !('answer' in first && 'answer' in second)) return second;
    const refusal = serviceError(first.answer, action);
    throw new ServiceError(
      `${refusal.message}. Sent again with op=${openApi}: ${serviceError(second.answer, action).message}`,
      refusal.status,
      refusal.code,
    );
  }

  private get(path: string, signal?: AbortSignal) {
    return this.transport.send({ method: 'GET', path: `${API}${path}`, retry: 'idempotent', signal });
  }
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
