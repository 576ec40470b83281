import { describe, expect, it } from 'vitest';
import { backoffMs, isRetryable, parseRetryAfter } from '../../src/faults.ts';

describe('parseRetryAfter', () => {
  const now = Date.UTC(2026, 0, 1, 0, 0, 0);
  it('reads delta seconds and HTTP dates', () => {
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
  });
  it('ignores what it cannot read', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
  });
});

describe('backoffMs', () => {
  it('doubles each retry, with half of each step random, up to 30 s', () => {
    expect(backoffMs(1, () => 0)).toBe(250);
    expect(backoffMs(1, () => 1)).toBe(500);
    expect(backoffMs(3, () => 0)).toBe(1000);
    expect(backoffMs(3, () => 1)).toBe(2000);
    expect(backoffMs(20, () => 1)).toBe(30_000);
  });
});

describe('isRetryable', () => {
  it('retries every transient fault of an idempotent request', () => {
    for (const status of [429, 500, 502, 503, 504]) expect(isRetryable('idempotent', { status })).toBe(true);
    for (const code of [
      'ECONNRESET',
      'ECONNREFUSED',
      'UND_ERR_SOCKET',
      'UND_ERR_HEADERS_TIMEOUT',
      'UND_ERR_BODY_TIMEOUT',
    ]) {
      expect(isRetryable('idempotent', { code })).toBe(true);
    }
    for (const status of [400, 401, 403, 404, 409]) expect(isRetryable('idempotent', { status })).toBe(false);
    expect(isRetryable('idempotent', { code: 'ENOTFOUND' })).toBe(false);
  });

  it('retries a run request only where the service certainly did nothing', () => {
    expect(isRetryable('unacted', { status: 429 })).toBe(true);
    expect(isRetryable('unacted', { status: 503 })).toBe(true);
    expect(isRetryable('unacted', { code: 'ECONNREFUSED' })).toBe(true);
    for (const status of [500, 502, 504]) expect(isRetryable('unacted', { status })).toBe(false);
    for (const code of ['ECONNRESET', 'UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT', 'EPIPE']) {
      expect(isRetryable('unacted', { code })).toBe(false);
    }
  });
});
