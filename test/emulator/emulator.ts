// A local stand-in for Adobe IMS and the Flow Service, faithful to what Adobe documents (see README
// "Testing" and shared/flow-service/README.md): the same paths, headers, answer shapes, error bodies and
// status spellings, plus controls for scenarios and faults. Plain node:http on 127.0.0.1, port 0.
//
// Routes (names as in RecordedRequest.route, Fault.route and count()):
//   token      POST /ims/token/v3
//   create     POST {flowservice}/runs                     a new run; `createShape` picks the answer
//   read       GET  {flowservice}/runs/{id}                each read advances the run along `statuses`
//   list       GET  {flowservice}/runs?property=flowId==X  oldest first, paged (`_links.next` or a top-level
//                                                          `continuationToken`); ignores `orderby` and any
//                                                          other filter; hides new runs for `listDelayMs`
//   retrigger  POST {flowservice}/runs/{id}/action?op=re-trigger   a new run with the failed one's params
//                                                          (or `RE_TRIGGER`; `retriggerOps` limits the spellings;
//                                                          shape `same` restarts the failed run under its own ID)
//   flow       GET  {flowservice}/flows/{id}               the dataflow, from FlowScenario.details
//   errorList, errorFile   the Data Access API's row errors (data-access.ts), from FlowScenario.rowErrors
// Every run the emulator makes is an attempt of its flow (0, 1, ...): FlowScenario.attempts[n] overrides
// the flow's own per-run fields for the n-th. `existingRuns` are history: a fixed status, not attempts.
// A final run carries a copy activity (window in ms, errors, manifest links, batch IDs) as Adobe's do.
import { randomUUID } from 'node:crypto';
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { dataAccessRoute, DataAccessRoutes, type DataAccessRoute, type DataAccessScenario } from './data-access.ts';

export type CreateShape = 'items' | 'flat' | 'full';
/**
 * How a re-trigger is answered: the tutorial's `{id, etag}`, `{items: [...]}`, or OpenAPI's whole run (200).
 * `same`: OpenAPI's "returns the updated flow run" read literally: the failed run itself restarts, same ID,
 * new etag, answered as a whole run (200); for `restartLagReads` reads it still reads as it ended before.
 */
export type RetriggerShape = 'flat' | 'items' | 'full' | 'same';
export type Route = 'token' | 'create' | 'read' | 'list' | 'retrigger' | 'flow' | DataAccessRoute;

export interface ActivityError {
  code: string;
  message: string;
  /** How many records the error hit (Adobe's MAPPER/INGEST errors carry one). */
  recordCount?: number;
}

/** What one run does. A FlowScenario's own values, overridden attempt by attempt by `attempts`. */
export interface RunScenario {
  /** Status after each read of the run (the last one stays). Ignored when finishAfterMs is set. */
  statuses?: string[];
  /** Or by the clock: the run is `inProgress` until this many ms after creation, then `finalStatus`. */
  finishAfterMs?: number;
  finalStatus?: string;
  /** Errors in metrics.statusSummary.errors once the run is final. */
  errors?: Array<{ code: string; message: string }>;
  /** Errors the copy activity reports in statusSummary.extensions.errors once final. */
  activityErrors?: ActivityError[];
  /** The run's record counts once final; `none`: its metrics carry no recordSummary at all. */
  records?: { input: number; created: number; updated?: number; failed: number } | 'none';
  files?: { input: number; output: number; failed: number };
  /** metrics.recordSummary.failedInfo once final. */
  failedInfo?: Array<{ code: string; message: string }>;
  /** Batches the copy activity wrote: its targetInfo[].reference.ids. */
  batchIds?: string[];
  /** Links to the failed records of the (first) batch in statusSummary.extensions.manifest. */
  manifest?: boolean;
}

export type AttemptScenario = Partial<RunScenario>;

/** The dataflow as `GET /flows/{id}` shows it. */
export interface FlowDetails {
  /** Default `Emulated flow {first 8 characters of the id}`. */
  name?: string;
  /** Default `enabled`. */
  state?: 'enabled' | 'disabled';
  /** scheduleParams.frequency: `once` (default), `minute`, `hour`, `day`, `week`. */
  frequency?: string;
  /** The delta column the flow's Copy transformation holds; a run asking for another one is refused. */
  deltaColumn?: string;
}

export interface FlowScenario extends RunScenario, DataAccessScenario {
  sourceType?: 'file' | 'table';
  /** How the run request is answered (default: the current tutorial's `items`). */
  createShape?: CreateShape;
  /** How a re-trigger is answered (default: the tutorial's `flat`). */
  retriggerShape?: RetriggerShape;
  /** The n-th run the emulator makes of this flow (creates and re-triggers) uses attempts[min(n, len - 1)]. */
  attempts?: AttemptScenario[];
  details?: FlowDetails;
  /** Refuse `GET /flows/{id}` with this status (403: FLOW-1403-403 "Not authorised to read flows"). */
  flowReadStatus?: number;
  /** How run answers spell the etag key: `etag` (default, as the tutorials do) or `eTag` (as some answers do). */
  etagKey?: 'etag' | 'eTag';
  /**
   * IDs of the runs the emulator makes of this flow, in order (then random UUIDs): lets a test make the
   * service answer with an ID of its choosing, a malformed or hostile one included.
   */
  runIds?: string[];
  /** Etags of the runs the emulator makes of this flow, in order (then quoted random UUIDs). */
  etags?: string[];
  /** With retriggerShape `same`: this many reads (and the re-trigger's answer) still show the old end. */
  restartLagReads?: number;
}

export interface Fault {
  route: Route;
  /** How many matching requests it spoils (default 1). */
  times?: number;
  /** Answer with this status (and body/headers) instead of acting. */
  status?: number;
  body?: string;
  headers?: Record<string, string>;
  /**
   * Wait this long before doing anything else. Without `status` or `reset` the emulator then acts even
   * if the client has given up and gone meanwhile: a run request that timed out may still make a run.
   */
  delayMs?: number;
  /** Drop the connection without an answer: before acting, or after acting (the run exists). */
  reset?: 'before' | 'after';
  /** Act, then answer 200/201 with this body instead of the real one. */
  malformed?: string;
  /**
   * In `body` and `malformed`, `{authorization}` becomes the request's Authorization header and
   * `{request}` its body: a service that echoes what it was sent, secrets included.
   */
  echo?: boolean;
  /** Apply `delayMs` and `status` after acting (the run exists, the answer goes wrong) instead of before. */
  afterActing?: boolean;
}

/** Decides a fault for the n-th request (from 1) of a route; for soak tests. */
export type FaultPlan = (route: Route, n: number) => Fault | undefined;

/** A run that exists before the test starts: history for the flow's list. Its status never advances. */
export interface ExistingRun {
  flowId: string;
  createdAt: number;
  /** Default: a random UUID. */
  id?: string;
  /** Default `success`. */
  status?: string;
  /** Omitted: the run's body has no `params` key (as in the monitoring doc's list examples). */
  params?: Record<string, unknown>;
  /** The window its copy activity reports, ms (default: the params' window × 1000, if any). */
  copyWindowMs?: { start: number; end: number };
  /** This run's own errors, records and duration (default: its flow's scenario, and RUN_MS). */
  errors?: Array<{ code: string; message: string }>;
  records?: RunScenario['records'];
  durationMs?: number;
}

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
  /** How GET /runs points at its next page: `_links.next.href` (default) or a top-level `continuationToken`. */
  continuationStyle?: 'links' | 'token';
  /** Runs the emulator makes stay out of GET /runs lists (and lastRunDetails) this long after creation. */
  listDelayMs?: number;
  /** Runs that exist before the test starts (for the flow's list). */
  existingRuns?: ExistingRun[];
  /** `GET /flows/{id}` of a flow not configured: 404 FLOW-1430-404 (default), 400 FLOW-1430-400, or `{items: []}`. */
  unknownFlow?: '404' | '400' | 'empty';
  faultPlan?: FaultPlan;
  /** Hold each run request this long before answering, so concurrent ones overlap measurably. */
  createHoldMs?: number;
  /** The re-trigger `op` spellings the service takes (default both); any other is refused with 422. */
  retriggerOps?: string[];
  /** Every page of GET /runs after the first points at itself as the next: a list that never ends. */
  repeatListToken?: boolean;
  /** "Another host" for row-error links (`RowErrorFile.elsewhere`); default a second listener of ours. */
  foreignOrigin?: string;
  /**
   * `property=metrics.durationSummary.startedAtUTC>{ms}` on GET /runs: `ignored` (default, like every
   * filter but flowId) or `applied`. A client must work either way.
   */
  startTimeFilter?: 'applied' | 'ignored';
}

export interface RecordedRequest {
  route: Route | 'other';
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  status: number | 'reset';
  at: number;
  /** When the exchange ended: answered, reset, or given up by the client (epoch ms). */
  closedAt?: number;
}

export interface EmulatedRun {
  id: string;
  flowId: string;
  createdAt: number;
  /** As sent (or copied from the re-triggered run); `{}` for history given without params. */
  params: Record<string, unknown>;
  etag: string;
  reads: number;
  /** When the emulator first reported a final status (epoch ms). */
  finalAt?: number;
  /** Which attempt of its flow the emulator made this run as (0 = first); absent for existingRuns. */
  attempt?: number;
  /** The run this one re-triggered. */
  retriggerOf?: string;
  /** History (existingRuns): the status it always has. */
  fixedStatus?: string;
  /** History given without params: its body has no `params` key. */
  paramsHidden?: boolean;
  /** A run restarted under its own ID that still reads as it ended before, for `reads` more reads. */
  earlierEnd?: { status: string; etag: string; reads: number };
  /** The window the copy activity reports, ms, when it is not the params' window. */
  copyWindowMs?: { start: number; end: number };
  /** History's own errors, records and duration (ExistingRun). */
  own?: Pick<ExistingRun, 'errors' | 'records' | 'durationMs'>;
}

type Answer = { status: number; body: unknown };

const FLOW_BASE = '/data/foundation/flowservice';
const FINAL = new Set(['success', 'failed', 'partialsuccess', 'completed', 'partialfailure', 'cancelled']);
const FAILURE = new Set(['failed', 'partialfailure', 'cancelled']);
/** How long an emulated run says it took, once final. */
const RUN_MS = 192_000;

/** Stable made-up IDs of a flow's parts, so two reads of one flow agree. */
interface FlowIdentity {
  etag: string;
  flowSpecId: string;
  sourceConnectionId: string;
  targetConnectionId: string;
  mappingId: string;
  createdAt: number;
}

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
  private readonly sockets = new Set<Socket>();
  /** Runs made so far per flow: the next one's attempt index. */
  private readonly attemptsMade = new Map<string, number>();
  private readonly flowIdentities = new Map<string, FlowIdentity>();

  private readonly options: EmulatorOptions;
  /** The Data Access routes; `dataAccess.foreignRequests` are those that reached another host. */
  readonly dataAccess: DataAccessRoutes;

  constructor(options: EmulatorOptions = {}) {
    this.options = options;
    this.dataAccess = new DataAccessRoutes(
      () => this.flows.values(),
      () => this.url,
      options.foreignOrigin,
    );
    this.clientId = options.clientId ?? 'test-client-id';
    this.clientSecret = options.clientSecret ?? 'test-client-secret-5f1d9c';
    this.orgId = options.orgId ?? '0123456789ABCDEF01234567@AdobeOrg';
    this.flows = new Map(Object.entries(options.flows ?? {}));
    for (const r of options.existingRuns ?? []) {
      const id = r.id ?? randomUUID();
      this.runs.set(id, {
        id,
        flowId: r.flowId,
        createdAt: r.createdAt,
        params: r.params ?? {},
        etag: `"${randomUUID()}"`,
        reads: 0,
        fixedStatus: r.status ?? 'success',
        ...(r.params === undefined ? { paramsHidden: true } : {}),
        ...(r.copyWindowMs ? { copyWindowMs: r.copyWindowMs } : {}),
        own: { errors: r.errors, records: r.records, durationMs: r.durationMs },
      });
    }
    // A client that gives up mid-request must not take the emulator down with it.
    this.server = createServer((req, res) => void this.handle(req, res).catch(() => req.socket.destroy()));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** Listens on 127.0.0.1; rejects (EADDRINUSE, ...) when it cannot. */
  async start(port = 0): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await this.dataAccess.close();
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
    const route = dataAccessRoute(req.method ?? '', url) ?? routeOf(req.method ?? '', url.pathname);
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
    res.on('close', () => (record.closedAt = Date.now()));
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
    const echoed = (text = '') =>
      fault?.echo
        ? text.replaceAll('{authorization}', String(req.headers.authorization ?? '')).replaceAll('{request}', body)
        : text;
    const pause = (ms: number | undefined) => (ms ? new Promise((r) => setTimeout(r, ms)) : undefined);
    if (fault && !fault.afterActing) {
      // The client may leave during this pause; what follows acts all the same, like a real server.
      await pause(fault.delayMs);
      if (fault.reset === 'before') return reset();
      if (fault.status) return send(fault.status, echoed(fault.body), fault.headers);
    }

    if (route === 'errorList' || route === 'errorFile') {
      const denied = this.authorize(req);
      if (denied) return send(denied.status, denied.body);
      record.status = await this.dataAccess.serve(route, url, res);
      return;
    }
    let answer: Answer;
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
      if (fault.status) return send(fault.status, echoed(fault.body), fault.headers);
    }
    if (fault?.reset === 'after') return reset();
    if (fault?.malformed !== undefined && answer.status < 300) return send(answer.status, echoed(fault.malformed));
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

  private answer(route: Route | 'other', req: IncomingMessage, url: URL, body: string): Answer {
    if (route === 'token') return this.token(req, body);
    if (route === 'other') return { status: 404, body: { error_code: '404001', message: 'Not found' } };
    const denied = this.authorize(req);
    if (denied) return denied;
    const segments = url.pathname.split('/').map(decodeURIComponent);
    if (route === 'create') return this.create(req, body);
    if (route === 'read') return this.read(segments.at(-1)!);
    if (route === 'retrigger') return this.retrigger(segments.at(-2)!, url.searchParams.get('op'));
    if (route === 'flow') return this.readFlow(segments.at(-1)!);
    return this.list(url);
  }

  private token(req: IncomingMessage, body: string): Answer {
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
  private authorize(req: IncomingMessage): Answer | undefined {
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

  // ---- runs: create, re-trigger, read, list ----

  private create(req: IncomingMessage, text: string): Answer {
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
    const refused = refuseParams(flow, params);
    if (refused) return refused;
    const run = this.newRun(body.flowId as string, params);
    const shape = flow.createShape ?? 'items';
    if (shape === 'items') return { status: 201, body: { items: [this.idAndEtag(run)] } };
    if (shape === 'flat') return { status: 201, body: this.idAndEtag(run) };
    return { status: 201, body: this.runBody(run, 'scheduled') };
  }

  /** `POST /runs/{id}/action?op=re-trigger`: a new run of a failed one, over the same window. */
  private retrigger(id: string, op: string | null): Answer {
    if (op !== 're-trigger' && op !== 'RE_TRIGGER') {
      return flowError(400, 'FLOW-1440-400', `Unknown action op=${String(op)}: the only action on a run is re-trigger`);
    }
    if (this.options.retriggerOps && !this.options.retriggerOps.includes(op)) {
      // As a mock served from Adobe's OpenAPI file answers a value outside the enum.
      return flowError(422, 'FLOW-1442-422', `op must be one of ${this.options.retriggerOps.join(', ')}`);
    }
    const original = this.runs.get(id);
    if (!original) return runNotFound(id);
    const status = this.statusOf(original, false);
    if (!FAILURE.has(normal(status))) {
      return flowError(
        400,
        'FLOW-1441-400',
        `Run ${id} cannot be re-triggered: only failed runs can be (its status is ${status})`,
      );
    }
    if (this.flows.get(original.flowId)?.retriggerShape === 'same') return this.restart(original, status);
    const run = this.newRun(original.flowId, { ...original.params }, original);
    const shape = this.flows.get(run.flowId)?.retriggerShape ?? 'flat';
    if (shape === 'flat') return { status: 201, body: this.idAndEtag(run) };
    if (shape === 'items') return { status: 201, body: { items: [this.idAndEtag(run)] } };
    return { status: 200, body: this.runBody(run, 'scheduled') };
  }

  /** Shape `same`: the failed run becomes the next attempt of its flow, under its own ID, with a new etag. */
  private restart(run: EmulatedRun, endedAs: string): Answer {
    const flow = this.flows.get(run.flowId)!;
    const attempt = this.attemptsMade.get(run.flowId) ?? 0;
    this.attemptsMade.set(run.flowId, attempt + 1);
    const lag = flow.restartLagReads ?? 0;
    if (lag > 0) run.earlierEnd = { status: endedAs, etag: run.etag, reads: lag };
    Object.assign(run, { attempt, reads: 0, finalAt: undefined, fixedStatus: undefined });
    run.etag = flow.etags?.[attempt] ?? `"${randomUUID()}"`;
    return { status: 200, body: this.shownAs(run) ?? this.runBody(run, 'scheduled') };
  }

  /** How a restarted run reads while it still shows its earlier end (undefined once it does not). */
  private shownAs(run: EmulatedRun) {
    if (!run.earlierEnd || run.earlierEnd.reads <= 0) return undefined;
    return this.runBody({ ...run, etag: run.earlierEnd.etag }, run.earlierEnd.status);
  }

  /** A run the emulator makes: the next attempt of its flow. */
  private newRun(flowId: string, params: Record<string, unknown>, retriggered?: EmulatedRun): EmulatedRun {
    const attempt = this.attemptsMade.get(flowId) ?? 0;
    this.attemptsMade.set(flowId, attempt + 1);
    const run: EmulatedRun = {
      id: this.flows.get(flowId)?.runIds?.[attempt] ?? randomUUID(),
      flowId,
      createdAt: Date.now(),
      params,
      etag: this.flows.get(flowId)?.etags?.[attempt] ?? `"${randomUUID()}"`,
      reads: 0,
      attempt,
    };
    if (retriggered) {
      run.retriggerOf = retriggered.id;
      if (retriggered.paramsHidden) run.paramsHidden = true;
      if (retriggered.copyWindowMs) run.copyWindowMs = retriggered.copyWindowMs;
    }
    this.runs.set(run.id, run);
    return run;
  }

  /** `{id, etag}` as a run request's short answers carry it, with the flow's spelling of `etag`. */
  private idAndEtag(run: EmulatedRun): Record<string, string> {
    return { id: run.id, [this.etagKeyOf(run)]: run.etag };
  }

  private etagKeyOf(run: EmulatedRun): 'etag' | 'eTag' {
    return this.flows.get(run.flowId)?.etagKey ?? 'etag';
  }

  private read(id: string): Answer {
    const run = this.runs.get(id);
    if (!run) return runNotFound(id);
    const earlier = this.shownAs(run);
    if (earlier) {
      run.earlierEnd!.reads -= 1;
      return { status: 200, body: { items: [earlier], _links: {}, count: 1 } };
    }
    run.reads += 1;
    return { status: 200, body: { items: [this.runBody(run, this.statusOf(run))], _links: {}, count: 1 } };
  }

  private list(url: URL): Answer {
    // Only the flowId filter is honoured (others are ignored, and so is `orderby`): a client must not
    // trust the server to filter or sort for it.
    const flowIds = url.searchParams
      .getAll('property')
      .map((p) => /^flowId==(.+)$/.exec(p)?.[1])
      .find((ids) => ids !== undefined)
      ?.split(',');
    const now = Date.now();
    const all = [...this.runs.values()]
      .filter((r) => !flowIds || flowIds.includes(r.flowId))
      .filter((r) => this.listed(r, now))
      .filter(startedAfter(url, this.options.startTimeFilter))
      .sort((a, b) => a.createdAt - b.createdAt); // oldest first: a client must page to find new runs
    const size = this.options.pageSize ?? 100;
    const start = Number(url.searchParams.get('continuationToken') ?? 0);
    const page = all.slice(start, start + size);
    const next =
      start + size < all.length ? String(this.options.repeatListToken && start > 0 ? start : start + size) : undefined;
    const body: Record<string, unknown> = {
      items: page.map((r) => this.runBody(r, this.statusOf(r, false))),
      _links: {},
      count: page.length,
    };
    if (next && this.options.continuationStyle === 'token') body.continuationToken = next;
    else if (next) body._links = { next: { href: nextHref(url, next) } };
    return { status: 200, body };
  }

  /** Whether lists show the run yet: Adobe's lists lag new runs by minutes. */
  private listed(run: EmulatedRun, now: number): boolean {
    return run.fixedStatus !== undefined || now >= run.createdAt + (this.options.listDelayMs ?? 0);
  }

  /** The flow's scenario for this run: the flow's own fields under its attempt's. */
  private scenarioOf(run: EmulatedRun): FlowScenario {
    const flow = this.flows.get(run.flowId) ?? {};
    const attempts = flow.attempts ?? [];
    if (run.own) return { ...flow, ...Object.fromEntries(Object.entries(run.own).filter(([, v]) => v !== undefined)) };
    if (run.attempt === undefined || attempts.length === 0) return flow;
    const override = attempts[Math.min(run.attempt, attempts.length - 1)]!;
    const defined = Object.entries(override).filter(([, value]) => value !== undefined);
    return { ...flow, ...Object.fromEntries(defined) };
  }

  private statusOf(run: EmulatedRun, counting = true): string {
    const scenario = this.scenarioOf(run);
    let status: string;
    if (run.fixedStatus !== undefined) {
      status = run.fixedStatus;
    } else if (scenario.finishAfterMs !== undefined) {
      status =
        Date.now() >= run.createdAt + scenario.finishAfterMs ? (scenario.finalStatus ?? 'success') : 'inProgress';
    } else {
      const statuses = scenario.statuses ?? ['inProgress', 'success'];
      status = run.reads === 0 ? 'scheduled' : statuses[Math.min(run.reads, statuses.length) - 1]!;
    }
    if (counting && FINAL.has(normal(status))) run.finalAt ??= Date.now();
    return status;
  }

  private runBody(run: EmulatedRun, status: string) {
    const scenario = this.scenarioOf(run);
    const final = FINAL.has(normal(status));
    const records = recordSummary(scenario);
    const files = fileSummary(scenario);
    return {
      id: run.id,
      createdAt: run.createdAt,
      updatedAt: Date.now(),
      createdBy: this.clientId,
      createdClient: this.clientId,
      sandboxName: 'prod',
      imsOrgId: this.orgId,
      flowId: run.flowId,
      ...(run.paramsHidden ? {} : { params: run.params }),
      [this.etagKeyOf(run)]: run.etag,
      metrics: {
        statusSummary: { status, ...(final && scenario.errors ? { errors: scenario.errors } : {}) },
        ...(final
          ? {
              durationSummary: { startedAtUTC: run.createdAt, completedAtUTC: run.createdAt + runMs(run) },
              sizeSummary: { inputBytes: 52_000, outputBytes: 48_000 },
              ...(records || scenario.failedInfo
                ? { recordSummary: { ...records, ...(scenario.failedInfo ? { failedInfo: scenario.failedInfo } : {}) } }
                : {}),
              fileSummary: files,
            }
          : {}),
      },
      activities: final ? [this.copyActivity(run, scenario, status, records, files)] : [],
    };
  }

  /** The copy activity of a final run: where Adobe writes the window applied, batch IDs and error links. */
  private copyActivity(
    run: EmulatedRun,
    scenario: FlowScenario,
    status: string,
    records: ReturnType<typeof recordSummary>,
    files: ReturnType<typeof fileSummary>,
  ) {
    const batchIds = scenario.batchIds ?? (scenario.manifest ? [batchIdOf(run)] : undefined);
    const extensions = {
      ...(scenario.activityErrors ? { errors: scenario.activityErrors } : {}),
      ...(scenario.manifest ? { manifest: manifestLinks(this.url, batchIds![0]!) } : {}),
    };
    const window = copyWindowOf(run);
    return {
      id: 'copyActivity',
      name: 'Copy Activity',
      statusSummary: { status, extensions },
      durationSummary: {
        startedAtUTC: run.createdAt,
        completedAtUTC: run.createdAt + runMs(run),
        extensions: window ? { windowStart: window.start, windowEnd: window.end } : {},
      },
      recordSummary: records,
      fileSummary: files,
      ...(batchIds ? { targetInfo: [{ reference: { ids: batchIds } }] } : {}),
    };
  }

  // ---- flows ----

  /** `GET /flows/{id}`: the dataflow, or the configured refusal. */
  private readFlow(id: string): Answer {
    const flow = this.flows.get(id);
    if (!flow) return this.unknownFlow(id);
    if (flow.flowReadStatus !== undefined) {
      return flow.flowReadStatus === 403
        ? flowError(403, 'FLOW-1403-403', 'Not authorised to read flows')
        : flowError(flow.flowReadStatus, `FLOW-1400-${flow.flowReadStatus}`, `Flow with id ${id} cannot be read`);
    }
    return { status: 200, body: { items: [this.flowBody(id, flow)] } };
  }

  private unknownFlow(id: string): Answer {
    const mode = this.options.unknownFlow ?? '404';
    if (mode === 'empty') return { status: 200, body: { items: [] } };
    if (mode === '400') return flowError(400, 'FLOW-1430-400', `Flow with id ${id} not found`);
    return flowError(404, 'FLOW-1430-404', `Flow with id ${id} not found`);
  }

  private flowBody(id: string, flow: FlowScenario) {
    const details = flow.details ?? {};
    const me = this.identityOf(id);
    const frequency = details.frequency ?? 'once';
    const copy = details.deltaColumn
      ? [
          {
            name: 'Copy',
            params: { deltaColumn: { name: details.deltaColumn, dateFormat: 'YYYY-MM-DD', timezone: 'UTC' } },
          },
        ]
      : [];
    const last = this.lastRunDetails(id);
    return {
      id,
      name: details.name ?? `Emulated flow ${id.slice(0, 8)}`,
      description: 'An on-demand dataflow of the emulator',
      state: details.state ?? 'enabled',
      etag: me.etag,
      flowSpec: { id: me.flowSpecId, version: '1.0' },
      sourceConnectionIds: [me.sourceConnectionId],
      targetConnectionIds: [me.targetConnectionId],
      scheduleParams: {
        startTime: String(Math.floor(me.createdAt / 1000)),
        frequency,
        interval: frequency === 'once' ? 0 : frequency === 'minute' ? 15 : 1,
        backfill: true,
      },
      transformations: [...copy, { name: 'Mapping', params: { mappingId: me.mappingId, mappingVersion: 0 } }],
      ...(last ? { lastRunDetails: last } : {}),
    };
  }

  private identityOf(flowId: string): FlowIdentity {
    let me = this.flowIdentities.get(flowId);
    if (!me) {
      me = {
        etag: `"${randomUUID()}"`,
        flowSpecId: randomUUID(),
        sourceConnectionId: randomUUID(),
        targetConnectionId: randomUUID(),
        mappingId: randomUUID().replaceAll('-', ''),
        createdAt: Date.now(),
      };
      this.flowIdentities.set(flowId, me);
    }
    return me;
  }

  /** The newest run lists show, as the flow's lastRunDetails (same lag as lists). */
  private lastRunDetails(flowId: string) {
    const now = Date.now();
    const newest = this.runsOf(flowId)
      .filter((r) => this.listed(r, now))
      .sort((a, b) => b.createdAt - a.createdAt)[0];
    if (!newest) return undefined;
    const state = this.statusOf(newest, false);
    return {
      id: newest.id,
      state,
      startedAtUTC: newest.createdAt,
      ...(FINAL.has(normal(state)) ? { completedAtUTC: newest.createdAt + runMs(newest) } : {}),
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
  if (method === 'POST' && /^\/data\/foundation\/flowservice\/runs\/[^/]+\/action$/.test(path)) return 'retrigger';
  if (method === 'GET' && path.startsWith(`${FLOW_BASE}/runs/`)) return 'read';
  if (method === 'GET' && /^\/data\/foundation\/flowservice\/flows\/[^/]+$/.test(path)) return 'flow';
  return 'other';
}

/** The checks on a run request's params that the service makes, with its error bodies. */
function refuseParams(flow: FlowScenario, params: Record<string, unknown>): Answer | undefined {
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
  // The flow's Copy transformation holds its delta column; runs may repeat it but not change it.
  const held = flow.details?.deltaColumn;
  const asked = (params.deltaColumn as { name?: unknown } | undefined)?.name;
  if (held !== undefined && asked !== undefined && asked !== held) {
    return flowError(
      400,
      'FLOW-1005-400',
      `The delta column of a flow cannot be changed: this flow's is ${held}, the run asked for ${String(asked)}`,
    );
  }
  return undefined;
}

/** How long a final run says it took. */
function runMs(run: EmulatedRun): number {
  return run.own?.durationMs ?? RUN_MS;
}

/** The start-time filter of a list, when the emulator is told to apply it. */
function startedAfter(url: URL, mode: EmulatorOptions['startTimeFilter']): (run: EmulatedRun) => boolean {
  const after = url.searchParams
    .getAll('property')
    .map((p) => /^metrics\.durationSummary\.startedAtUTC>(\d+)$/.exec(p)?.[1])
    .find((ms) => ms !== undefined);
  if (mode !== 'applied' || after === undefined) return () => true;
  return (run) => run.createdAt > Number(after);
}

/**
 * A scheduled flow's history: one run every `everyMs` from `fromMs` up to `toMs`, each taking the window
 * since the one before, written in params, only in the copy activity, or nowhere. `status(i)` and
 * `errors(i)` pick each run's fate (default success, no errors).
 */
export function scheduledHistory(
  flowId: string,
  spec: {
    fromMs: number;
    toMs: number;
    everyMs: number;
    window?: 'params' | 'copy activity' | 'none';
    status?: (i: number) => string;
    errors?: (i: number) => Array<{ code: string; message: string }> | undefined;
    records?: RunScenario['records'];
    durationMs?: number;
  },
): ExistingRun[] {
  const runs: ExistingRun[] = [];
  for (let at = spec.fromMs, i = 0; at <= spec.toMs; at += spec.everyMs, i++) {
    const window = { start: at - spec.everyMs, end: at };
    const where = spec.window ?? 'params';
    runs.push({
      flowId,
      createdAt: at,
      status: spec.status?.(i) ?? 'success',
      ...(where === 'params'
        ? { params: { windowStartTime: Math.floor(window.start / 1000), windowEndTime: Math.floor(window.end / 1000) } }
        : {}),
      ...(where === 'copy activity' ? { copyWindowMs: window } : {}),
      ...(spec.errors?.(i) ? { errors: spec.errors(i) } : {}),
      ...(spec.records ? { records: spec.records } : {}),
      ...(spec.durationMs !== undefined ? { durationMs: spec.durationMs } : {}),
    });
  }
  return runs;
}

/** A status as compared: no case, no underscores (`PARTIAL_FAILURE` is `partialfailure`). */
function normal(status: string): string {
  return status.replaceAll('_', '').toLowerCase();
}

function recordSummary(scenario: RunScenario) {
  if (scenario.records === 'none') return undefined;
  const records = scenario.records ?? { input: 1200, created: 1190, failed: 10 };
  return {
    inputRecordCount: records.input,
    createdRecordCount: records.created,
    updatedRecordCount: records.updated ?? 0,
    skippedRecordCount: 0,
    failedRecordCount: records.failed,
  };
}

function fileSummary(scenario: RunScenario) {
  const files = scenario.files ?? { input: 3, output: 3, failed: 0 };
  return { inputFileCount: files.input, outputFileCount: files.output, failedFileCount: files.failed };
}

/** The window the copy activity applied, ms: given for history, else the params' seconds × 1000. */
function copyWindowOf(run: EmulatedRun): { start: number; end: number } | undefined {
  if (run.copyWindowMs) return run.copyWindowMs;
  const start = Number(run.params.windowStartTime);
  const end = Number(run.params.windowEndTime);
  if (run.paramsHidden || !Number.isFinite(start) || !Number.isFinite(end)) return undefined;
  return { start: start * 1000, end: end * 1000 };
}

/** A batch ID shaped like Adobe's (26 upper-case characters), stable for the run. */
function batchIdOf(run: EmulatedRun): string {
  return run.id.replaceAll('-', '').toUpperCase().slice(0, 26);
}

function manifestLinks(platform: string, batchId: string) {
  const meta = `${platform}/data/foundation/export/batches/${batchId}/meta`;
  return { failedRecords: `${meta}?path=row_errors`, sampleErrors: `${meta}?path=row_errors_sample` };
}

/** The list's next page: the same query with the next continuation token. */
function nextHref(url: URL, token: string): string {
  const query = new URLSearchParams(url.searchParams);
  query.set('continuationToken', token);
  return `/runs?${query.toString()}`;
}

function runNotFound(id: string): Answer {
  return flowError(404, 'FLOW-1431-404', `Run with id ${id} not found`);
}

function flowError(status: number, code: string, detail: string): Answer {
  const title =
    status === 404 ? 'Not found' : status === 403 ? 'Forbidden' : status < 500 ? 'Bad request' : STATUS_CODES[status];
  return {
    status,
    body: {
      type: `https://ns.adobe.com/aep/errors/${code}`,
      title,
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
