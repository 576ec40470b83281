// One undici dispatcher for the whole step: the runner's proxy settings, a time limit on every
// request, and undici's retry interceptor driven by our policy (backoff with jitter, Retry-After,
// never past the step's deadline). It knows HTTP, not Adobe.
import { EnvHttpProxyAgent, interceptors, request, type Dispatcher } from 'undici';

/**
 * How a request may be retried.
 * - `idempotent`: any transient fault (429, 5xx gateway errors, resets, timeouts).
 * - `unacted`: only faults where the server certainly did nothing (429, 503, connection refused),
 *   for requests such as creating a run that must never be sent twice.
 */
export type RetryMode = 'idempotent' | 'unacted';

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
  retry: RetryMode;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export interface HttpOptions {
  /** Time limit for the headers, and for each gap in the body, of one attempt. */
  requestTimeoutMs: number;
  /** Epoch ms after which no retry is started. */
  deadline: number;
  /** Debug log: one line per retry, with its reason. */
  debug: (message: string) => void;
  now?: () => number;
  random?: () => number;
}

const TRANSIENT_STATUS = new Set([429, 500, 502, 503, 504]);
const UNACTED_STATUS = new Set([429, 503]);
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);
/** Faults that happen before a request reaches the server: it certainly did not act on it. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'EAI_AGAIN', 'ENOTFOUND']);

export function certainlyNotSent(code: string | undefined): boolean {
  return code !== undefined && NOT_SENT_CODES.has(code);
}
const MAX_RETRIES = 8;
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 30_000;

/** A network-level failure after retries: the message is safe to show (no headers, no body). */
export class NetworkError extends Error {
  override name = 'NetworkError';
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

interface UndiciError extends Error {
  code?: string;
  statusCode?: number;
  headers?: Record<string, string | string[] | undefined>;
}

/** Milliseconds to wait from a Retry-After header (delta seconds or an HTTP date), if it has one. */
export function parseRetryAfter(value: unknown, nowMs: number): number | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** Exponential backoff with "equal jitter": half the step fixed, half random. */
export function backoffMs(retry: number, random: () => number = Math.random): number {
  const step = Math.min(BACKOFF_BASE_MS * 2 ** (retry - 1), BACKOFF_MAX_MS);
  return Math.round(step / 2 + (random() * step) / 2);
}

export function isRetryable(mode: RetryMode, fault: { status?: number; code?: string }): boolean {
  if (fault.status !== undefined) {
    return (mode === 'idempotent' ? TRANSIENT_STATUS : UNACTED_STATUS).has(fault.status);
  }
  if (fault.code === undefined) return false;
  // An unknown host is a typo, not a passing fault: never worth a retry.
  if (mode === 'unacted') return certainlyNotSent(fault.code) && fault.code !== 'ENOTFOUND';
  return TRANSIENT_CODES.has(fault.code);
}

export function describeFault(error: UndiciError): string {
  if (error.statusCode !== undefined) return `HTTP ${error.statusCode}`;
  return error.code ? `${error.code} (${error.message})` : error.message;
}

export class HttpClient {
  private readonly dispatcher: Dispatcher;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly options: HttpOptions) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    // EnvHttpProxyAgent honours HTTPS_PROXY, HTTP_PROXY and NO_PROXY as the runner sets them.
    this.dispatcher = new EnvHttpProxyAgent({
      connectTimeout: options.requestTimeoutMs,
      headersTimeout: options.requestTimeoutMs,
      bodyTimeout: options.requestTimeoutMs,
    }).compose(interceptors.retry({ statusCodes: [...TRANSIENT_STATUS], throwOnError: true }));
  }

  async send(req: HttpRequest): Promise<HttpResponse> {
    const target = `${req.method} ${new URL(req.url).pathname}`;
    try {
      const res = await request(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body,
        signal: req.signal,
        dispatcher: this.dispatcher,
        retryOptions: { retry: this.policy(req.retry, target) },
      } as Parameters<typeof request>[1]);
      const text = await res.body.text();
      return { status: res.statusCode, headers: res.headers, text };
    } catch (error) {
      if (req.signal?.aborted) throw req.signal.reason ?? error;
      const fault = error as UndiciError;
      throw new NetworkError(`${target} failed: ${describeFault(fault)}`, fault.code);
    }
  }

  /** Ends open connections, so the process can exit at once. */
  async close(): Promise<void> {
    await this.dispatcher.destroy();
  }

  /** undici's retry interceptor calls this after each failed attempt: retry (cb()) or give up (cb(err)). */
  private policy(mode: RetryMode, target: string) {
    return (err: Error, { state }: { state: { counter: number } }, cb: (err?: Error | null) => void) => {
      const fault = err as UndiciError;
      const kind = { status: fault.statusCode, code: fault.statusCode === undefined ? fault.code : undefined };
      if (!isRetryable(mode, kind) || state.counter > MAX_RETRIES) return cb(err);
      const delay = parseRetryAfter(fault.headers?.['retry-after'], this.now()) ?? backoffMs(state.counter, this.random);
      if (this.now() + delay > this.options.deadline) {
        this.options.debug(`Not retrying ${target} after ${describeFault(fault)}: the step's timeout comes first`);
        return cb(err);
      }
      this.options.debug(`Retrying ${target} in ${delay} ms (retry ${state.counter}): ${describeFault(fault)}`);
      return setTimeout(() => cb(null), delay);
    };
  }
}
