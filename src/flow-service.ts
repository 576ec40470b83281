// The Flow Service `/runs` calls: the request headers, every documented answer shape, Adobe's error
// bodies, and the one rule that matters most: a run request is never sent twice for one step.
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import { backoffMs, certainlyNotSent, NetworkError, type RetryMode } from './faults.js';
import type { HttpClient, HttpResponse } from './http.js';
import { AuthError, type TokenSource } from './ims.js';
import { excerpt, inert, parseJson } from './untrusted.js';

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

const errorEntry = z.looseObject({ code: z.unknown().optional(), message: z.unknown().optional() });
const count = z.number().optional().catch(undefined);

const metricsSchema = z.looseObject({
  statusSummary: z
    .looseObject({
      status: z.string().optional().catch(undefined),
      errors: z.array(errorEntry).optional().catch(undefined),
    })
    .optional()
    .catch(undefined),
  durationSummary: z.looseObject({ startedAtUTC: count, completedAtUTC: count }).optional().catch(undefined),
  sizeSummary: z.looseObject({ inputBytes: count, outputBytes: count }).optional().catch(undefined),
  recordSummary: z
    .looseObject({
      inputRecordCount: count,
      createdRecordCount: count,
      updatedRecordCount: count,
      skippedRecordCount: count,
      failedRecordCount: count,
    })
    .optional()
    .catch(undefined),
  fileSummary: z
    .looseObject({ inputFileCount: count, outputFileCount: count, failedFileCount: count })
    .optional()
    .catch(undefined),
});

const activitySchema = z.looseObject({
  statusSummary: z
    .looseObject({
      errors: z.array(errorEntry).optional().catch(undefined),
      extensions: z
        .looseObject({ errors: z.array(errorEntry).optional().catch(undefined) })
        .optional()
        .catch(undefined),
    })
    .optional()
    .catch(undefined),
});

const runSchema = z.looseObject({
  id: z.string().min(1),
  flowId: z.string().optional().catch(undefined),
  etag: z.string().optional().catch(undefined),
  eTag: z.string().optional().catch(undefined),
  createdAt: z.coerce.number().optional().catch(undefined),
  params: z.record(z.string(), z.unknown()).optional().catch(undefined),
  metrics: metricsSchema.optional().catch(undefined),
  activities: z.array(activitySchema).optional().catch(undefined),
});

type RunBody = z.output<typeof runSchema>;
export type RunMetrics = z.output<typeof metricsSchema>;

export interface ServiceErrorEntry {
  code: string;
  message: string;
}

/** A run as this action needs it: what the service said, in one shape whatever the answer's shape. */
export interface Run {
  id: string;
  etag: string | undefined;
  status: string | undefined;
  flowId: string | undefined;
  createdAt: number | undefined;
  params: Record<string, unknown> | undefined;
  metrics: RunMetrics | undefined;
  /** The run's own errors: statusSummary, then each activity's. */
  errors: ServiceErrorEntry[];
}

// Three shapes answer a run request: {items: [run]}, {id, etag} and the whole run; reads use the first.
const listAnswer = z.looseObject({
  items: z.array(runSchema),
  _links: z
    .looseObject({ next: z.looseObject({ href: z.string() }).optional().catch(undefined) })
    .optional()
    .catch(undefined),
});

/** The service said no, or said something we cannot use. The message is safe and complete. */
export class ServiceError extends Error {
  override name = 'ServiceError';
  constructor(
    message: string,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** A run request whose outcome could not be known, and no run was found for it. */
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
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Answers after which a run may or may not exist: the request reached the service. */
const UNKNOWN_OUTCOME_STATUS = new Set([500, 502, 504]);
const MAX_RUN_REQUESTS = 3;
/** How far a run's createdAt may precede our request (clocks differ between us and Adobe). */
const CLOCK_SKEW_MS = 60_000;
const MAX_LIST_PAGES = 20;

export class FlowServiceClient {
  private readonly base: string;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(private readonly options: FlowServiceOptions) {
    this.base = `${options.platformUrl}/data/foundation/flowservice`;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms, signal) => delay(ms, undefined, { signal }));
  }

  /**
   * POST /runs. Retried blindly only where the service certainly did nothing (see http.ts). When the
   * outcome is unknown (connection lost after sending, 500/502/504), the run is looked for first and
   * adopted if it exists; the request is sent again only when no such run is found.
   */
  async createRun(request: RunRequest, signal?: AbortSignal): Promise<Run> {
    const body = JSON.stringify(request);
    const firstSentAt = this.now();
    for (let sent = 1; ; sent++) {
      let res: HttpResponse | undefined;
      let lost: string;
      try {
        res = await this.call('POST', '/runs', { body, retry: 'unacted', signal });
      } catch (error) {
        if (!(error instanceof NetworkError) || certainlyNotSent(error.code)) throw error;
        lost = error.message;
      }
      if (res) {
        if (res.status === 200 || res.status === 201) return this.parseRun(res, 'the run request');
        if (!UNKNOWN_OUTCOME_STATUS.has(res.status)) throw serviceError(res, 'create a run');
        lost = serviceError(res, 'create a run').message;
      }
      this.options.log.warning(
        `The answer to the run request was lost (${lost!}). Looking for a run it may have created before deciding to send it again.`,
      );
      await this.sleep(backoffMs(sent), signal); // gives the service time to list a run it did create
      const found = await this.findRun(request, firstSentAt - CLOCK_SKEW_MS, signal);
      if (found) {
        this.options.log.info(`Found run ${found.id}, created by the request whose answer was lost: using it.`);
        return found;
      }
      if (sent >= MAX_RUN_REQUESTS) {
        throw new UnknownOutcomeError(
          `The run request was sent ${sent} times and each answer was lost (last: ${lost!}); no run of flow ` +
            `${request.flowId} with these parameters was found. Check Dataflow activity in Platform before running this step again.`,
        );
      }
      this.options.log.info(`No run of flow ${request.flowId} was created by it: sending the run request again.`);
    }
  }

  /** GET /runs/{id}. */
  async getRun(runId: string, signal?: AbortSignal): Promise<Run> {
    const res = await this.call('GET', `/runs/${encodeURIComponent(runId)}`, { retry: 'idempotent', signal });
    if (res.status !== 200) throw serviceError(res, `read run ${runId}`);
    return this.parseRun(res, `the read of run ${runId}`, runId);
  }

  /** The newest run of the flow created since `sinceMs` with the same window and start time, if any. */
  async findRun(request: RunRequest, sinceMs: number, signal?: AbortSignal): Promise<Run | undefined> {
    const matches: Run[] = [];
    let continuation: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const query = `property=flowId==${encodeURIComponent(request.flowId)}${
        continuation ? `&continuationToken=${encodeURIComponent(continuation)}` : ''
      }`;
      const res = await this.call('GET', `/runs?${query}`, { retry: 'idempotent', signal });
      if (res.status !== 200) throw serviceError(res, `list the runs of flow ${request.flowId}`);
      const answer = listAnswer.safeParse(parseJson(res.text));
      if (!answer.success) throw malformed(res, `the list of runs of flow ${request.flowId}`);
      for (const item of answer.data.items) {
        const run = toRun(item);
        if ((run.createdAt ?? 0) >= sinceMs && sameRequest(run, request)) matches.push(run);
      }
      continuation = continuationOf(answer.data);
      if (!continuation) break;
    }
    return matches.sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0))[0];
  }

  /** One Platform call with the current token; after a 401, once more with a renewed token. */
  private async call(
    method: 'GET' | 'POST',
    path: string,
    { body, retry, signal }: { body?: string; retry: RetryMode; signal?: AbortSignal },
  ): Promise<HttpResponse> {
    const send = (token: string) =>
      this.options.http.send({
        method,
        url: `${this.base}${path}`,
        headers: this.headers(token, body),
        body,
        retry,
        signal,
      });
    const token = await this.options.tokens.current(signal);
    const res = await send(token);
    if (res.status !== 401) return res;
    let renewed: string;
    try {
      renewed = await this.options.tokens.renew(token, signal);
    } catch (error) {
      if (error instanceof AuthError)
        throw new AuthError(`${error.message} ${serviceError(res, 'accept the token').message}`);
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

  private parseRun(res: HttpResponse, what: string, runId?: string): Run {
    const json = parseJson(res.text);
    const list = listAnswer.safeParse(json);
    if (list.success) {
      const item = list.data.items.find((r) => r.id === runId) ?? list.data.items[0];
      if (!item) throw malformed(res, what); // an empty `items`
      return toRun(item);
    }
    const single = runSchema.safeParse(json);
    if (!single.success) throw malformed(res, what);
    return toRun(single.data);
  }
}

function toRun(body: RunBody): Run {
  const errors: ServiceErrorEntry[] = [];
  const collect = (list: Array<{ code?: unknown; message?: unknown }> | undefined) => {
    for (const e of list ?? []) errors.push({ code: inert(e.code ?? '', 100), message: inert(e.message ?? '') });
  };
  collect(body.metrics?.statusSummary?.errors);
  for (const activity of body.activities ?? []) {
    collect(activity.statusSummary?.errors);
    collect(activity.statusSummary?.extensions?.errors);
  }
  return {
    id: body.id,
    etag: body.etag ?? body.eTag,
    status: body.metrics?.statusSummary?.status,
    flowId: body.flowId,
    createdAt: body.createdAt,
    params: body.params,
    metrics: body.metrics,
    errors,
  };
}

/** Same flow, same window, same start: the params echo our numbers, maybe as strings. */
function sameRequest(run: Run, request: RunRequest): boolean {
  if (run.flowId !== undefined && run.flowId !== request.flowId) return false;
  const p = run.params ?? {};
  const { startTime, windowStartTime, windowEndTime } = request.params;
  return (
    Number(p.windowStartTime) === windowStartTime &&
    Number(p.windowEndTime) === windowEndTime &&
    (p.startTime === undefined || Number(p.startTime) === startTime)
  );
}

function continuationOf(answer: z.output<typeof listAnswer>): string | undefined {
  const direct = (answer as Record<string, unknown>).continuationToken;
  if (typeof direct === 'string' && direct) return direct;
  const href = answer._links?.next?.href;
  if (!href) return undefined;
  return new URL(href, 'https://placeholder.invalid').searchParams.get('continuationToken') ?? undefined;
}

const gatewayError = z.looseObject({
  error_code: z.unknown().optional(),
  code: z.unknown().optional(),
  message: z.unknown().optional(),
  type: z.unknown().optional(),
  title: z.unknown().optional(),
  errorMessage: z.unknown().optional(),
  report: z
    .looseObject({ 'detailed-message': z.unknown().optional(), 'request-id': z.unknown().optional() })
    .optional()
    .catch(undefined),
});

/** "Flow Service could not X: HTTP 400 FLOW-1430-400: title; detail (request ID r)". */
export function serviceError(res: HttpResponse, action: string): ServiceError {
  const parsed = gatewayError.safeParse(parseJson(res.text));
  let code: string | undefined;
  const parts: string[] = [];
  let requestId = headerValue(res.headers['x-request-id']);
  if (parsed.success) {
    const b = parsed.data;
    const typeCode = typeof b.type === 'string' ? b.type.split('/').pop() : undefined;
    code = [b.error_code, typeCode, b.code].find((c) => typeof c === 'string' || typeof c === 'number')?.toString();
    for (const text of [b.title, b.report?.['detailed-message'], b.errorMessage, b.message]) {
      if (typeof text === 'string' && text.trim() && !parts.includes(inert(text))) parts.push(inert(text));
    }
    if (typeof b.report?.['request-id'] === 'string') requestId = b.report['request-id'];
  }
  const detail = parts.length > 0 ? parts.join('; ') : excerpt(res.text);
  const codeText = code ? ` ${inert(code, 60)}` : '';
  const request = requestId ? ` (request ID ${inert(requestId, 80)})` : '';
  return new ServiceError(
    `Flow Service could not ${action}: HTTP ${res.status}${codeText}: ${detail}${request}`,
    res.status,
    code,
  );
}

function malformed(res: HttpResponse, what: string): ServiceError {
  return new ServiceError(
    `Flow Service answered ${what} with HTTP ${res.status} and a body that is not a run: ${excerpt(res.text)}`,
    res.status,
  );
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
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
