// The fault campaign's cases: each one drawn from its own seed, so that any case can be replayed
// alone (CAMPAIGN_SEED=<seed> CAMPAIGN_CASES=1). A case is one step of the bundled action against
// its own emulator: one to four flows, every answer shape and etag spelling, random status
// sequences, random faults on the token, create, read and list routes, and service text and run
// IDs that carry workflow commands. What must hold after each case is in campaign.test.ts.
import type { ExistingRun, Fault, FlowScenario, Route } from '../emulator/emulator.ts';

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export class Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer from lo to hi, both included. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  uuid(): string {
    const hex = (n: number) => Array.from({ length: n }, () => this.int(0, 15).toString(16)).join('');
    return `${hex(8)}-${hex(4)}-4${hex(3)}-${this.pick(['8', '9', 'a', 'b'])}${hex(3)}-${hex(12)}`;
  }
}

/** Service text that a careless action would turn into workflow commands or extra log lines. */
export const HOSTILE_TEXT = [
  '::error::injected by the service',
  'line\n::warning::after a line feed',
  'line\r::error::after a carriage return',
  'line\r\n::notice::after CR LF',
  'line\u2028::error::after a line separator',
  'line\u2029::error::after a paragraph separator',
  'line\u0085::error::after a next-line character',
  '##[error]old-style marker',
  'text, then ##[group]a group marker',
  '::add-mask::not-a-secret',
  '::set-output name=run-id::evil',
  '::stop-commands::pwned',
  '   ::error::indented',
  '\t::debug::after a tab',
  '%0A::error::percent-encoded',
] as const;

/** Hostile text that can travel in an HTTP header (no control or non-ASCII characters). */
const HOSTILE_HEADER = ['::error::from a header', '##[error]from a header', 'req-::warning::x'] as const;

/** Run IDs the action must reject as a malformed answer. */
export const MALFORMED_RUN_IDS = [
  'run::error::x',
  'run\n::error::after a line feed',
  '##[error]run',
  'run\u2028::warning::after a line separator',
  '::error::run',
  ' leading-space',
  '',
  'a/b',
  'id with spaces',
  'x'.repeat(200),
] as const;

/** Etags that are not one token of visible ASCII (the run is kept without it), and odd ones it may keep. */
const BAD_ETAGS = ['"x"\n::error::after a line feed', '"x"\u2028::error::y', 'two words', ''] as const;
const ODD_ETAGS = ['"::error::etag"', '##[error]etag', 'W/"weak"'] as const;

/** Odd run IDs that are still IDs (letters, digits, . _ -). */
const ODD_RUN_IDS = ['Run_1.a-b', '0', 'ABCDEF0123456789ABCDEF0123'] as const;

const NOT_FINAL = ['scheduled', 'inProgress', 'IN_PROGRESS', 'queued', 'running'] as const;
/** Final statuses in every spelling the service uses. */
export const FINAL_STATUSES = [
  'success',
  'SUCCESS',
  'Success',
  'completed',
  'failed',
  'FAILED',
  'partialFailure',
  'cancelled',
  'CANCELLED',
  'partialSuccess',
  'PARTIAL_SUCCESS',
] as const;

export interface CaseFlow {
  id: string;
  scenario: FlowScenario;
  /** The status the run ends with (the last of `statuses`), or undefined: it never ends. */
  final: string | undefined;
  /** Its run's ID is malformed: the action must reject the answer that carries it. */
  badId: boolean;
}

export interface CampaignCase {
  seed: number;
  /** Unlike any text of the action's own, so that any piece of it in the log is a leak. */
  clientSecret: string;
  flows: CaseFlow[];
  /** How the flow IDs are joined in the `flow-id` input. */
  separator: '\n' | ', ';
  wait: boolean;
  /** At most this many run requests at once. */
  maxConcurrency: number;
  timeoutMs: number;
  requestTimeoutMs: number;
  pollMs: number;
  failOnPartial: boolean;
  /** A given `access-token` instead of client credentials. */
  givenToken: boolean;
  tokenUses: number | undefined;
  listDelayMs: number | undefined;
  /** The job is cancelled (SIGTERM, as the runner does) this long after the step starts. */
  cancelAfterMs: number | undefined;
  pageSize: number | undefined;
  /** Runs that exist before the step, by age in ms. */
  history: Array<Omit<ExistingRun, 'createdAt'> & { ageMs: number }>;
  /** The fault for the n-th request (from 1) of each route: faults[route][n - 1]. */
  faults: Partial<Record<Route, Array<Fault | undefined>>>;
}

/** Routes the campaign spoils, and how many of each route's first requests may be spoilt. */
const FAULTY_ROUTES: Record<'token' | 'create' | 'read' | 'list', number> = { token: 4, create: 8, read: 40, list: 30 };

export function makeCase(seed: number): CampaignCase {
  const r = new Random(seed);
  const flowCount = r.chance(0.5) ? 1 : r.int(2, 4);
  const requestTimeoutMs = r.pick([300, 500, 800]);
  const c: CampaignCase = {
    seed,
    // Some with characters a form must encode: an echoed form then holds the secret in another spelling.
    clientSecret: r.chance(0.5) ? `cs-${r.uuid()}` : `cs+${r.uuid()}/=`,
    flows: uniqueRunIds(Array.from({ length: flowCount }, () => makeFlow(r))),
    separator: r.pick(['\n', ', '] as const),
    wait: r.chance(0.65),
    maxConcurrency: r.int(1, 5),
    timeoutMs: r.pick([2000, 2500, 3000, 3500, 4000]),
    requestTimeoutMs,
    pollMs: r.int(50, 300),
    failOnPartial: r.chance(0.3),
    givenToken: r.chance(0.3),
    tokenUses: r.chance(0.2) ? r.int(1, 6) : undefined,
    listDelayMs: r.chance(0.3) ? r.int(300, 3000) : undefined,
    cancelAfterMs: undefined,
    pageSize: undefined,
    history: [],
    faults: {},
  };
  if (r.chance(0.3)) {
    c.pageSize = r.int(1, 4);
    const count = r.int(1, 6);
    for (let i = 0; i < count; i++) c.history.push(historyRun(r, r.pick(c.flows).id));
  }
  // A third of the cases have no faults, so the campaign also shows plain runs end right. In the others
  // each route is spoilt at its own rate: a lost run request with healthy lists must find its run.
  if (r.chance(2 / 3)) {
    for (const [route, span] of Object.entries(FAULTY_ROUTES) as Array<[keyof typeof FAULTY_ROUTES, number]>) {
      const rate = r.pick([0, 0.1, 0.25, 0.5]);
      const list = Array.from({ length: span }, () =>
        r.chance(rate) ? makeFault(r, route, requestTimeoutMs) : undefined,
      );
      if (list.some(Boolean)) c.faults[route] = list;
    }
  }
  if (r.chance(0.08)) c.cancelAfterMs = r.int(200, c.timeoutMs - 200);
  // Some cases lose the first run request's answer with lists that work: the run must be found and followed.
  if (r.chance(0.15)) {
    c.faults.create = [lostAfterActing(r, 'create', requestTimeoutMs), ...(c.faults.create ?? []).slice(1)];
    delete c.faults.list;
    c.listDelayMs = undefined;
  }
  return c;
}

function makeFlow(r: Random): CaseFlow {
  const notFinal = Array.from({ length: r.int(0, 4) }, () =>
    r.chance(0.25) ? r.pick(HOSTILE_TEXT) : r.pick(NOT_FINAL),
  );
  const final = r.chance(0.85) ? r.pick(FINAL_STATUSES) : undefined;
  const statuses = final ? [...notFinal, final] : [...notFinal, r.pick(NOT_FINAL)];
  const scenario: FlowScenario = {
    statuses,
    createShape: r.pick(['items', 'flat', 'full'] as const),
    etagKey: r.pick(['etag', 'eTag'] as const),
  };
  if (r.chance(0.4)) {
    scenario.errors = [{ code: r.pick(['CONNECTOR-2001-500', ...HOSTILE_TEXT]), message: r.pick(HOSTILE_TEXT) }];
  }
  if (r.chance(0.3)) {
    scenario.activityErrors = [{ code: 'MAPPER-2001-400', message: r.pick(HOSTILE_TEXT), recordCount: r.int(1, 9) }];
  }
  if (r.chance(0.2)) scenario.failedInfo = [{ code: r.pick(HOSTILE_TEXT), message: r.pick(HOSTILE_TEXT) }];
  if (r.chance(0.2)) scenario.manifest = true;
  const badId = r.chance(0.12);
  if (badId) scenario.runIds = [r.pick(MALFORMED_RUN_IDS)];
  else if (r.chance(0.1)) scenario.runIds = [r.pick(ODD_RUN_IDS)];
  const etag = r.next();
  // A run with a good ID and an etag that is not one is kept, without the etag (issue #16).
  if (etag < 0.05) scenario.etags = [r.pick(BAD_ETAGS)];
  else if (etag < 0.1) scenario.etags = [r.pick(ODD_ETAGS)];
  return { id: r.uuid(), scenario, final, badId };
}

/** Two runs with one ID would be one run to the emulator: a later flow drawing a taken ID gets random ones. */
function uniqueRunIds(flows: CaseFlow[]): CaseFlow[] {
  const taken = new Set<string>();
  for (const flow of flows) {
    const id = flow.scenario.runIds?.[0];
    if (id === undefined) continue;
    if (taken.has(id)) {
      delete flow.scenario.runIds;
      flow.badId = false;
    }
    taken.add(id);
  }
  return flows;
}

/**
 * History the lookup after a lost answer must not take for the step's own run: old runs, and recent
 * ones of another window (recent history without a window would be indistinguishable, by design).
 */
function historyRun(r: Random, flowId: string): CampaignCase['history'][number] {
  const window = { windowStartTime: 1600000000 + r.int(0, 999), windowEndTime: 1600086400 + r.int(0, 999) };
  const old = r.chance(0.5);
  return {
    flowId,
    ageMs: old ? r.int(3_600_000, 86_400_000) : r.int(0, 50_000),
    status: r.pick(['success', 'failed', 'inProgress']),
    ...(old && r.chance(0.5) ? {} : { params: { startTime: window.windowStartTime, ...window } }),
  };
}

function makeFault(r: Random, route: Route, requestTimeoutMs: number): Fault {
  const text = () => r.pick(HOSTILE_TEXT);
  const adobeBody = (status: number) =>
    JSON.stringify(
      r.chance(0.5)
        ? { error_code: `${status}050`, message: text() }
        : {
            type: `https://ns.adobe.com/aep/errors/FLOW-1400-${status}`,
            title: text(),
            status,
            report: { 'detailed-message': text(), 'request-id': text() },
            errorMessage: text(),
          },
    );
  const kinds: Array<() => Fault> = [
    () => ({
      route,
      status: 429,
      headers: { 'retry-after': r.pick(['0', '1']) },
      body: '{"error_code":"429050","message":"Too many requests"}',
    }),
    () => {
      const status = r.pick([500, 502, 503, 504]);
      return { route, status, body: adobeBody(status), headers: { 'x-request-id': r.pick(HOSTILE_HEADER) } };
    },
    () => ({ route, reset: 'before' }),
    () => ({ route, reset: 'after' }),
    // Slower than request-timeout, and acted on all the same.
    () => ({ route, delayMs: requestTimeoutMs + r.int(200, 900) }),
  ];
  if (route === 'create') {
    // Answers lost after the run was made, thrice as likely: the step must find the run, not make another.
    const lost = () => lostAfterActing(r, route, requestTimeoutMs);
    kinds.push(lost, lost, lost);
    kinds.push(() => ({ route, status: 400, body: adobeBody(400) }));
  }
  if (route === 'token') {
    kinds.push(() => ({
      route,
      status: r.pick([400, 401]),
      body: JSON.stringify({ error: text(), error_description: text() }),
    }));
  }
  if (route === 'read') kinds.push(() => ({ route, status: r.pick([403, 404]), body: adobeBody(404) }));
  // Acted on, then answered with a body that is not what was asked for.
  kinds.push(() => ({ route, malformed: r.pick(['<html>##[error]gateway</html>', '{"items":[{}]}', text()]) }));
  // A service that echoes the secrets it was sent: at the start of its text, or where the action's cut
  // at 200 or 500 characters (an excerpt, a line of service text) would split the token or the secret.
  const pad = () => 'x'.repeat(r.pick(route === 'token' ? [0, 395, 405] : [0, 150, 160, 445, 455]));
  if (route === 'token') {
    kinds.push(() => ({
      route,
      status: r.pick([400, 401]),
      echo: true,
      body: JSON.stringify({ error: 'invalid_request', error_description: `${pad()}got {request}` }),
    }));
  } else {
    kinds.push(() => ({
      route,
      status: r.pick([400, 403, 404, 500]),
      echo: true,
      body: JSON.stringify({ error_code: '400050', message: `${pad()}token {authorization} is not valid` }),
    }));
    kinds.push(() => ({ route, echo: true, malformed: `${pad()}{authorization}` }));
  }
  return r.pick(kinds)();
}

/** An answer lost after the service acted: a 5xx, a dropped connection, or one slower than request-timeout. */
function lostAfterActing(r: Random, route: Route, requestTimeoutMs: number): Fault {
  const status = r.pick([500, 502, 504]);
  return r.pick<Fault>([
    {
      route,
      status,
      afterActing: true,
      body: JSON.stringify({ error_code: `${status}050`, message: r.pick(HOSTILE_TEXT) }),
    },
    { route, reset: 'after' },
    { route, delayMs: requestTimeoutMs + r.int(200, 900) },
  ]);
}

/** One line per fact of the case, hostile text shown escaped, for the report of a failing case. */
export function describeCase(c: CampaignCase): string {
  const lines = [
    `seed ${c.seed}: ${c.flows.length} flow(s) (max-concurrency ${c.maxConcurrency}), wait ${c.wait}, timeout ${c.timeoutMs} ms, request-timeout ` +
      `${c.requestTimeoutMs} ms, poll ${c.pollMs} ms, fail-on-partial ${c.failOnPartial}, ` +
      `${c.givenToken ? 'given access-token' : 'minted token'}${c.tokenUses ? `, token dies after ${c.tokenUses} uses` : ''}` +
      `${c.listDelayMs ? `, lists lag ${c.listDelayMs} ms` : ''}${c.pageSize ? `, page size ${c.pageSize}` : ''}` +
      `${c.cancelAfterMs ? `, cancelled after ${c.cancelAfterMs} ms` : ''}`,
  ];
  for (const f of c.flows) {
    const s = f.scenario;
    lines.push(
      `  flow ${f.id}: ${s.createShape}/${s.etagKey}, statuses ${JSON.stringify(s.statuses)}` +
        `${s.runIds ? `, run ID ${JSON.stringify(s.runIds[0])}` : ''}` +
        `${s.etags ? `, etag ${JSON.stringify(s.etags[0])}` : ''}${s.errors ? ', with errors' : ''}`,
    );
  }
  for (const h of c.history) lines.push(`  history: ${JSON.stringify(h)}`);
  for (const [route, list] of Object.entries(c.faults)) {
    list.forEach((f, i) => {
      if (f) lines.push(`  ${route} #${i + 1}: ${JSON.stringify({ ...f, route: undefined })}`);
    });
  }
  return lines.join('\n');
}

/** A short name for the test list. */
export function titleOf(c: CampaignCase): string {
  const faults = Object.values(c.faults).reduce((n, list) => n + list.filter(Boolean).length, 0);
  const odd = c.flows.filter((f) => f.badId).length;
  return (
    `${c.flows.length} flow(s), ${c.wait ? 'wait' : 'no wait'}, ${faults} fault(s)` +
    `${odd ? `, ${odd} malformed run ID(s)` : ''}${c.givenToken ? ', given token' : ''}` +
    `${c.cancelAfterMs ? ', cancelled' : ''}`
  );
}
