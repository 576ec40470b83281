// The at-most-once protocol for requests that start a run, on a fake clock: no second send before
// the service has had time to list the run, adoption when it shows up, "may exist" at the deadline.
import { describe, expect, it } from 'vitest';
import { NetworkError } from '../../src/faults.ts';
import { FlowServiceClient } from '../../src/flow-service.ts';
import type { HttpClient, HttpRequest, HttpResponse } from '../../src/http.ts';
import type { TokenSource } from '../../src/ims.ts';
import { LIST_SETTLE_MS, UnknownOutcomeError } from '../../src/start-once.ts';

const FLOW = '3abea21c-7e36-4be1-bec1-d3bad0e3e0de';
const REQUEST = {
  flowId: FLOW,
  params: { startTime: 1_700_000_000, windowStartTime: 1_699_913_600, windowEndTime: 1_700_000_000 },
};

/** A service on a fake clock: each POST is lost; the run it makes (if any) shows in lists after `listAfterMs`. */
function fakeService(options: { makesRun: boolean; listAfterMs: number; deadlineMs: number }) {
  let now = Date.UTC(2023, 10, 14, 22, 13, 20);
  const start = now;
  const sent: HttpRequest[] = [];
  const runs: Array<{ id: string; createdAt: number }> = [];
  const http = {
    async send(req: HttpRequest): Promise<HttpResponse> {
      sent.push(req);
      if (req.method === 'POST') {
        if (options.makesRun) runs.push({ id: `run-${runs.length + 1}`, createdAt: now });
        throw new NetworkError('POST /runs failed: ECONNRESET (socket hang up)', 'ECONNRESET');
      }
      const visible = runs.filter((r) => now - r.createdAt >= options.listAfterMs);
      const items = visible.map((r) => ({ id: r.id, flowId: FLOW, createdAt: r.createdAt, params: REQUEST.params }));
      return { status: 200, headers: {}, text: JSON.stringify({ items }) };
    },
  } as unknown as HttpClient;
  const tokens: TokenSource = { minted: 0, current: async () => 'token', renew: async () => 'token' };
  const logs: string[] = [];
  const client = new FlowServiceClient({
    platformUrl: 'https://platform.example',
    clientId: 'c',
    orgId: 'o@AdobeOrg',
    sandboxName: 'prod',
    tokens,
    http,
    log: { info: (m) => logs.push(m), warning: (m) => logs.push(`warning: ${m}`) },
    deadline: start + options.deadlineMs,
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
  });
  return { client, sent, runs, logs, elapsed: () => now - start };
}

describe('a request that starts a run', () => {
  it('keeps looking while the service may not list the run yet, and adopts it when it shows', async () => {
    const service = fakeService({ makesRun: true, listAfterMs: 150_000, deadlineMs: 3_600_000 });
    const run = await service.client.createRun(REQUEST);
    expect(run.id).toBe('run-1');
    expect(service.sent.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(service.sent.filter((r) => r.method === 'GET').length).toBeGreaterThan(3);
    expect(service.elapsed()).toBeGreaterThanOrEqual(150_000);
  });

  it('sends again only after the settle time has passed with no run listed, at most three times', async () => {
    const service = fakeService({ makesRun: false, listAfterMs: 0, deadlineMs: 3_600_000 });
    const error = await service.client.createRun(REQUEST).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownOutcomeError);
    expect((error as Error).message).toMatch(/sent 3 times and each answer was lost.*A run may still exist/);
    const posts = service.sent.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(3);
    // Each re-send came only after a full settle time of looking.
    expect(service.elapsed()).toBeGreaterThanOrEqual(3 * LIST_SETTLE_MS);
    expect(service.logs.filter((l) => l.includes('sending it again'))).toHaveLength(2);
  });

  it('fails saying the run may exist when the timeout comes before the settle time, sending once', async () => {
    const service = fakeService({ makesRun: true, listAfterMs: 10 * 60_000, deadlineMs: 60_000 });
    const error = await service.client.createRun(REQUEST).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownOutcomeError);
    expect((error as Error).message).toMatch(/timeout came before the service listed a run it made.*A run may exist/);
    expect(service.sent.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(service.elapsed()).toBeLessThanOrEqual(60_000);
  });

  it('does not take an older run of the same window, made before the request, for the new one', async () => {
    const service = fakeService({ makesRun: false, listAfterMs: 0, deadlineMs: 60_000 });
    service.runs.push({ id: 'old', createdAt: Date.UTC(2023, 10, 14, 20, 0, 0) });
    const error = await service.client.createRun(REQUEST).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownOutcomeError);
  });
});
