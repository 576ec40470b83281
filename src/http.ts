// One undici dispatcher for the whole step: the runner's proxy settings, a time limit on every
// request, and undici's retry interceptor driven by our policy (backoff with jitter, Retry-After,
// never past the step's deadline). It knows HTTP, not Adobe.
import { EnvHttpProxyAgent, interceptors, request, type Dispatcher } from 'undici';
import {
  backoffMs,
  describeFault,
  isRetryable,
  MAX_RETRIES,
  NetworkError,
  parseRetryAfter,
  TRANSIENT_STATUS,
  type RetryMode,
  type UndiciError,
} from './faults.js';

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

/** An answer whose body is still to be read: as a stream, so that a caller can stop at a limit. */
export interface HttpStream {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body's chunks; a fault while reading throws a NetworkError, as `send` does. */
  body: AsyncIterable<Uint8Array>;
  /** Stops reading and frees the connection: a body not read to its end must be let go of. */
  discard(): void;
}

export interface HttpOptions {
  /** Time limit for the headers, and for each gap in the body, of one attempt. */
  requestTimeoutMs: number;
  /** Epoch ms (the step's timeout): no request or retry starts after it, and none runs past it. */
  deadline: number;
  /** One line per retry, with its reason, for the user to see (a silent minute reads as a hang). */
  log: (message: string) => void;
  now?: () => number;
  random?: () => number;
}

/** Codes of our own for a request the deadline stopped: before it was sent, and while it was under way. */
const NOT_SENT = 'DEADLINE_NOT_SENT';
const CUT_SHORT = 'DEADLINE_CUT_SHORT';

/** "answered HTTP 503" or "failed: ECONNRESET (other side closed)". */
function happened(fault: UndiciError): string {
  return fault.statusCode !== undefined ? `answered HTTP ${fault.statusCode}` : `failed: ${describeFault(fault)}`;
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
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
    }).compose(interceptors.retry({ statusCodes: [...TRANSIENT_STATUS], throwOnError: false }));
  }

  async send(req: HttpRequest): Promise<HttpResponse> {
    const attempt = this.open(req);
    try {
      const res = await attempt.response;
      const text = await res.body.text();
      return { status: res.statusCode, headers: res.headers, text };
    } catch (error) {
      throw attempt.fault(error);
    }
  }

  /**
   * A GET whose body is read as a stream, with the same retries, time limits and deadline as `send`:
   * for bodies too large to hold, read up to a limit. The deadline also cuts the reading short.
   */
  async stream(req: Omit<HttpRequest, 'method' | 'body'>): Promise<HttpStream> {
    const attempt = this.open({ ...req, method: 'GET' });
    let res: Dispatcher.ResponseData<unknown>;
    try {
      res = await attempt.response;
    } catch (error) {
      throw attempt.fault(error);
    }
    const source = res.body;
    async function* chunks(): AsyncGenerator<Uint8Array> {
      try {
        for await (const chunk of source) yield chunk as Uint8Array;
      } catch (error) {
        throw attempt.fault(error);
      }
    }
    const discard = () => {
      // Destroying a body emits an AbortError: expected here, so it must not go unhandled.
      source.on('error', () => undefined);
      source.destroy();
    };
    return { status: res.statusCode, headers: res.headers, body: chunks(), discard };
  }

  /** One request under way, and how to name what went wrong with it (a safe NetworkError). */
  private open(req: HttpRequest): {
    response: Promise<Dispatcher.ResponseData<unknown>>;
    fault: (error: unknown) => unknown;
  } {
    const target = `${req.method} ${new URL(req.url).pathname}`;
    const left = this.options.deadline - this.now();
    if (left <= 0) {
      const error = new NetworkError(`${target} was not sent: the step's timeout has come`, NOT_SENT);
      return { response: Promise.reject(error), fault: (e) => e };
    }
    // The step's timeout cuts a request (and its retries) short: no request runs past it.
    const atDeadline = AbortSignal.timeout(left);
    const signal = req.signal ? AbortSignal.any([req.signal, atDeadline]) : atDeadline;
    const faults: string[] = [];
    const response = request(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      signal,
      dispatcher: this.dispatcher,
      retryOptions: { retry: this.policy(req.retry, target, faults) },
    } as Parameters<typeof request>[1]);
    const fault = (error: unknown): unknown => {
      if (error instanceof NetworkError) return error;
      if (req.signal?.aborted) return req.signal.reason ?? error;
      if (atDeadline.aborted) {
        const last = faults.at(-1);
        return new NetworkError(
          last
            ? `${target} failed: ${last}; the step's timeout came before another try`
            : `${target} was cut short by the step's timeout`,
          CUT_SHORT,
        );
      }
      const undiciFault = error as UndiciError;
      return new NetworkError(`${target} failed: ${describeFault(undiciFault)}`, undiciFault.code);
    };
    return { response, fault };
  }

  /** Ends open connections, so the process can exit at once. */
  async close(): Promise<void> {
    await this.dispatcher.destroy();
  }

  /** undici's retry interceptor calls this after each failed attempt: retry (cb()) or give up (cb(err)). */
  private policy(mode: RetryMode, target: string, faults: string[]) {
    return (err: Error, { state }: { state: { counter: number } }, cb: (err?: Error | null) => void) => {
      const fault = err as UndiciError;
      faults.push(describeFault(fault));
      const kind = { status: fault.statusCode, code: fault.statusCode === undefined ? fault.code : undefined };
      if (!isRetryable(mode, kind) || state.counter > MAX_RETRIES) return cb(err);
      const delay =
        parseRetryAfter(fault.headers?.['retry-after'], this.now()) ?? backoffMs(state.counter, this.random);
      if (this.now() + delay >= this.options.deadline) {
        this.options.log(`${target} ${happened(fault)}; not retrying: the step's timeout comes first`);
        return cb(err);
      }
      this.options.log(`${target} ${happened(fault)}; retrying in ${seconds(delay)} (retry ${state.counter})`);
      return setTimeout(() => cb(null), delay);
    };
  }
}
