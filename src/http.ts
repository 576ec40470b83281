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
      const delay =
        parseRetryAfter(fault.headers?.['retry-after'], this.now()) ?? backoffMs(state.counter, this.random);
      if (this.now() + delay > this.options.deadline) {
        this.options.debug(`Not retrying ${target} after ${describeFault(fault)}: the step's timeout comes first`);
        return cb(err);
      }
      this.options.debug(`Retrying ${target} in ${delay} ms (retry ${state.counter}): ${describeFault(fault)}`);
      return setTimeout(() => cb(null), delay);
    };
  }
}
