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
    const target = `${req.method} ${new URL(req.url).pathname}`;
    const left = this.options.deadline - this.now();
    if (left <= 0) throw new NetworkError(`${target} was not sent: the step's timeout has come`, NOT_SENT);
    // The step's timeout cuts a request (and its retries) short: no request runs past it.
    const atDeadline = AbortSignal.timeout(left);
    const signal = req.signal ? AbortSignal.any([req.signal, atDeadline]) : atDeadline;
    const faults: string[] = [];
    try {
      const res = await request(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body,
        signal,
        dispatcher: this.dispatcher,
        retryOptions: { retry: this.policy(req.retry, target, faults) },
      } as Parameters<typeof request>[1]);
      const text = await res.body.text();
      return { status: res.statusCode, headers: res.headers, text };
    } catch (error) {
      if (req.signal?.aborted) throw req.signal.reason ?? error;
      if (atDeadline.aborted) {
        const last = faults.at(-1);
        throw new NetworkError(
          last
            ? `${target} failed: ${last}; the step's timeout came before another try`
            : `${target} was cut short by the step's timeout`,
          CUT_SHORT,
        );
      }
      const fault = error as UndiciError;
      throw new NetworkError(`${target} failed: ${describeFault(fault)}`, fault.code);
    }
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
