// Which faults are worth another attempt, and how long to wait before it. Pure rules, no I/O:
// http.ts applies them through undici's retry interceptor, start-once.ts to the run request.

/**
 * How a request may be retried.
 * - `idempotent`: any transient fault (429, 5xx gateway errors, resets, timeouts).
 * - `unacted`: only faults where the server certainly did nothing (429, 503, connection refused),
 *   for requests such as creating a run that must never be sent twice.
 */
export type RetryMode = 'idempotent' | 'unacted';

export const TRANSIENT_STATUS = new Set([429, 500, 502, 503, 504]);
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
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'DEADLINE_NOT_SENT',
]);

export function certainlyNotSent(code: string | undefined): boolean {
  return code !== undefined && NOT_SENT_CODES.has(code);
}
export const MAX_RETRIES = 8;
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

export interface UndiciError extends Error {
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
