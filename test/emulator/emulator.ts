// A local stand-in for Adobe IMS and the Flow Service `/runs` endpoints, faithful to what Adobe
// documents (see README "Testing"): the same paths, headers, answer shapes, error bodies and status
// spellings, plus controls for scenarios and faults. Plain node:http on 127.0.0.1, port 0.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type CreateShape = 'items' | 'flat' | 'full';
export type Route = 'token' | 'create' | 'read' | 'list';

export interface FlowScenario {
  sourceType?: 'file' | 'table';
  /** Status after each read of the run (the last one stays). Ignored when finishAfterMs is set. */
  statuses?: string[];
  /** Or by the clock: the run is `inProgress` until this many ms after creation, then `finalStatus`. */
  finishAfterMs?: number;
  finalStatus?: string;
  /** How the run request is answered (default: the current tutorial's `items`). */
  createShape?: CreateShape;
  /** Errors in metrics.statusSummary.errors once the run is final. */
  errors?: Array<{ code: string; message: string }>;
  /** Errors an activity reports in statusSummary.extensions.errors once final. */
  activityErrors?: Array<{ code: string; message: string }>;
  records?: { input: number; created: number; updated?: number; failed: number };
  files?: { input: number; output: number; failed: number };
}

export interface Fault {
  route: Route;
  /** How many matching requests it spoils (default 1). */
  times?: number;
  /** Answer with this status (and body/headers) instead of acting. */
  status?: number;
  body?: string;
  headers?: Record<string, string>;
  /** Wait this long before doing anything else. */
  delayMs?: number;
  /** Drop the connection without an answer: before acting, or after acting (the run exists). */
  reset?: 'before' | 'after';
  /** Act, then answer 200/201 with this body instead of the real one. */
  malformed?: string;
  /** Apply `delayMs` and `status` after acting (the run exists, the answer goes wrong) instead of before. */
  afterActing?: boolean;
}

/** Decides a fault for the n-th request (from 1) of a route; for soak tests. */
export type FaultPlan = (route: Route, n: number) => Fault | undefined;

export interface EmulatorOptions {
  clientId?: string;
  clientSecret?: string;
  orgId?: string;
  sandboxes?: string[];
  flows?: Record<string, FlowScenario>;
  /** A token stops working after this many Platform requests (401), like an expired one. */
  tokenUses?: number;
  /** Runs per page of GET /runs. */
  pageSize?: number;
  /** Runs that exist before the test starts (for the flow's list). */
  existingRuns?: Array<{ flowId: string; createdAt: number; params: Record<string, unknown> }>;
  faultPlan?: FaultPlan;
  /** Hold each run request this long before answering, so concurrent ones overlap measurably. */
  createHoldMs?: number;
}

export interface RecordedRequest {
  route: Route | 'other';
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  status: number | 'reset';
  at: number;
}

export interface EmulatedRun {
  id: string;
  flowId: string;
  createdAt: number;
  params: Record<string, unknown>;
  etag: string;
  reads: number;
  /** When the emulator first reported a final status (epoch ms). */
  finalAt?: number;
}

const FLOW_BASE = '/data/foundation/flowservice';
const FINAL = new Set(['success', 'failed', 'partialsuccess', 'completed', 'partialfailure', 'cancelled']);

export class Emulator {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly orgId: string;
  readonly flows: Map<string, FlowScenario>;
  readonly runs = new Map<string, EmulatedRun>();
  readonly requests: RecordedRequest[] = [];
  readonly tokens = new Map<string, { uses: number }>();
  url = '';
  createsInFlight = 0;
  maxCreatesInFlight = 0;
  private readonly faults: Array<Fault & { left: number }> = [];
  private readonly server: Server;
  private readonly sockets = new Set<import('node:net').Socket>();

  private readonly options: EmulatorOptions;

  constructor(options: EmulatorOptions = {}) {
    this.options = options;
    this.clientId = options.clientId ?? 'test-client-id';
    this.clientSecret = options.clientSecret ?? 'test-client-secret-5f1d9c';
    this.orgId = options.orgId ?? '0123456789ABCDEF01234567@AdobeOrg';
    this.flows = new Map(Object.entries(options.flows ?? {}));
    for (const r of options.existingRuns ?? []) {
      const id = randomUUID();
      this.runs.set(id, { id, etag: `"${randomUUID()}"`, reads: 0, ...r });
    }
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  async start(port = 0): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  inject(fault: Fault): void {
    this.faults.push({ ...fault, left: fault.times ?? 1 });
  }

  /** A token as if minted elsewhere, for the `access-token` input. */
  issueToken(): string {
    const token = `eyJ-given-${randomUUID()}`;
    this.tokens.set(token, { uses: 0 });
    return token;
  }

  get tokensMinted(): number {
    return [...this.tokens.keys()].filter((t) => t.startsWith('eyJ-emulated-')).length;
  }

  /** Every token the emulator knows, minted or given: all of them are secrets. */
  get tokensMintedList(): string[] {
    return [...this.tokens.keys()];
  }

  count(route: Route): number {
    return this.requests.filter((r) => r.route === route).length;
  }

  runsOf(flowId: string): EmulatedRun[] {
    return [...this.runs.values()].filter((r) => r.flowId === flowId);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://emulator');
    const route = routeOf(req.method ?? '', url.pathname);
    const record: RecordedRequest = {
      route,
      method: req.method ?? '',
      path: `${url.pathname}${url.search}`,
      headers: req.headers,
      body,
      status: 0,
      at: Date.now(),
    };
    this.requests.push(record);
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
      res.writeHead(status, {
        'content-type': 'application/json',
        'x-request-id': `req-${this.requests.length}`,
        ...headers,
      });
      res.end(text);
    };
    const reset = () => {
      record.status = 'reset';
      req.socket.destroy();
    };

    const fault = route === 'other' ? undefined : this.takeFault(route);
    const pause = (ms: number | undefined) => (ms ? new Promise((r) => setTimeout(r, ms)) : undefined);
    if (fault && !fault.afterActing) {
      await pause(fault.delayMs);
      if (fault.reset === 'before') return reset();
      if (fault.status) return send(fault.status, fault.body ?? '', fault.headers);
    }

    let answer: { status: number; body: unknown };
    if (route === 'create') {
      this.createsInFlight += 1;
      this.maxCreatesInFlight = Math.max(this.maxCreatesInFlight, this.createsInFlight);
      try {
        answer = this.answer(route, req, url, body);
      } finally {
        await pause(this.options.createHoldMs);
        this.createsInFlight -= 1;
      }
    } else {
      answer = this.answer(route, req, url, body);
    }
    if (fault?.afterActing) {
      await pause(fault.delayMs);
      if (fault.status) return send(fault.status, fault.body ?? '', fault.headers);
    }
    if (fault?.reset === 'after') return reset();
    if (fault?.malformed !== undefined && answer.status < 300) return send(answer.status, fault.malformed);
    send(answer.status, answer.body);
  }

  /** Faults injected and spent, for the fault table: route and kind. */
  readonly faultsApplied: Array<{ route: Route; kind: string }> = [];

  private takeFault(route: Route): Fault | undefined {
    const planned = this.options.faultPlan?.(route, this.count(route));
    if (planned) {
      this.faultsApplied.push({ route, kind: faultKind(planned) });
      return planned;
    }
    const fault = this.faults.find((f) => f.route === route && f.left > 0);
    if (fault) this.faultsApplied.push({ route, kind: faultKind(fault) });
    if (fault) fault.left -= 1;
    return fault;
  }

  private answer(
    route: Route | 'other',
    req: IncomingMessage,
    url: URL,
    body: string,
  ): { status: number; body: unknown } {
    if (route === 'token') return this.token(req, body);
    if (route === 'other') return { status: 404, body: { error_code: '404001', message: 'Not found' } };
    const denied = this.authorize(req);
    if (denied) return denied;
    if (route === 'create') return this.create(req, body);
    if (route === 'read') return this.read(decodeURIComponent(url.pathname.split('/').pop()!));
    return this.list(url);
  }

  private token(req: IncomingMessage, body: string) {
    if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) {
      return { status: 400, body: { error: 'invalid_request', error_description: 'unsupported content type' } };
    }
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== 'client_credentials') {
      return {
        status: 400,
        body: { error: 'unsupported_grant_type', error_description: 'grant_type must be client_credentials' },
      };
    }
    if (form.get('client_id') !== this.clientId || form.get('client_secret') !== this.clientSecret) {
      return {
        status: 401,
        body: { error: 'invalid_client', error_description: 'invalid client_id or client_secret' },
      };
    }
    if (!form.get('scope'))
      return { status: 400, body: { error: 'invalid_scope', error_description: 'scope is required' } };
    const token = `eyJ-emulated-${randomUUID()}`;
    this.tokens.set(token, { uses: 0 });
    return { status: 200, body: { access_token: token, token_type: 'bearer', expires_in: 86399 } };
  }

  /** The gateway's checks, with its error bodies. */
  private authorize(req: IncomingMessage): { status: number; body: unknown } | undefined {
    const auth = String(req.headers.authorization ?? '');
    if (!auth.startsWith('Bearer '))
      return { status: 403, body: { error_code: '403010', message: 'Oauth token is missing.' } };
    const token = this.tokens.get(auth.slice(7));
    if (!token) return { status: 401, body: { error_code: '401013', message: 'Oauth token is not valid' } };
    token.uses += 1;
    if (this.options.tokenUses !== undefined && token.uses > this.options.tokenUses) {
      return { status: 401, body: { error_code: '401013', message: 'Oauth token is not valid' } };
    }
    if (req.headers['x-api-key'] !== this.clientId)
      return { status: 403, body: { error_code: '403003', message: 'Api Key is invalid' } };
    if (req.headers['x-gw-ims-org-id'] !== this.orgId) {
      return { status: 403, body: { error_code: '403025', message: 'Profile is not valid' } };
    }
    const sandbox = req.headers['x-sandbox-name'];
    if (!(this.options.sandboxes ?? ['prod']).includes(String(sandbox))) {
      return { status: 403, body: { error_code: '403027', message: `Sandbox '${sandbox}' is not accessible` } };
    }
    return undefined;
  }

  private create(req: IncomingMessage, text: string) {
    if (req.headers['content-type'] !== 'application/json')
      return flowError(415, 'FLOW-1001-415', 'Content-Type must be application/json');
    let body: { flowId?: unknown; params?: Record<string, unknown> };
    try {
      body = JSON.parse(text);
    } catch {
      return flowError(400, 'FLOW-1002-400', 'Request body is not valid JSON');
    }
    const flow = typeof body.flowId === 'string' ? this.flows.get(body.flowId) : undefined;
    if (!flow) return flowError(400, 'FLOW-1430-400', `Flow with id ${String(body.flowId)} not found`);
    const params = body.params ?? {};
    for (const key of ['startTime', 'windowStartTime', 'windowEndTime']) {
      const value = params[key];
      // The OpenAPI schema says integer; the tutorial sends numeric strings: both are taken.
      if (!/^\d{10}$/.test(String(value)) || (typeof value !== 'number' && typeof value !== 'string')) {
        return flowError(400, 'FLOW-1003-400', `params.${key} must be unix seconds, got ${JSON.stringify(value)}`);
      }
    }
    if (Number(params.windowEndTime) <= Number(params.windowStartTime)) {
      return flowError(400, 'FLOW-1003-400', 'params.windowEndTime must be after params.windowStartTime');
    }
    if (params.deltaColumn !== undefined && (flow.sourceType ?? 'file') === 'file') {
      return flowError(400, 'FLOW-1004-400', 'deltaColumn is not supported for file-based sources');
    }
    const run: EmulatedRun = {
      id: randomUUID(),
      flowId: body.flowId as string,
      createdAt: Date.now(),
      params,
      etag: `"${randomUUID()}"`,
      reads: 0,
    };
    this.runs.set(run.id, run);
    const shape = flow.createShape ?? 'items';
    if (shape === 'items') return { status: 201, body: { items: [{ id: run.id, etag: run.etag }] } };
    if (shape === 'flat') return { status: 201, body: { id: run.id, etag: run.etag } };
    return { status: 201, body: this.runBody(run, 'scheduled') };
  }

  private read(id: string) {
    const run = this.runs.get(id);
    if (!run) return flowError(404, 'FLOW-1431-404', `Run with id ${id} not found`);
    run.reads += 1;
    return { status: 200, body: { items: [this.runBody(run, this.statusOf(run))], _links: {}, count: 1 } };
  }

  private list(url: URL) {
    const filter = /^flowId==(.+)$/.exec(url.searchParams.get('property') ?? '');
    const all = [...this.runs.values()]
      .filter((r) => !filter || r.flowId === filter[1])
      .sort((a, b) => a.createdAt - b.createdAt); // oldest first: a client must page to find new runs
    const size = this.options.pageSize ?? 100;
    const start = Number(url.searchParams.get('continuationToken') ?? 0);
    const page = all.slice(start, start + size);
    const next = start + size < all.length ? String(start + size) : undefined;
    const nextHref = next ? `/runs?property=${url.searchParams.get('property')}&continuationToken=${next}` : undefined;
    return {
      status: 200,
      body: {
        items: page.map((r) => this.runBody(r, this.statusOf(r, false))),
        _links: nextHref ? { next: { href: nextHref } } : {},
        count: page.length,
      },
    };
  }

  private statusOf(run: EmulatedRun, counting = true): string {
    const flow = this.flows.get(run.flowId) ?? {};
    let status: string;
    if (flow.finishAfterMs !== undefined) {
      status = Date.now() >= run.createdAt + flow.finishAfterMs ? (flow.finalStatus ?? 'success') : 'inProgress';
    } else {
      const statuses = flow.statuses ?? ['inProgress', 'success'];
      status = run.reads === 0 ? 'scheduled' : statuses[Math.min(run.reads, statuses.length) - 1]!;
    }
    if (counting && FINAL.has(status.replaceAll('_', '').toLowerCase())) run.finalAt ??= Date.now();
    return status;
  }

  private runBody(run: EmulatedRun, status: string) {
    const flow = this.flows.get(run.flowId) ?? {};
    const final = FINAL.has(status.replaceAll('_', '').toLowerCase());
    const records = flow.records ?? { input: 1200, created: 1190, failed: 10 };
    const files = flow.files ?? { input: 3, output: 3, failed: 0 };
    return {
      id: run.id,
      createdAt: run.createdAt,
      updatedAt: Date.now(),
      createdBy: this.clientId,
      createdClient: this.clientId,
      sandboxName: 'prod',
      imsOrgId: this.orgId,
      flowId: run.flowId,
      params: run.params,
      etag: run.etag,
      metrics: {
        statusSummary: { status, ...(final && flow.errors ? { errors: flow.errors } : {}) },
        ...(final
          ? {
              durationSummary: { startedAtUTC: run.createdAt, completedAtUTC: run.createdAt + 192_000 },
              sizeSummary: { inputBytes: 52_000, outputBytes: 48_000 },
              recordSummary: {
                inputRecordCount: records.input,
                createdRecordCount: records.created,
                updatedRecordCount: records.updated ?? 0,
                skippedRecordCount: 0,
                failedRecordCount: records.failed,
              },
              fileSummary: {
                inputFileCount: files.input,
                outputFileCount: files.output,
                failedFileCount: files.failed,
              },
            }
          : {}),
      },
      activities:
        final && flow.activityErrors
          ? [
              {
                id: randomUUID(),
                name: 'Copy Activity',
                statusSummary: { status, extensions: { errors: flow.activityErrors } },
              },
            ]
          : [],
    };
  }
}

export function faultKind(f: Fault): string {
  if (f.reset) return `reset ${f.reset}`;
  if (f.malformed !== undefined) return 'malformed body';
  const parts = [
    f.status ? `HTTP ${f.status}` : '',
    f.headers?.['retry-after'] !== undefined ? `Retry-After ${f.headers['retry-after']}` : '',
    f.delayMs ? `delay ${f.delayMs} ms` : '',
  ];
  return parts.filter(Boolean).join(', ') + (f.afterActing ? ' (after acting)' : '');
}

function routeOf(method: string, path: string): Route | 'other' {
  if (method === 'POST' && path === '/ims/token/v3') return 'token';
  if (method === 'POST' && path === `${FLOW_BASE}/runs`) return 'create';
  if (method === 'GET' && path === `${FLOW_BASE}/runs`) return 'list';
  if (method === 'GET' && path.startsWith(`${FLOW_BASE}/runs/`)) return 'read';
  return 'other';
}

function flowError(status: number, code: string, detail: string) {
  return {
    status,
    body: {
      type: `https://ns.adobe.com/aep/errors/${code}`,
      title: status === 404 ? 'Not found' : 'Bad request',
      status,
      report: { 'detailed-message': detail, 'request-id': randomUUID() },
      errorMessage: detail,
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  return new Emulator(options).start();
}
