// Sending one Platform request: the base URL, the four headers Platform asks for, a new token after a
// 401 (once), and whether a request that failed had gone out. What the paths mean is flow-service.ts's.
import type { Answer } from './answers.js';
import { serviceError } from './answers.js';
import { certainlyNotSent, NetworkError, type RetryMode } from './faults.js';
import type { HttpClient, HttpStream } from './http.js';
import { AuthError, type TokenSource } from './ims.js';
import { inert } from './untrusted.js';

export interface TransportOptions {
  platformUrl: string;
  clientId: string;
  orgId: string;
  sandboxName: string;
  tokens: TokenSource;
  http: Pick<HttpClient, 'send' | 'stream'>;
  log: { info(message: string): void };
}

export interface Request {
  method: 'GET' | 'POST';
  /** From the Platform URL on: `/data/foundation/flowservice/runs`. */
  path: string;
  body?: string;
  retry: RetryMode;
  signal?: AbortSignal;
}

/**
 * How sending ended: an answer, or a failure. `sent` says whether the failed request had gone out
 * with no answer back, so that the service may have acted on it; false when it certainly did not
 * (no token, a connection never made, the deadline before sending, an answer such as a 401).
 */
export type Sending = { answer: Answer } | { failure: unknown; sent: boolean };

export class Transport {
  constructor(private readonly options: TransportOptions) {}

  /** The answer, or the failure thrown. */
  async send(request: Request): Promise<Answer> {
    const sending = await this.trySend(request);
    if ('answer' in sending) return sending.answer;
    throw sending.failure;
  }

  /** One request with the current token; after a 401, once more with a renewed token. */
  async trySend(request: Request): Promise<Sending> {
    let sent = false;
    const send = async (token: string) => {
      sent = true;
      const answer = await this.options.http.send({
        method: request.method,
        url: `${this.options.platformUrl}${request.path}`,
        headers: this.headers(token, request.body),
        body: request.body,
        retry: request.retry,
        signal: request.signal,
      });
      sent = false;
      return answer;
    };
    try {
      const token = await tokenStep(() => this.options.tokens.current(request.signal));
      const res = await send(token);
      if (res.status !== 401) return { answer: res };
      let renewed: string;
      try {
        renewed = await tokenStep(() => this.options.tokens.renew(token, request.signal));
      } catch (error) {
        if (error instanceof AuthError)
          throw new AuthError(`${sentence(error)} ${serviceError(res, 'accept the token').message}`);
        throw error;
      }
      this.options.log.info('Platform no longer accepts the access token (401): minted a new one.');
      return { answer: await send(renewed) };
    } catch (failure) {
      return { failure, sent: sent && !(failure instanceof NetworkError && certainlyNotSent(failure.code)) };
    }
  }

  /**
   * An idempotent GET of an absolute URL whose body is read as a stream (the Data Access API's files,
   * by the links the service gives), with the same headers and token renewal as `send`. A URL off the
   * Platform host is refused before a token is even asked for: the token goes to Platform only.
   */
  async stream(url: string, signal?: AbortSignal): Promise<HttpStream> {
    const origin = new URL(this.options.platformUrl).origin;
    if (new URL(url).origin !== origin) throw new Error(`not sent: ${inert(url, 200)} is not on ${origin}`);
    const get = (token: string) =>
      this.options.http.stream({ url, headers: this.headers(token, undefined), retry: 'idempotent', signal });
    const token = await tokenStep(() => this.options.tokens.current(signal));
    const answer = await get(token);
    if (answer.status !== 401) return answer;
    answer.discard();
    const renewed = await tokenStep(() => this.options.tokens.renew(token, signal));
    this.options.log.info('Platform no longer accepts the access token (401): minted a new one.');
    return get(renewed);
  }

  private headers(token: string, body: string | undefined): Record<string, string> {
    return {
      authorization: `Bearer ${token}`,
      'x-api-key': this.options.clientId,
      'x-gw-ims-org-id': this.options.orgId,
      'x-sandbox-name': this.options.sandboxName,
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    };
  }
}

/**
 * Getting a token: a network failure here is IMS's, and says nothing about a Platform request (so it
 * must never be taken for a lost answer to a run request). It fails the step as an AuthError.
 */
export async function tokenStep(get: () => Promise<string>): Promise<string> {
  try {
    return await get();
  } catch (error) {
    if (error instanceof NetworkError) throw new AuthError(error.message);
    throw error;
  }
}

/** An error's message as a sentence that ends with a full stop. */
export function sentence(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
