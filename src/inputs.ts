// The one table of inputs: each input's default (as action.yml declares it), its parser, whether it is
// a secret, and the mode it belongs to. Names, defaults, secrets and the conflicts between modes all
// follow from it; a new input is its declaration in action.yml plus one entry here (and its use).
// Checks that read more than one input are in settings.ts.
import { z } from 'zod';
import { SERVICE_ID, UUID } from './ids.js';
import { parseFailedLimit, type FailedLimit } from './gates.js';
import { parseDuration, TimeFormatError } from './time.js';

/**
 * The modes of the main action: `create` starts runs of flows, `follow` follows given runs (`run-id`
 * decides). An input of one mode given in the other is an error that names both inputs.
 */
export type Mode = 'create' | 'follow';

export interface InputSpec<T = unknown> {
  /** The default action.yml declares; the runner passes it as if the user had given it. */
  default?: string;
  /** Masked the moment it is read, and never quoted in an error. */
  secret?: true;
  /** Parses the trimmed text (the default when the input is empty). */
  schema: z.ZodType<T, string>;
  /** The one mode it means something in, and why it needs that mode ("the runs to re-trigger"). */
  mode?: Mode;
  needs?: string;
}

type Ctx = z.core.$RefinementCtx;

const MAX_TIMEOUT_MS = 7 * 86_400_000; // a self-hosted job runs 5 days at most
const EXAMPLE_ID = '3abea21c-7e36-4be1-bec1-d3bad0e3e0de';
const HEADER_SAFE = /^[\x21-\x7e]+$/; // visible ASCII: anything else cannot travel in an HTTP header

/** A zod transform around a parser that throws TimeFormatError with a readable message. */
export function parsed<T>(parse: (value: string) => T) {
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

const text = z.string();
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

const wholeNumber = (what: string, min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `must be a whole number of ${what}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be from ${min} to ${max}`);

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

/** Sandbox names are lower case (Adobe's OpenAPI file): an upper-case one is named with its fix. */
function sandboxName(value: string, ctx: Ctx): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,255}$/.test(value)) {
    ctx.addIssue({ code: 'custom', message: 'may hold only letters, digits and hyphens (such as prod or dev-2)' });
    return z.NEVER;
  }
  if (value !== value.toLowerCase()) {
    ctx.addIssue({
      code: 'custom',
      message: `must be lower case, as sandbox names are: use '${value.toLowerCase()}'; got '${value}'`,
    });
    return z.NEVER;
  }
  return value;
}

/** `min-records`: a whole number of records, or nothing (no gate). */
const recordCount = z
  .string()
  .regex(/^\d*$/, 'must be a whole number of records, such as 1')
  .transform((v) => (v === '' ? undefined : Number(v)));

/** `max-failed-records`: a count (`0`, `500`) or a share of the input records (`1%`, `0.5%`), or nothing. */
function failedLimit(value: string, ctx: Ctx): FailedLimit | undefined {
  if (value === '') return undefined;
  const limit = parseFailedLimit(value);
  if (limit) return limit;
  ctx.addIssue({
    code: 'custom',
    message: 'must be a count of records (such as 0 or 500) or a percentage up to 100% (such as 0.5%)',
  });
  return z.NEVER;
}

const spec = <T>(s: InputSpec<T>): InputSpec<T> => s;

/** Names separated by commas: spaces around them and empty ones ignored. */
const commaList = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

/** The inputs every action of this repository reads the same way: credentials and connection. */
export const CONNECTION_INPUTS = {
  'client-id': spec({
    schema: required('the OAuth Server-to-Server client ID').regex(
      /^[\w.-]{1,255}$/,
      'must be the client ID from the Adobe Developer Console (letters, digits, - _ .)',
    ),
  }),
  'client-secret': spec({ secret: true, schema: text }),
  'access-token': spec({
    secret: true,
    schema: z
      .string()
      .transform((v) => v.replace(/^bearer\s+/i, ''))
      .refine((v) => v === '' || HEADER_SAFE.test(v), 'contains characters a token cannot have'),
  }),
  'org-id': spec({
    schema: required('the IMS organization ID, ending in @AdobeOrg').regex(
      /^[A-Za-z0-9]+@AdobeOrg$/,
      "must be an IMS organization ID ending in '@AdobeOrg'",
    ),
  }),
  'sandbox-name': spec({ default: 'prod', schema: z.string().transform(sandboxName) }),
  scopes: spec({
    default: 'openid,AdobeID,read_organizations,additional_info.projectedProductContext,session',
    schema: commaList
      .refine((list) => list.length > 0, 'must name at least one scope')
      .refine((list) => list.every((s) => HEADER_SAFE.test(s)), 'must be scope names separated by commas')
      .transform((list) => list.join(',')),
  }),
  'request-timeout': spec({ default: '30s', schema: duration(MAX_TIMEOUT_MS) }),
  'platform-url': spec({ default: 'https://platform.adobe.io', schema: z.string().transform(serviceUrl) }),
  'ims-url': spec({ default: 'https://ims-na1.adobelogin.com', schema: z.string().transform(serviceUrl) }),
  'max-concurrency': spec({ default: '5', schema: wholeNumber('run requests, such as 5', 1, 50) }),
  'ui-tenant': spec({
    schema: z
      .string()
      .regex(
        /^([A-Za-z0-9][A-Za-z0-9_.-]{0,99}(@AdobeOrg)?)?$/,
        'must be the tenant name from experience.adobe.com/#/@tenant',
      ),
  }),
};

/** Waiting: shared by the main action's `wait` and the check's gate (which has its own poll default). */
export const WAIT_INPUTS = {
  wait: spec({ default: 'false', schema: booleanInput }),
  timeout: spec({ default: '1h', schema: duration(MAX_TIMEOUT_MS) }),
  'poll-interval': spec({ default: '30s', schema: duration(MAX_TIMEOUT_MS) }),
};

const C = CONNECTION_INPUTS;
const W = WAIT_INPUTS;

/** Every input of the main action, in the order action.yml lists them (and so errors name them). */
export const MAIN_INPUTS = {
  'flow-id': spec({
    mode: 'create',
    schema: z.string().transform(idList(UUID, 'dataflow', `(UUIDs such as ${EXAMPLE_ID})`)),
  }),
  'client-id': C['client-id'],
  'client-secret': C['client-secret'],
  'access-token': C['access-token'],
  'org-id': C['org-id'],
  'sandbox-name': C['sandbox-name'],
  scopes: C.scopes,
  'source-type': spec({
    default: 'auto',
    mode: 'create',
    schema: z
      .string()
      .transform((v) => v.toLowerCase())
      .pipe(z.enum(['auto', 'table', 'file'], { error: 'must be table, file or auto' })),
  }),
  'delta-column': spec({ mode: 'create', schema: text }),
  'start-time': spec({ default: 'now', mode: 'create', schema: text }),
  'window-start': spec({ mode: 'create', schema: text }),
  'window-end': spec({ default: 'now', mode: 'create', schema: text }),
  wait: W.wait,
  timeout: W.timeout,
  'poll-interval': W['poll-interval'],
  'request-timeout': C['request-timeout'],
  'fail-on-partial': spec({ default: 'false', schema: booleanInput }),
  'dry-run': spec({ default: 'false', schema: booleanInput }),
  'platform-url': C['platform-url'],
  'ims-url': C['ims-url'],
  'max-concurrency': C['max-concurrency'],
  'run-id': spec({ schema: z.string().transform(idList(SERVICE_ID, 'run', `(such as ${EXAMPLE_ID})`)) }),
  're-trigger': spec({ default: 'false', mode: 'follow', needs: 'the runs to re-trigger', schema: booleanInput }),
  retries: spec({ default: '0', schema: wholeNumber('re-triggers from 0 to 5', 0, 5) }),
  'first-window-start': spec({ mode: 'create', schema: text }),
  'max-window': spec({ mode: 'create', schema: text }),
  'if-running': spec({
    default: 'auto',
    mode: 'create',
    schema: z
      .string()
      .transform((v) => v.toLowerCase())
      .pipe(z.enum(['auto', 'start', 'wait', 'skip', 'fail'], { error: 'must be start, wait, skip, fail or auto' })),
  }),
  preflight: spec({ default: 'true', schema: booleanInput }),
  'ui-tenant': C['ui-tenant'],
  'failed-records': spec({
    default: 'codes',
    schema: z
      .string()
      .transform((v) => v.toLowerCase())
      .pipe(z.enum(['none', 'codes', 'files'], { error: 'must be none, codes or files' })),
  }),
  'catch-up': spec({ default: 'false', mode: 'create', schema: booleanInput }),
  'min-records': spec({ schema: recordCount }),
  'max-failed-records': spec({ schema: z.string().transform(failedLimit) }),
};

/** `fail-on`: `none`, or findings separated by commas. */
const failOn = () =>
  z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean),
    )
    .refine(
      (list) =>
        (list.length === 1 && list[0] === 'none') || (list.length > 0 && list.every((f) => /^(stale|failed)$/.test(f))),
      "must be 'none' or one or both of stale, failed (comma-separated)",
    )
    .transform(
      (list) => new Set(list.filter((f): f is 'stale' | 'failed' => f !== 'none')) as ReadonlySet<'stale' | 'failed'>,
    );

/** Every input of the check action, in the order check/action.yml lists them. */
export const CHECK_INPUTS = /* @__PURE__ */ checkInputs();

/**
 * Built by a call marked pure, so that the main action's entry, which never reads this table, drops
 * it when bundled (zod schemas are calls a bundler must otherwise keep): its fail-fast path does not grow.
 */
function checkInputs() {
  /** The runner's own expression for the job's token: check/action.yml's default of `github-token`. */
  const GITHUB_TOKEN_DEFAULT = '${{ github.token }}';
  /** `lookback` and `max-age`: a flow may run weekly, and its history be read over weeks. */
  const longDuration = () =>
    z
      .string()
      .transform(parsed(parseDuration))
      .refine((ms) => ms > 0, 'must be longer than zero')
      .refine((ms) => ms <= 90 * 86_400_000, 'must be 90d or less');
  return {
    'flow-id': spec({
      schema: required('one or more dataflow IDs').transform(idList(UUID, 'dataflow', `(UUIDs such as ${EXAMPLE_ID})`)),
    }),
    'client-id': C['client-id'],
    'client-secret': C['client-secret'],
    'access-token': C['access-token'],
    'org-id': C['org-id'],
    'sandbox-name': C['sandbox-name'],
    scopes: C.scopes,
    'max-age': spec({
      schema: z.string().transform((v, ctx) => {
        if (v === '') return undefined; // without max-age, freshness is reported and never fails
        const result = longDuration().safeParse(v);
        if (result.success) return result.data;
        ctx.addIssue({ code: 'custom', message: result.error.issues[0]!.message });
        return z.NEVER;
      }),
    }),
    lookback: spec({ default: '7d', schema: longDuration() }),
    'fail-on': spec({ default: 'stale,failed', schema: failOn() }),
    wait: W.wait,
    timeout: W.timeout,
    'poll-interval': spec({ ...W['poll-interval'], default: '1m' }),
    issues: spec({ default: 'false', schema: booleanInput }),
    'github-token': spec({
      default: GITHUB_TOKEN_DEFAULT,
      secret: true,
      // Outside a runner nobody expands the expression: then there is no token.
      schema: z.string().transform((v) => (v === GITHUB_TOKEN_DEFAULT ? '' : v)),
    }),
    'issue-labels': spec({
      default: 'aep-dataflow',
      schema: commaList.refine(
        (list) => list.every((l) => l.length <= 50),
        'must be labels of at most 50 characters, comma-separated',
      ),
    }),
    'request-timeout': C['request-timeout'],
    'platform-url': C['platform-url'],
    'ims-url': C['ims-url'],
    'max-concurrency': C['max-concurrency'],
    'ui-tenant': C['ui-tenant'],
  };
}

export type InputTable = Record<string, InputSpec>;
/** What a table's inputs parse to, input by input. */
export type ParsedInputs<T extends InputTable> = { [K in keyof T]: T[K] extends InputSpec<infer V> ? V : never };

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

export interface InputSource<Name extends string = string> {
  /** The trimmed value of an input, '' when unset. */
  getInput(name: Name): string;
  /** Masks a value in all later log output. */
  setSecret(value: string): void;
}

/** A table's inputs, each parsed on its own; what was given; and each bad input's problem, once. */
export interface ReadInputs<T extends InputTable> {
  values: ParsedInputs<T>;
  /** Given by the user: a value equal to its declared default counts as not given (the runner passes defaults). */
  given: Set<keyof T & string>;
  problems: Problems;
}

/** The problems found so far, at most one per input. */
export class Problems {
  readonly list: string[] = [];

  /** "Input 'x' message", unless input x already has a problem of its own. */
  add(name: string, message: string): void {
    if (!this.list.some((p) => p.startsWith(`Input '${name}' `))) this.list.push(`Input '${name}' ${message}`);
  }

  /** Throws the one InputError that names every bad input, if there is any. */
  throwIfAny(): void {
    if (this.list.length > 0) throw new InputError(this.list);
  }
}

/** Reads every input of a table: secrets masked as read, each input parsed on its own, all problems kept. */
export function readInputs<T extends InputTable>(table: T, source: InputSource<keyof T & string>): ReadInputs<T> {
  const values = {} as Record<string, unknown>;
  const given = new Set<string>();
  const problems = new Problems();
  for (const [name, input] of Object.entries(table)) {
    const value = source.getInput(name);
    if (value && input.secret) source.setSecret(value);
    const text = value || input.default || '';
    if (value && value.toLowerCase() !== input.default?.toLowerCase()) given.add(name);
    const result = input.schema.safeParse(text);
    if (result.success) {
      values[name] = result.data;
      continue;
    }
    // Quote what the user gave (never a secret) when the message does not already.
    const message = result.error.issues[0]!.message;
    const quote = !input.secret && value && !message.includes('got ') && !message.startsWith('is required');
    problems.add(name, `${message}${quote ? `; got '${value}'` : ''}`);
    // Stand-in so the checks across inputs still run: the default, or the text as given.
    values[name] = input.default === undefined ? text : input.schema.parse(input.default);
  }
  return { values: values as ParsedInputs<T>, given: given, problems };
}

/**
 * The inputs of one mode given in the other: each is named with the input that chose the mode.
 * `chosenBy` is the input whose presence means `mode` (`run-id` for follow).
 */
export function checkModes(table: InputTable, mode: Mode, given: Set<string>, problems: Problems, chosenBy: string) {
  for (const [name, input] of Object.entries(table)) {
    if (!input.mode || input.mode === mode || !given.has(name)) continue;
    if (mode === 'follow') {
      problems.add(
        name,
        `cannot be given with '${chosenBy}': '${chosenBy}' follows runs that exist, and creates none. Remove one of them`,
      );
    } else {
      problems.add(name, `needs '${chosenBy}'${input.needs ? `: ${input.needs}` : ''}`);
    }
  }
}

/** The names of a table's inputs, in the order action.yml lists them. */
export function namesOf(table: InputTable): string[] {
  return Object.keys(table);
}

/** The defaults of a table's inputs, as action.yml declares them. */
export function defaultsOf(table: InputTable): Record<string, string> {
  return Object.fromEntries(
    Object.entries(table).flatMap(([name, input]) => (input.default === undefined ? [] : [[name, input.default]])),
  );
}
