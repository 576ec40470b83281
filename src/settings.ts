// The main action's inputs (the table in inputs.ts) read into the settings of one mode: what every
// step shares (connection, credentials, limits, following) and what its mode needs (create: flows and
// windows; follow: run IDs). Checks that read more than one input, and times that depend on `now`, are
// here. A bad input fails before any request, with one message that names every bad input.
import type { FailedRecordsLevel } from './data-access.js';
import type { RecordGates } from './gates.js';
import type { Credentials } from './ims.js';
import {
  checkModes,
  defaultsOf,
  InputError,
  MAIN_INPUTS,
  namesOf,
  Problems,
  readInputs,
  type InputSource,
  type ParsedInputs,
} from './inputs.js';
import { MAX_WINDOWS } from './history.js';
import { parseDuration, parseTime, TimeFormatError } from './time.js';

export { InputError, type InputSource };

export type InputName = keyof typeof MAIN_INPUTS;
/** Every input the main action reads, in the order action.yml lists them. */
export const INPUT_NAMES = namesOf(MAIN_INPUTS) as InputName[];
/** The defaults the code applies to an empty input; action.yml declares the same ones. */
export const INPUT_DEFAULTS = defaultsOf(MAIN_INPUTS) as Partial<Record<InputName, string>>;

export type IfRunning = 'start' | 'wait' | 'skip' | 'fail';

/** Where a step connects, and as whom: every mode, and the check action, share these. */
export interface Connection {
  clientId: string;
  credentials: Credentials;
  orgId: string;
  sandboxName: string;
  /** Origins (and optional path prefix) without a trailing slash. */
  platformUrl: string;
  imsUrl: string;
  /** Time limit of each HTTP request (headers, and each gap in a body). */
  requestTimeoutMs: number;
  /** At most this many flows' requests in flight at once. */
  maxConcurrency: number;
  /** Experience Cloud tenant for run links: `ui-tenant`, else the org ID. */
  uiTenant: string;
}

/** What every step of the main action shares, whichever its mode. */
export interface SharedSettings extends Connection {
  /** Things worth saying about the inputs that do not stop the step. */
  warnings: string[];
  wait: boolean;
  timeoutMs: number;
  pollIntervalMs: number;
  failOnPartial: boolean;
  /** How many times a run that ends failed is re-triggered automatically. */
  retries: number;
  /** Send nothing; say what would be sent. */
  dryRun: boolean;
  /** What is fetched about the rejected records of a run that did not succeed (`failed-records`). */
  failedRecords: FailedRecordsLevel;
  /** `min-records`, `max-failed-records`: what a run that ended well must also show. */
  gates: RecordGates;
}

/** Create mode: start a run of each flow. */
export interface CreateSettings extends SharedSettings {
  mode: 'create';
  /** One or more dataflow IDs, in the order given. */
  flowIds: string[];
  sourceType: 'table' | 'file';
  deltaColumn: string | undefined;
  /** Unix seconds, as the run request carries them. */
  startTime: number;
  /** Unix seconds, or where the newest successful window of the flow's runs ended. */
  windowStart: number | 'last-success';
  windowEnd: number;
  /** With `last-success`: where a flow with no successful run starts (unix seconds). */
  firstWindowStart: number | undefined;
  /** The longest window one run may take: with `last-success`, or with `catch-up`. */
  maxWindowMs: number | undefined;
  /** Run every window of the range in turn (needs `maxWindowMs`; implies `wait`). */
  catchUp: boolean;
  /** What to do when a run of the flow is still in progress (`auto` resolved). */
  ifRunning: IfRunning;
  /** Read each flow before starting its run. */
  preflight: boolean;
}

/** Follow mode (`run-id`): follow given runs, optionally re-triggering them first. */
export interface FollowSettings extends SharedSettings {
  mode: 'follow';
  /** The runs to follow, in the order given. */
  runIds: string[];
  /** Re-trigger each and follow the new run. */
  retrigger: boolean;
}

export type Settings = CreateSettings | FollowSettings;

type Inputs = ParsedInputs<typeof MAIN_INPUTS>;

/** Reads every input into the settings of its mode, or throws one InputError that names each bad input. */
export function readSettings(source: InputSource<InputName>, nowMs: number = Date.now()): Settings {
  const { values, given, problems } = readInputs(MAIN_INPUTS, source);
  const following = values['run-id'].length > 0;
  checkModes(MAIN_INPUTS, following ? 'follow' : 'create', given, problems, 'run-id');
  const shared = sharedSettings(values, problems);
  const settings: Settings = following
    ? { mode: 'follow', ...shared, runIds: values['run-id'], retrigger: values['re-trigger'] }
    : createSettings(values, given, problems, nowMs, shared);
  problems.throwIfAny();
  return settings;
}

/** Reads the credentials: a client secret to mint tokens with, or a given token; exactly one. */
export function credentialsOf(
  values: { 'client-secret': string; 'access-token': string; scopes: string },
  problems: Problems,
): Credentials {
  if (values['client-secret'] && values['access-token']) {
    problems.add('client-secret', "and 'access-token' are both set: give one of them, not both");
  } else if (values['client-secret']) {
    return { kind: 'client-secret', clientSecret: values['client-secret'], scopes: values.scopes };
  } else if (values['access-token']) {
    return { kind: 'access-token', accessToken: values['access-token'] };
  } else {
    problems.add('client-secret', "or 'access-token' is required: set one of them (from a repository secret)");
  }
  return undefined as unknown as Credentials; // never used: the problem stops the step
}

/** The connection, from the inputs every action reads the same way. */
export function connectionOf(
  values: Pick<
    Inputs,
    | 'client-id'
    | 'client-secret'
    | 'access-token'
    | 'scopes'
    | 'org-id'
    | 'sandbox-name'
    | 'platform-url'
    | 'ims-url'
    | 'request-timeout'
    | 'max-concurrency'
    | 'ui-tenant'
  >,
  problems: Problems,
): Connection {
  if (/\/data\/foundation\/flowservice$/i.test(values['platform-url'])) {
    problems.add(
      'platform-url',
      "must be the host only, such as https://platform.adobe.io: the action adds '/data/foundation/flowservice' itself",
    );
  }
  return {
    clientId: values['client-id'],
    credentials: credentialsOf(values, problems),
    orgId: values['org-id'],
    sandboxName: values['sandbox-name'],
    platformUrl: values['platform-url'],
    imsUrl: values['ims-url'],
    requestTimeoutMs: values['request-timeout'],
    maxConcurrency: values['max-concurrency'],
    uiTenant: values['ui-tenant'] || values['org-id'],
  };
}

function sharedSettings(values: Inputs, problems: Problems): SharedSettings {
  const connection = connectionOf(values, problems);
  const warnings: string[] = [];
  // `catch-up` follows every window to its end: it implies `wait`.
  const wait = values.wait || values['catch-up'];
  const gates: RecordGates = { minRecords: values['min-records'], maxFailedRecords: values['max-failed-records'] };
  for (const name of ['min-records', 'max-failed-records'] as const) {
    if (values[name] !== undefined && !wait) {
      problems.add(name, "needs 'wait: true' (or 'catch-up: true'): a run's records are known only once it has ended");
    }
  }
  if (wait && values['poll-interval'] > values.timeout) {
    warnings.push(
      `'poll-interval' (${values['poll-interval'] / 1000}s) is longer than 'timeout' (${values.timeout / 1000}s): the run is read only once, at the timeout.`,
    );
  }
  return {
    ...connection,
    warnings,
    wait,
    timeoutMs: values.timeout,
    pollIntervalMs: values['poll-interval'],
    failOnPartial: values['fail-on-partial'],
    retries: values.retries,
    dryRun: values['dry-run'],
    failedRecords: values['failed-records'],
    gates,
  };
}

/** Create mode's flows, times and window rules, checked across inputs. */
function createSettings(
  values: Inputs,
  given: Set<InputName>,
  problems: Problems,
  nowMs: number,
  shared: SharedSettings,
): CreateSettings {
  const time = (name: InputName, value: string): number => {
    try {
      return parseTime(value, nowMs);
    } catch (error) {
      if (!(error instanceof TimeFormatError)) throw error;
      problems.add(name, error.message);
      return Number.NaN;
    }
  };

  if (values['flow-id'].length === 0)
    problems.add('flow-id', "is required: the ID of the dataflow to run (or give 'run-id')");
  if (!values['window-start']) {
    problems.add(
      'window-start',
      'is required: the start of the data window, a time, a duration such as 24h, or last-success',
    );
  }

  const deltaColumn = values['delta-column'] || undefined;
  const sourceType = values['source-type'] === 'auto' ? (deltaColumn ? 'table' : 'file') : values['source-type'];
  if (sourceType === 'file' && deltaColumn) {
    problems.add('delta-column', "is for table-based sources only; remove it or set 'source-type: table'");
  }

  const startTime = time('start-time', values['start-time']);
  const windowEnd = time('window-end', values['window-end']);
  /** A time, or a duration before window-end. */
  const windowTime = (name: InputName, value: string): number => {
    if (!/^\s*\d+\s*(ms|s|m|h|d)/i.test(value)) return time(name, value);
    try {
      return windowEnd - Math.floor(parseDuration(value) / 1000);
    } catch (error) {
      if (!(error instanceof TimeFormatError)) throw error;
      problems.add(name, error.message);
      return Number.NaN;
    }
  };
  const lastSuccess = values['window-start'].trim().toLowerCase() === 'last-success';
  let windowStart: number | 'last-success' = 'last-success';
  if (!lastSuccess) {
    windowStart = values['window-start'] ? windowTime('window-start', values['window-start']) : windowEnd - 1;
    if (windowStart >= windowEnd) {
      problems.add(
        'window-end',
        `must be after 'window-start' (the window is ${windowStart} to ${windowEnd}, unix seconds)`,
      );
    }
  }
  let firstWindowStart: number | undefined;
  let maxWindowMs: number | undefined;
  const catchUp = values['catch-up'];
  if (values['first-window-start'] && !lastSuccess) {
    problems.add('first-window-start', "only applies with 'window-start: last-success'");
  }
  // A given range is split into windows only by `catch-up`; one run cannot take part of it.
  if (values['max-window'] && !lastSuccess && !catchUp) {
    problems.add(
      'max-window',
      "with a given 'window-start' needs 'catch-up: true' (to split the range into windows of at most this length); " +
        "remove 'max-window' to send the whole range in one run",
    );
  }
  if (catchUp && !values['max-window']) {
    problems.add('catch-up', "needs 'max-window': the longest window one run may take, such as 1d");
  }
  if (values['first-window-start'] && lastSuccess) {
    firstWindowStart = windowTime('first-window-start', values['first-window-start']);
    if (firstWindowStart >= windowEnd) problems.add('first-window-start', "must be before 'window-end'");
  }
  if (values['max-window'] && (lastSuccess || catchUp)) {
    try {
      maxWindowMs = parseDuration(values['max-window']);
      if (maxWindowMs < 1000) problems.add('max-window', 'must be at least 1s');
    } catch (error) {
      if (!(error instanceof TimeFormatError)) throw error;
      problems.add('max-window', error.message);
    }
  }
  if (catchUp && maxWindowMs !== undefined && maxWindowMs >= 1000 && typeof windowStart === 'number') {
    const count = Math.ceil((windowEnd - windowStart) / Math.floor(maxWindowMs / 1000));
    if (count > MAX_WINDOWS) {
      problems.add(
        'max-window',
        `splits the range into ${count} windows, more than ${MAX_WINDOWS} in one step: give a longer 'max-window' or a shorter range`,
      );
    }
  }

  const warnings: string[] = [];
  if (given.has('window-end') && windowEnd > Math.floor(nowMs / 1000) + 60) {
    warnings.push(
      `'window-end' is in the future (${new Date(windowEnd * 1000).toISOString()}): the run only ingests data that exists when it runs; what arrives later in the window is not taken again by a window that starts after it.`,
    );
  }

  return {
    mode: 'create',
    ...shared,
    warnings: [...warnings, ...shared.warnings],
    flowIds: values['flow-id'],
    sourceType,
    deltaColumn,
    startTime,
    windowStart,
    windowEnd,
    firstWindowStart,
    maxWindowMs,
    catchUp,
    ifRunning: values['if-running'] === 'auto' ? (lastSuccess ? 'wait' : 'start') : values['if-running'],
    preflight: values.preflight,
  };
}
