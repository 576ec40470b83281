// The Flow Service's resources: runs (create, read, list, re-trigger) and flows. Only this module
// knows their paths. Sending is transport.ts's; the at-most-once rule for requests that start a run
// is start-once.ts's; what the answers mean is answers.ts's.
import { parseFlowAnswer, parseRunAnswer, parseRunPage, serviceError, type Flow, type Run } from './answers.js';
import type { HttpClient } from './http.js';
import type { TokenSource } from './ims.js';
import { startOnce, type StartOnceContext } from './start-once.js';
import { Transport } from './transport.js';

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

/** The requests a step would send, as a dry run tells them: only the client knows the service's URLs. */
export function describeRequests(platformUrl: string) {
  const base = `${platformUrl}${API}`;
  return {
    /** Where the run request goes (POST). */
    createRun: `${base}/runs`,
    /** GET of one run. */
    readRun: (runId: string) => `${base}/runs/${runId}`,
    /** POST that re-triggers a run. */
    retrigger: (runId: string) => `${base}/runs/${runId}/action?op=re-trigger`,
  };
}

export class FlowServiceClient {
  private readonly transport: Transport;
  private readonly starting: StartOnceContext;

  constructor(options: FlowServiceOptions) {
    this.transport = new Transport(options);
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

  /** POST /runs/{id}/action?op=re-trigger: a new run over the failed run's window, never two. */
  retrigger(failed: Run, known: ReadonlySet<string>, signal?: AbortSignal): Promise<Run> {
    const path = `${API}/runs/${encodeURIComponent(failed.id)}/action?op=re-trigger`;
    return startOnce(
      {
        what: `the re-trigger of run ${failed.id}`,
        action: `re-trigger run ${failed.id}`,
        send: (s) => this.transport.trySend({ method: 'POST', path, body: '', retry: 'unacted', signal: s }),
        flowId: failed.flowId ?? '',
        window: failed.window,
        known: new Set([...known, failed.id]),
      },
      this.starting,
      signal,
    );
  }

  /** GET /runs/{id}. */
  async getRun(runId: string, signal?: AbortSignal): Promise<Run> {
    const res = await this.get(`/runs/${encodeURIComponent(runId)}`, signal);
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
      const res = await this.get(`/runs?${query}`, signal);
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
    const res = await this.get(`/flows/${encodeURIComponent(flowId)}`, signal);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw serviceError(res, `read flow ${flowId}`);
    return parseFlowAnswer(res, flowId);
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
