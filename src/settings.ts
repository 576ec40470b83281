// Every input of action.yml read into one typed, validated `Settings` object, before any request.
// A bad input fails here with a message that names the input; secrets are masked as they are read.
import { z } from 'zod';
import { SERVICE_ID, UUID } from './ids.js';
import type { Credentials } from './ims.js';
import { parseDuration, parseTime, TimeFormatError } from './time.js';

export type IfRunning = 'start' | 'wait' | 'skip' | 'fail';

export interface Settings {
  /** One or more dataflow IDs, in the order given (none with `run-id`). */
  flowIds: string[];
  /** Existing runs to follow instead of creating any (`run-id`), in the order given. */
  runIds: string[];
  /** With `runIds`: re-trigger each and follow the new run. */
  retrigger: boolean;
  /** How many times a run that ends failed is re-triggered automatically. */
  retries: number;
  /** Experience Cloud tenant for run links: `ui-tenant`, else the org ID. */
  uiTenant: string;
  /** What to do when a run of the flow is still in progress (`auto` resolved). */
  ifRunning: IfRunning;
  /** Read each flow before starting its run. */
  preflight: boolean;
  /** With `last-success`: where a flow with no successful run starts (unix seconds). */
  firstWindowStart: number | undefined;
  /** With `last-success`: the longest window one run may take. */
  maxWindowMs: number | undefined;
  /** Things worth saying about the inputs that do not stop the step. */
  warnings: string[];
  /** At most this many run requests in flight at once (several flows only). */
  maxConcurrency: number;
  clientId: string;
  credentials: Credentials;
  orgId: string;
  sandboxName: string;
  sourceType: 'table' | 'file';
  deltaColumn: string | undefined;
  /** Unix seconds, as the run request carries them. */
  startTime: number;
  /** Unix seconds, or where the newest successful window of the flow's runs ended. */
  windowStart: number | 'last-success';
  windowEnd: number;
  wait: boolean;
  timeoutMs: number;
  /** Time limit of each HTTP request (headers, and each gap in a body). */
  requestTimeoutMs: number;
  pollIntervalMs: number;
  failOnPartial: boolean;
  dryRun: boolean;
  /** Origins (and optional path prefix) without a trailing slash. */
  platformUrl: string;
  imsUrl: string;
}

/** The defaults the code applies to an empty input; action.yml declares the same ones. */
export const INPUT_DEFAULTS = {
  'sandbox-name': 'prod',
  scopes: 'openid,AdobeID,read_organizations,additional_info.projectedProductContext,session',
  'source-type': 'auto',
  'start-time': 'now',
  'window-end': 'now',
  wait: 'false',
  timeout: '1h',
  'poll-interval': '30s',
  'request-timeout': '30s',
  'fail-on-partial': 'false',
  'dry-run': 'false',
  'platform-url': 'https://platform.adobe.io',
  'ims-url': 'https://ims-na1.adobelogin.com',
  'max-concurrency': '5',
  're-trigger': 'false',
  retries: '0',
  'if-running': 'auto',
  preflight: 'true',
} as const;

/** Every input the action reads, in the order action.yml lists them. */
export const INPUT_NAMES = [
  'flow-id',
  'client-id',
  'client-secret',
  'access-token',
  'org-id',
  'sandbox-name',
  'scopes',
  'source-type',
  'delta-column',
  'start-time',
  'window-start',
  'window-end',
  'wait',
  'timeout',
  'poll-interval',
  'request-timeout',
  'fail-on-partial',
  'dry-run',
  'platform-url',
  'ims-url',
  'max-concurrency',
  'run-id',
  're-trigger',
  'retries',
  'first-window-start',
  'max-window',
  'if-running',
  'preflight',
  'ui-tenant',
] as const;

export type InputName = (typeof INPUT_NAMES)[number];
const SECRET_INPUTS: ReadonlySet<InputName> = new Set(['client-secret', 'access-token']);

/** Bad input: the message names the input and the problem, and is shown as-is. */
export class InputError extends Error {
  override name = 'InputError';
  /** Each bad input's problem, one sentence each, as the message lists them. */
  constructor(readonly problems: string[]) {
    super(
      problems.length === 1 ? problems[0]! : `${problems.length} inputs are not right:\n- ${problems.join('\n- ')}`,
    );
  }
}

export interface InputSource {
  /** The trimmed value of an input, '' when unset. */
  getInput(name: InputName): string;
  /** Masks a value in all later log output. */
  setSecret(value: string): void;
}

const MAX_TIMEOUT_MS = 7 * 86_400_000; // a self-hosted job runs 5 days at most

type Ctx = z.core.$RefinementCtx;

/** A zod transform around a parser that throws TimeFormatError with a readable message. */
function parsed<T>(parse: (value: string) => T) {
  return (value: string, ctx: Ctx): T => {
    try {
      return parse(value);
    } catch (error) {
      if (!(error instanceof TimeFormatError)) throw error;
      ctx.addIssue({ code: 'custom', message: error.message });
      return z.NEVER;
    }
  };
}

const required = (what: string) => z.string().min(1, { error: `is required: ${what}`, abort: true });

const booleanInput = z
  .string()
  .regex(/^(true|false)$/i, 'must be true or false')
  .transform((v) => v.toLowerCase() === 'true');

const duration = (max: number) =>
  z
    .string()
    .transform(parsed(parseDuration))
    .refine((ms) => ms > 0, 'must be longer than zero')
    .refine((ms) => ms <= max, 'must be 7d or less');

function serviceUrl(value: string, ctx: Ctx): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: `must be a URL such as https://example.com; got '${value}'` });
    return z.NEVER;
  }
  const loopback = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i.test(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    ctx.addIssue({ code: 'custom', message: `must use https (plain http only for loopback hosts); got '${value}'` });
    return z.NEVER;
  }
  if (url.username || url.password || url.search || url.hash) {
    ctx.addIssue({ code: 'custom', message: 'must not carry credentials, a query or a fragment' });
    return z.NEVER;
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

/** One ID per line or comma-separated; blanks and spaces ignored; each of its form, none twice. */
function idList(form: RegExp, what: string, example: string) {
  return (value: string, ctx: Ctx): string[] => {
    const ids = value
      .split(/[\n,]/)
      .map((id) => id.trim())
      .filter(Boolean);
    const bad = ids.filter((id) => !form.test(id));
    if (bad.length > 0) {
      const list = bad.map((id) => `'${id}'`).join(', ');
      ctx.addIssue({ code: 'custom', message: `must be ${what} IDs ${example}; got ${list}` });
      return z.NEVER;
    }
    const twice = ids.filter((id, i) => ids.findIndex((other) => other.toLowerCase() === id.toLowerCase()) !== i);
    if (twice.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `names the same ${what} more than once: ${[...new Set(twice)].join(', ')}`,
      });
      return z.NEVER;
    }
    return ids;
  };
}

const EXAMPLE_ID = '3abea21c-7e36-4be1-bec1-d3bad0e3e0de';

const headerSafe = /^[\x21-\x7e]+$/; // visible ASCII: anything else cannot travel in an HTTP header

const rawInputs = z.object({
  'flow-id': z.string().transform(idList(UUID, 'dataflow', `(UUIDs such as ${EXAMPLE_ID})`)),
  'client-id': required('the OAuth Server-to-Server client ID').regex(
    /^[\w.-]{1,255}$/,
    'must be the client ID from the Adobe Developer Console (letters, digits, - _ .)',
  ),
  'client-secret': z.string(),
  'access-token': z
    .string()
    .transform((v) => v.replace(/^bearer\s+/i, ''))
    .refine((v) => v === '' || headerSafe.test(v), 'contains characters a token cannot have'),
  'org-id': required('the IMS organization ID, ending in @AdobeOrg').regex(
    /^[A-Za-z0-9]+@AdobeOrg$/,
    "must be an IMS organization ID ending in '@AdobeOrg'",
  ),
  'sandbox-name': z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,255}$/, 'may hold only letters, digits and hyphens (such as prod or dev-2)'),
  scopes: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .refine((list) => list.length > 0, 'must name at least one scope')
    .refine((list) => list.every((s) => headerSafe.test(s)), 'must be scope names separated by commas')
    .transform((list) => list.join(',')),
  'source-type': z
    .string()
    .transform((v) => v.toLowerCase())
    .pipe(z.enum(['auto', 'table', 'file'], { error: 'must be table, file or auto' })),
  'delta-column': z.string(),
  'start-time': z.string(),
  'window-start': z.string(),
  'window-end': z.string(),
  wait: booleanInput,
  timeout: duration(MAX_TIMEOUT_MS),
  'poll-interval': duration(MAX_TIMEOUT_MS),
  'request-timeout': duration(MAX_TIMEOUT_MS),
  'fail-on-partial': booleanInput,
  'dry-run': booleanInput,
  'platform-url': z.string().transform(serviceUrl),
  'ims-url': z.string().transform(serviceUrl),
  'max-concurrency': z
    .string()
    .regex(/^\d+$/, 'must be a whole number of run requests, such as 5')
    .transform(Number)
    .refine((n) => n >= 1 && n <= 50, 'must be from 1 to 50'),
  'run-id': z.string().transform(idList(SERVICE_ID, 'run', `(such as ${EXAMPLE_ID})`)),
  're-trigger': booleanInput,
  retries: z
    .string()
    .regex(/^\d+$/, 'must be a whole number of re-triggers from 0 to 5')
    .transform(Number)
    .refine((n) => n <= 5, 'must be from 0 to 5'),
  'first-window-start': z.string(),
  'max-window': z.string(),
  'if-running': z
    .string()
    .transform((v) => v.toLowerCase())
    .pipe(z.enum(['auto', 'start', 'wait', 'skip', 'fail'], { error: 'must be start, wait, skip, fail or auto' })),
  preflight: booleanInput,
  'ui-tenant': z
    .string()
    .regex(
      /^([A-Za-z0-9][A-Za-z0-9_.-]{0,99}(@AdobeOrg)?)?$/,
      'must be the tenant name from experience.adobe.com/#/@tenant',
    ),
});

type RawInputs = z.output<typeof rawInputs>;

/** Reads every input into Settings, or throws one InputError that names each bad input. */
export function readSettings(source: InputSource, nowMs: number = Date.now()): Settings {
  const values = {} as Record<InputName, string>;
  // The runner passes action.yml's defaults as if they were given: a value equal to its default is not.
  const given = new Set<InputName>();
  for (const name of INPUT_NAMES) {
    const value = source.getInput(name);
    if (value && SECRET_INPUTS.has(name)) source.setSecret(value);
    const fallback = (INPUT_DEFAULTS as Record<string, string>)[name];
    values[name] = value || fallback || '';
    if (value && value.toLowerCase() !== fallback?.toLowerCase()) given.add(name);
  }

  // Each input on its own first, so that every bad one is named, each once.
  const problems: string[] = [];
  const raw = {} as Record<InputName, unknown>;
  for (const name of INPUT_NAMES) {
    const result = rawInputs.shape[name].safeParse(values[name]);
    if (result.success) {
      raw[name] = result.data;
    } else {
      problems.push(describe(name, result.error.issues[0]!.message, values));
      // Stand-in so the checks across inputs still run: the default, or the text as given.
      const fallback = (INPUT_DEFAULTS as Record<string, string>)[name];
      raw[name] = fallback === undefined ? values[name] : rawInputs.shape[name].parse(fallback);
    }
  }
  const settings = buildSettings(raw as RawInputs, given, nowMs, problems);
  if (problems.length > 0) throw new InputError(problems);
  return settings;
}

function describe(name: InputName, message: string, values: Record<InputName, string>): string {
  // Quote what the user gave (never a secret) when the message does not already.
  const value = values[name];
  const quote = !SECRET_INPUTS.has(name) && value && !message.includes('got ') && !message.startsWith('is required');
  return `Input '${name}' ${message}${quote ? `; got '${value}'` : ''}`;
}

/** The checks that read more than one input, and the times that depend on `now`. */
function buildSettings(raw: RawInputs, given: Set<InputName>, nowMs: number, problems: string[]): Settings {
  // An input already reported on its own is not reported again through a check that reads it.
  const problem = (name: InputName, message: string) => {
    if (!problems.some((p) => p.startsWith(`Input '${name}' `))) problems.push(`Input '${name}' ${message}`);
  };
  const time = (name: InputName, value: string): number => {
    try {
      return parseTime(value, nowMs);
    } catch (error) {
      if (!(error instanceof TimeFormatError)) throw error;
      problem(name, error.message);
      return Number.NaN;
    }
  };

  let credentials: Credentials | undefined;
  if (raw['client-secret'] && raw['access-token']) {
    problem('client-secret', "and 'access-token' are both set: give one of them, not both");
  } else if (raw['client-secret']) {
    credentials = { kind: 'client-secret', clientSecret: raw['client-secret'], scopes: raw.scopes };
  } else if (raw['access-token']) {
    credentials = { kind: 'access-token', accessToken: raw['access-token'] };
  } else {
    problem('client-secret', "or 'access-token' is required: set one of them (from a repository secret)");
  }

  const runIds = raw['run-id'];
  const following = runIds.length > 0;
  if (following) {
    // These describe a run to create; with run-id no run is created.
    const conflicts: InputName[] = [
      'flow-id',
      'window-start',
      'window-end',
      'start-time',
      'delta-column',
      'source-type',
      'first-window-start',
      'max-window',
      'if-running',
    ];
    for (const name of conflicts.filter((n) => given.has(n))) {
      problem(
        name,
        "cannot be given with 'run-id': 'run-id' follows runs that exist, and creates none. Remove one of them",
      );
    }
  } else {
    if (raw['flow-id'].length === 0)
      problem('flow-id', "is required: the ID of the dataflow to run (or give 'run-id')");
    if (raw['re-trigger']) problem('re-trigger', "needs 'run-id': the runs to re-trigger");
    if (!raw['window-start'])
      problem(
        'window-start',
        'is required: the start of the data window, a time, a duration such as 24h, or last-success',
      );
  }

  const deltaColumn = raw['delta-column'] || undefined;
  const sourceType = raw['source-type'] === 'auto' ? (deltaColumn ? 'table' : 'file') : raw['source-type'];
  if (sourceType === 'file' && deltaColumn) {
    problem('delta-column', "is for table-based sources only; remove it or set 'source-type: table'");
  }

  const startTime = time('start-time', raw['start-time']);
  const windowEnd = time('window-end', raw['window-end']);
  /** A time, or a duration before window-end. */
  const windowTime = (name: InputName, value: string): number => {
    if (!/^\s*\d+\s*(ms|s|m|h|d)/i.test(value)) return time(name, value);
    try {
      return windowEnd - Math.floor(parseDuration(value) / 1000);
    } catch (error) {
      if (!(error instanceof TimeFormatError)) throw error;
      problem(name, error.message);
      return Number.NaN;
    }
  };
  const lastSuccess = raw['window-start'].trim().toLowerCase() === 'last-success';
  let windowStart: number | 'last-success' = 'last-success';
  if (!lastSuccess) {
    windowStart = following || !raw['window-start'] ? windowEnd - 1 : windowTime('window-start', raw['window-start']);
    if (windowStart >= windowEnd) {
      problem(
        'window-end',
        `must be after 'window-start' (the window is ${windowStart} to ${windowEnd}, unix seconds)`,
      );
    }
  }
  let firstWindowStart: number | undefined;
  let maxWindowMs: number | undefined;
  for (const name of ['first-window-start', 'max-window'] as const) {
    if (raw[name] && !lastSuccess && !following) problem(name, "only applies with 'window-start: last-success'");
  }
  if (raw['first-window-start'] && lastSuccess) {
    firstWindowStart = windowTime('first-window-start', raw['first-window-start']);
    if (firstWindowStart >= windowEnd) problem('first-window-start', "must be before 'window-end'");
  }
  if (raw['max-window'] && lastSuccess) {
    try {
      maxWindowMs = parseDuration(raw['max-window']);
      if (maxWindowMs < 1000) problem('max-window', 'must be at least 1s');
    } catch (error) {
      if (!(error instanceof TimeFormatError)) throw error;
      problem('max-window', error.message);
    }
  }

  const warnings: string[] = [];
  const nowSeconds = Math.floor(nowMs / 1000);
  if (given.has('window-end') && windowEnd > nowSeconds + 60) {
    warnings.push(
      `'window-end' is in the future (${new Date(windowEnd * 1000).toISOString()}): the run only ingests data that exists when it runs; what arrives later in the window is not taken again by a window that starts after it.`,
    );
  }
  if (raw.wait && raw['poll-interval'] > raw.timeout) {
    warnings.push(
      `'poll-interval' (${raw['poll-interval'] / 1000}s) is longer than 'timeout' (${raw.timeout / 1000}s): the run is read only once, at the timeout.`,
    );
  }
  if (/\/data\/foundation\/flowservice$/i.test(raw['platform-url'])) {
    problem(
      'platform-url',
      "must be the host only, such as https://platform.adobe.io: the action adds '/data/foundation/flowservice' itself",
    );
  }

  const ifRunning = raw['if-running'] === 'auto' ? (lastSuccess ? 'wait' : 'start') : raw['if-running'];

  return {
    flowIds: following ? [] : raw['flow-id'],
    runIds,
    retrigger: raw['re-trigger'],
    retries: raw.retries,
    uiTenant: raw['ui-tenant'] || raw['org-id'],
    ifRunning,
    preflight: raw.preflight,
    firstWindowStart,
    maxWindowMs,
    warnings,
    maxConcurrency: raw['max-concurrency'],
    clientId: raw['client-id'],
    credentials: credentials!,
    orgId: raw['org-id'],
    sandboxName: raw['sandbox-name'],
    sourceType,
    deltaColumn,
    startTime,
    windowStart,
    windowEnd,
    wait: raw.wait,
    timeoutMs: raw.timeout,
    pollIntervalMs: raw['poll-interval'],
    requestTimeoutMs: raw['request-timeout'],
    failOnPartial: raw['fail-on-partial'],
    dryRun: raw['dry-run'],
    platformUrl: raw['platform-url'],
    imsUrl: raw['ims-url'],
  };
}
