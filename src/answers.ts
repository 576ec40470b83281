// What the Flow Service says, apart from how it is asked: zod schemas for its answers, the `Run` and
// `Flow` this action works with, a run's window (from params, else from its copy activity), its
// diagnostics, and Adobe's error bodies. Everything here is untrusted on arrival: IDs are checked
// against their documented form, and any text is made inert before it leaves this module.
import { z } from 'zod';
import { SERVICE_ID } from './ids.js';
import { EARLIEST_TIME, LATEST_TIME } from './time.js';
import { excerpt, inert, parseJson } from './untrusted.js';

/** What an HTTP answer is to this module: no headers object of any client's making. */
export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** An etag is a short visible-ASCII token such as "\"3c00a5b0-0000-0200-0000-6376a8b40000\"". */
const ETAG = /^[\x21-\x7e]{1,200}$/;

const errorEntry = z.looseObject({
  code: z.unknown().optional(),
  message: z.unknown().optional(),
  recordCount: z.unknown().optional(),
});
const errorList = z.array(errorEntry).optional().catch(undefined);
const count = z.number().optional().catch(undefined);
const anything = z.unknown().optional();

const recordSummary = z
  .looseObject({
    inputRecordCount: count,
    createdRecordCount: count,
    updatedRecordCount: count,
    skippedRecordCount: count,
    failedRecordCount: count,
    failedInfo: errorList,
  })
  .optional()
  .catch(undefined);
const fileSummary = z
  .looseObject({ inputFileCount: count, outputFileCount: count, failedFileCount: count })
  .optional()
  .catch(undefined);

const metricsSchema = z.looseObject({
  statusSummary: z
    .looseObject({ status: z.string().optional().catch(undefined), errors: errorList })
    .optional()
    .catch(undefined),
  durationSummary: z.looseObject({ startedAtUTC: count, completedAtUTC: count }).optional().catch(undefined),
  sizeSummary: z.looseObject({ inputBytes: count, outputBytes: count }).optional().catch(undefined),
  recordSummary,
  fileSummary,
});

/** An activity's window, which copy activities give (in ms) where params do not. */
const activityDuration = z
  .object({
    extensions: z.object({ windowStart: anything, windowEnd: anything }).optional().catch(undefined),
  })
  .optional()
  .catch(undefined);

// What the action reads of an activity and of a run: unknown keys are left out rather than copied (a
// check parses thousands of runs). `metrics` stays whole: it is an output.
const activitySchema = z.object({
  id: anything,
  name: anything,
  statusSummary: z
    .object({
      errors: errorList,
      extensions: z.object({ errors: errorList, manifest: anything }).optional().catch(undefined),
    })
    .optional()
    .catch(undefined),
  durationSummary: activityDuration,
  recordSummary,
  fileSummary,
  targetInfo: z
    .array(z.object({ reference: z.object({ ids: anything }).optional().catch(undefined) }))
    .optional()
    .catch(undefined),
});

const runSchema = z.object({
  id: z.string().min(1),
  flowId: z.string().optional().catch(undefined),
  etag: z.string().optional().catch(undefined),
  eTag: z.string().optional().catch(undefined),
  createdAt: z.coerce.number().optional().catch(undefined),
  params: z.record(z.string(), z.unknown()).optional().catch(undefined),
  metrics: metricsSchema.optional().catch(undefined),
  activities: z.array(activitySchema).optional().catch(undefined),
  // Adobe's OpenAPI file (FlowRunItemDTO) spells the array `activites`; the monitoring docs' answers do not.
  activites: z.array(activitySchema).optional().catch(undefined),
});

// A run as the check judges it from a list: status, times, window, record counts and errors, and not
// one key more. Lists are where a check spends its time (200 flows x 168 runs), and zod's cost grows
// with the keys it visits: a page of 100 runs parses in about half the time of the whole schema's.
const briefActivity = z.object({
  id: anything,
  statusSummary: z
    .object({ errors: errorList, extensions: z.object({ errors: errorList }).optional().catch(undefined) })
    .optional()
    .catch(undefined),
  durationSummary: activityDuration,
});
const briefRunSchema = z.object({
  id: z.string().min(1),
  flowId: z.string().optional().catch(undefined),
  createdAt: z.coerce.number().optional().catch(undefined),
  params: z.object({ windowStartTime: anything, windowEndTime: anything }).optional().catch(undefined),
  metrics: z
    .object({
      statusSummary: z
        .object({ status: z.string().optional().catch(undefined), errors: errorList })
        .optional()
        .catch(undefined),
      durationSummary: z.object({ startedAtUTC: count, completedAtUTC: count }).optional().catch(undefined),
      recordSummary: z.object({ inputRecordCount: count, failedRecordCount: count }).optional().catch(undefined),
    })
    .optional()
    .catch(undefined),
  activities: z.array(briefActivity).optional().catch(undefined),
  activites: z.array(briefActivity).optional().catch(undefined),
});

type RunBody = z.output<typeof runSchema>;
type BriefRunBody = z.output<typeof briefRunSchema>;
export type RunMetrics = z.output<typeof metricsSchema>;

export interface ServiceErrorEntry {
  code: string;
  message: string;
  /** How many records it concerns, when the service says. */
  recordCount?: number;
}

/** A data window in unix seconds, and where the run's answer wrote it. */
export interface RunWindow {
  start: number;
  end: number;
  from: 'params' | 'copy activity';
}

/** Why a run failed, beyond its status: every fact the service gives, all inert text. */
export interface Diagnostics {
  /** metrics.recordSummary.failedInfo, and each activity's. */
  failedInfo: ServiceErrorEntry[];
  /** Batch IDs the run wrote to (targetInfo[].reference.ids). */
  batchIds: string[];
  /** Links Adobe gives to failed-record samples (statusSummary.extensions.manifest). */
  sampleLinks: Array<{ name: string; url: string }>;
}

/** A run as this action needs it: what the service said, in one shape whatever the answer's shape. */
export interface Run {
  id: string;
  etag: string | undefined;
  /** As the service spelled it, made inert. */
  status: string | undefined;
  flowId: string | undefined;
  createdAt: number | undefined;
  params: Record<string, unknown> | undefined;
  metrics: RunMetrics | undefined;
  /** The run's own errors: statusSummary, then each activity's (and their extensions'). */
  errors: ServiceErrorEntry[];
  window: RunWindow | undefined;
  diagnostics: Diagnostics;
}

/**
 * A run as a list shows it to the check: enough to judge a flow's health (status, times, window, record
 * counts, errors), nothing of its diagnostics or etag. A whole `Run` is one too.
 */
export interface BriefRun extends Pick<Run, 'id' | 'flowId' | 'status' | 'createdAt' | 'errors' | 'window'> {
  metrics:
    | {
        durationSummary?: { startedAtUTC?: number | undefined; completedAtUTC?: number | undefined } | undefined;
        recordSummary?: { inputRecordCount?: number | undefined; failedRecordCount?: number | undefined } | undefined;
      }
    | undefined;
}

// Three shapes answer a run request: {items: [run]}, {id, etag} and the whole run; reads use the first.
const listAnswer = z.looseObject({
  items: z.array(z.unknown()),
  continuationToken: z.string().optional().catch(undefined),
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

/** Told of a fault in an answer that the action can do without (an etag that is not one): it goes on. */
export type Warn = (message: string) => void;

export interface RunAnswerOptions {
  /** The run asked for: the answer must be about it (a list must hold it), else it is malformed. */
  runId?: string;
  warn?: Warn;
}

/**
 * A run from any of the answer shapes. An answer about one run asked for is about that run: another
 * run in its place is never taken for it. Throws a ServiceError when malformed.
 */
export function parseRunAnswer(res: Answer, what: string, { runId, warn }: RunAnswerOptions = {}): Run {
  const json = parseJson(res.text);
  const list = listAnswer.safeParse(json);
  let body: RunBody;
  if (list.success) {
    const items = list.data.items.map((item) => runSchema.safeParse(item));
    if (items.some((i) => !i.success) || items.length === 0) throw malformed(res, what);
    const bodies = items.map((i) => i.data!);
    const asked = runId === undefined ? bodies[0] : bodies.find((r) => r.id === runId);
    if (!asked) throw notAbout(res, what, `run ${runId}`);
    body = asked;
  } else {
    const single = runSchema.safeParse(json);
    if (!single.success) throw malformed(res, what);
    if (runId !== undefined && single.data.id !== runId) throw notAbout(res, what, `run ${runId}`);
    body = single.data;
  }
  return toRun(body, res, what, warn);
}

/** One page of GET /runs: its runs, and the token of the next page if there is one. */
export function parseRunPage(res: Answer, what: string, warn?: Warn): RunPage<Run> {
  return parsePage(res, what, runSchema, (body) => toRun(body, res, what, warn));
}

/** One page of GET /runs, each run read only as far as the check needs it. */
export function parseBriefRunPage(res: Answer, what: string): RunPage<BriefRun> {
  return parsePage(res, what, briefRunSchema, (body) => toBriefRun(body, res, what));
}

export interface RunPage<T> {
  runs: T[];
  next: string | undefined;
}

function parsePage<B, T>(res: Answer, what: string, schema: z.ZodType<B>, toRun: (body: B) => T): RunPage<T> {
  const answer = listAnswer.safeParse(parseJson(res.text));
  if (!answer.success) throw malformed(res, what);
  const runs: T[] = [];
  for (const item of answer.data.items) {
    const body = schema.safeParse(item);
    if (!body.success) throw malformed(res, what);
    runs.push(toRun(body.data));
  }
  return { runs, next: continuationOf(answer.data) };
}

function toRun(answered: RunBody, res: Answer, what: string, warn: Warn | undefined): Run {
  const body = { ...answered, activities: answered.activities ?? answered.activites };
  const brief = toBriefRun(answered, res, what);
  let etag = body.etag ?? body.eTag;
  // The run is known by its ID; an etag only tells one version of it from the next. A run the service
  // made must not be lost to a malformed etag: keep the run, without the etag.
  if (etag !== undefined && !ETAG.test(etag)) {
    warn?.(
      `Flow Service answered ${what} with an etag that is not one (${excerpt(etag, 80)}): run ${body.id} is ` +
        'kept without an etag.',
    );
    etag = undefined;
  }
  return {
    ...brief,
    etag,
    params: body.params,
    metrics: body.metrics,
    diagnostics: diagnosticsOf(body),
  };
}

/** What every reading of a run checks and takes: its ID (and flow's) in their form, status, errors, window. */
function toBriefRun(answered: BriefRunBody, res: Answer, what: string): BriefRun {
  const body = { ...answered, activities: answered.activities ?? answered.activites };
  if (!SERVICE_ID.test(body.id)) throw notAnId(res, what, 'a run ID', body.id);
  if (body.flowId !== undefined && !SERVICE_ID.test(body.flowId)) {
    throw notAnId(res, what, 'a flow ID', body.flowId);
  }
  const status = body.metrics?.statusSummary?.status;
  return {
    id: body.id,
    status: status === undefined ? undefined : inert(status, 60) || undefined,
    flowId: body.flowId,
    createdAt: body.createdAt,
    metrics: body.metrics,
    errors: errorsOf(body),
    window: windowOf(body),
  };
}

function entries(list: Array<z.output<typeof errorEntry>> | undefined): ServiceErrorEntry[] {
  return (list ?? []).map((e) => {
    const entry: ServiceErrorEntry = { code: inert(e.code ?? '', 100), message: inert(e.message ?? '') };
    const records = Number(e.recordCount);
    if (e.recordCount !== undefined && Number.isFinite(records) && records >= 0) entry.recordCount = records;
    return entry;
  });
}

function errorsOf(body: Pick<BriefRunBody, 'metrics' | 'activities'>): ServiceErrorEntry[] {
  const errors = entries(body.metrics?.statusSummary?.errors);
  for (const activity of body.activities ?? []) {
    errors.push(...entries(activity.statusSummary?.errors), ...entries(activity.statusSummary?.extensions?.errors));
  }
  // The same error often stands in the run's summary and again in its activity: show it once.
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.code}\u0000${e.message}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

/** The window a run took: params (seconds, number or string), else its copy activity (milliseconds). */
export function windowOf(body: Pick<BriefRunBody, 'params' | 'activities'>): RunWindow | undefined {
  const start = unixSeconds(body.params?.windowStartTime);
  const end = unixSeconds(body.params?.windowEndTime);
  if (start !== undefined && end !== undefined) return { start, end, from: 'params' };
  const copy = body.activities?.find((a) => a.id === 'copyActivity');
  const extensions = copy?.durationSummary?.extensions;
  const startMs = unixSeconds(extensions?.windowStart, 1000);
  const endMs = unixSeconds(extensions?.windowEnd, 1000);
  if (startMs !== undefined && endMs !== undefined) return { start: startMs, end: endMs, from: 'copy activity' };
  return undefined;
}

/** Unix seconds from a number or numeric string in `unit`ths of a second, if it is a sane time. */
function unixSeconds(value: unknown, perSecond = 1): number | undefined {
  if (typeof value !== 'number' && typeof value !== 'string') return undefined;
  if (typeof value === 'string' && !/^\d+$/.test(value.trim())) return undefined;
  const seconds = Math.floor(Number(value) / perSecond);
  // Outside the years the inputs accept, it is not a time this action could have sent.
  return Number.isFinite(seconds) && seconds >= EARLIEST_TIME && seconds < LATEST_TIME ? seconds : undefined;
}

function diagnosticsOf(body: RunBody): Diagnostics {
  const failedInfo = entries(body.metrics?.recordSummary?.failedInfo);
  const batchIds: string[] = [];
  const sampleLinks: Diagnostics['sampleLinks'] = [];
  for (const activity of body.activities ?? []) {
    failedInfo.push(...entries(activity.recordSummary?.failedInfo));
    for (const target of activity.targetInfo ?? []) {
      const ids = target.reference?.ids;
      for (const id of Array.isArray(ids) ? ids : []) {
        if (typeof id === 'string' && SERVICE_ID.test(id) && !batchIds.includes(id)) batchIds.push(id);
      }
    }
    sampleLinks.push(...manifestLinks(activity.statusSummary?.extensions?.manifest));
  }
  return { failedInfo, batchIds, sampleLinks };
}

/** Links from a manifest: `{name: url}` or `{name: [url | {path}]}`; only https Adobe links are kept. */
function manifestLinks(manifest: unknown): Diagnostics['sampleLinks'] {
  if (!manifest || typeof manifest !== 'object') return [];
  const links: Diagnostics['sampleLinks'] = [];
  for (const [name, value] of Object.entries(manifest as Record<string, unknown>)) {
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      const url = typeof v === 'string' ? v : (v as { path?: unknown } | null)?.path;
      const safe = safeLink(url);
      if (safe && /^[A-Za-z][A-Za-z0-9_]{0,40}$/.test(name)) links.push({ name, url: safe });
    }
  }
  return links;
}

/** A link from the service, only if it is a plain https (or loopback http, for tests) URL. */
export function safeLink(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 500 || !/^[\x21-\x7e]+$/.test(value)) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) return undefined;
  if (url.username || url.password) return undefined;
  return url.href;
}

function continuationOf(answer: z.output<typeof listAnswer>): string | undefined {
  if (answer.continuationToken) return answer.continuationToken;
  const href = answer._links?.next?.href;
  if (!href) return undefined;
  try {
    return new URL(href, 'https://placeholder.invalid').searchParams.get('continuationToken') ?? undefined;
  } catch {
    return undefined;
  }
}

/** A dataflow as GET /flows/{id} describes it. */
export interface Flow {
  id: string;
  /** Inert, for logs and the summary. */
  name: string | undefined;
  state: string | undefined;
  frequency: string | undefined;
  /** The delta column the flow's copy transformation already holds (table sources after a first run). */
  deltaColumn: string | undefined;
  /** scheduleParams.interval: how many `frequency` units between scheduled runs, when the flow says. */
  interval?: number | undefined;
  /** The flow's newest run as the flow itself reports it (ms times; lags lists by minutes). */
  lastRunDetails?: LastRunDetails | undefined;
}

/** `lastRunDetails` of a flow: its newest run's ID, state (inert) and times (epoch ms). */
export interface LastRunDetails {
  id: string;
  state: string | undefined;
  startedAtUTC: number | undefined;
  completedAtUTC: number | undefined;
}

const lastRunSchema = z
  .looseObject({ id: anything, state: anything, startedAtUTC: anything, completedAtUTC: anything })
  .optional()
  .catch(undefined);

const flowSchema = z.looseObject({
  id: z.string(),
  name: anything,
  state: anything,
  scheduleParams: z.looseObject({ frequency: anything, interval: anything }).optional().catch(undefined),
  lastRunDetails: lastRunSchema,
  transformations: z
    .array(
      z.looseObject({
        name: anything,
        params: z
          .looseObject({ deltaColumn: z.looseObject({ name: anything }).optional().catch(undefined) })
          .optional()
          .catch(undefined),
      }),
    )
    .optional()
    .catch(undefined),
});

/**
 * The flow in a GET /flows/{id} answer, or undefined for an empty `items` (no such flow). An answer
 * that holds only other flows is malformed: their name, state and schedule are not this flow's.
 */
export function parseFlowAnswer(res: Answer, flowId: string): Flow | undefined {
  const what = `the read of flow ${flowId}`;
  const answer = listAnswer.safeParse(parseJson(res.text));
  if (!answer.success) throw malformed(res, what, 'a flow');
  if (answer.data.items.length === 0) return undefined;
  const parsed = answer.data.items.map((item) => flowSchema.safeParse(item));
  if (parsed.some((b) => !b.success)) throw malformed(res, what, 'a flow');
  const bodies = parsed.map((b) => b.data!);
  const body = bodies.find((b) => b.id === flowId);
  if (!body) throw notAbout(res, what, `flow ${flowId}`);
  if (!SERVICE_ID.test(body.id)) throw notAnId(res, what, 'a flow ID', body.id);
  const text = (v: unknown, max: number) => (typeof v === 'string' && v.trim() ? inert(v, max) : undefined);
  const delta = body.transformations?.map((t) => t.params?.deltaColumn?.name).find((n) => typeof n === 'string');
  return {
    id: body.id,
    name: text(body.name, 120),
    state: text(body.state, 40),
    frequency: text(body.scheduleParams?.frequency, 40),
    deltaColumn: text(delta, 200),
    interval: countOf(body.scheduleParams?.interval),
    lastRunDetails: lastRunOf(body.lastRunDetails),
  };
}

/** lastRunDetails, when it names a run by a well-formed ID; its times only when they are epoch ms. */
function lastRunOf(last: z.output<typeof lastRunSchema>): LastRunDetails | undefined {
  if (typeof last?.id !== 'string' || !SERVICE_ID.test(last.id)) return undefined;
  const ms = (v: unknown) => {
    const seconds = unixSeconds(v, 1000);
    return seconds === undefined ? undefined : Number(v);
  };
  const state = typeof last.state === 'string' && last.state.trim() ? inert(last.state, 60) : undefined;
  return { id: last.id, state, startedAtUTC: ms(last.startedAtUTC), completedAtUTC: ms(last.completedAtUTC) };
}

/** A non-negative whole number from a number or numeric string. */
function countOf(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : undefined;
}

const errorBody = z.looseObject({
  error_code: anything,
  code: anything,
  message: anything,
  type: anything,
  title: anything,
  errorMessage: anything,
  report: z.looseObject({ 'detailed-message': anything, 'request-id': anything }).optional().catch(undefined),
});

/** "Flow Service could not X: HTTP 400 FLOW-1430-400: title; detail (request ID r)". */
export function serviceError(res: Answer, action: string): ServiceError {
  const parsed = errorBody.safeParse(parseJson(res.text));
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
    code === undefined ? undefined : inert(code, 60),
  );
}

function malformed(res: Answer, what: string, kind = 'a run'): ServiceError {
  return new ServiceError(
    `Flow Service answered ${what} with HTTP ${res.status} and a body that is not ${kind}: ${excerpt(res.text)}`,
    res.status,
  );
}

/** An answer about what was asked that is about something else: never taken for it. */
/** An answer about something else: named by what was asked only, since nothing in it may be reported. */
function notAbout(res: Answer, what: string, asked: string): ServiceError {
  return new ServiceError(
    `Flow Service answered ${what} with HTTP ${res.status} about something else, not ${asked}: the answer is malformed, and nothing in it was taken`,
    res.status,
  );
}

function notAnId(res: Answer, what: string, kind: string, value: string): ServiceError {
  return new ServiceError(
    `Flow Service answered ${what} with HTTP ${res.status} and ${kind} that is not one: ${excerpt(value, 80)}`,
    res.status,
  );
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
