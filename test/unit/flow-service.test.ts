// The at-most-once protocol for requests that start a run, on a fake clock: no second send before
// the service has had time to list the run, adoption when it shows up, "may exist" at the deadline.
import { describe, expect, it } from 'vitest';
import { NetworkError } from '../../src/faults.ts';
import { FlowServiceClient } from '../../src/flow-service.ts';
import type { HttpClient, HttpRequest, HttpResponse } from '../../src/http.ts';
import type { TokenSource } from '../../src/ims.ts';
import type { Run } from '../../src/answers.ts';
import { isMadeBy, LIST_SETTLE_MS, UnknownOutcomeError } from '../../src/start-once.ts';

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

/** A client over a fake service that answers each GET with the next of `pages` (a JSON body). */
function pagedClient(pages: unknown[]) {
  const sent: HttpRequest[] = [];
  const warnings: string[] = [];
  const http = {
    async send(req: HttpRequest): Promise<HttpResponse> {
      sent.push(req);
      return { status: 200, headers: {}, text: JSON.stringify(pages.shift() ?? { items: [] }) };
    },
  } as unknown as HttpClient;
  const client = new FlowServiceClient({
    platformUrl: 'https://platform.example',
    clientId: 'c',
    orgId: 'o@AdobeOrg',
    sandboxName: 'prod',
    tokens: { minted: 0, current: async () => 'token', renew: async () => 'token' },
    http,
    log: { info: () => undefined, warning: (m) => warnings.push(m) },
    deadline: Date.now() + 60_000,
  });
  return { client, sent, warnings };
}

const listed = (id: string) => ({ id, flowId: FLOW, etag: `"${id}"` });
const ids = (n: number) => `0000000${n}-aaaa-4bbb-8ccc-dddddddddddd`;

describe('listing runs', () => {
  it('stops at a page whose runs were all seen, and counts no run twice', async () => {
    const service = pagedClient([
      { items: [listed(ids(1)), listed(ids(2))], continuationToken: 'a' },
      { items: [listed(ids(2)), listed(ids(3))], continuationToken: 'b' },
      { items: [listed(ids(3)), listed(ids(2))], continuationToken: 'c' },
      { items: [listed(ids(4))] },
    ]);
    const { runs, complete } = await service.client.listRuns(FLOW);
    expect(runs.map((r) => r.id)).toEqual([ids(1), ids(2), ids(3)]);
    expect(complete).toBe(true);
    expect(service.sent).toHaveLength(3);
    expect(service.warnings).toHaveLength(1);
  });

  it('keeps a run whose etag is malformed, without the etag, warning once however often it is read', async () => {
    const bad = { id: ids(1), flowId: FLOW, etag: 'not an etag' };
    const service = pagedClient([{ items: [bad] }, { items: [bad] }]);
    for (let i = 0; i < 2; i++) {
      const run = await service.client.getRun(ids(1));
      expect(run).toMatchObject({ id: ids(1), etag: undefined });
    }
    expect(service.warnings).toEqual([
      `Flow Service answered the read of run ${ids(1)} with an etag that is not one ('not an etag'): run ${ids(1)} is kept without an etag.`,
    ]);
  });

  it('never takes another run for the one read, whatever the answer shape', async () => {
    const service = pagedClient([
      { items: [listed(ids(2))] },
      listed(ids(2)),
      { items: [listed(ids(2)), listed(ids(1))] },
    ]);
    // Named by what was asked: nothing of the other run's is reported, its ID included.
    await expect(service.client.getRun(ids(1))).rejects.toThrow(`about something else, not run ${ids(1)}`);
    await expect(service.client.getRun(ids(1))).rejects.not.toThrow(ids(2));
    expect((await service.client.getRun(ids(1))).id).toBe(ids(1));
  });

  it('never takes another flow for the one read', async () => {
    const service = pagedClient([{ items: [{ id: ids(2), name: 'other' }] }]);
    await expect(service.client.getFlow(ids(1))).rejects.toThrow(`about something else, not flow ${ids(1)}`);
  });
});

describe("the check's reads", () => {
  it('asks for runs started after a time, a page size, and the same filters on every page of a relative next link', async () => {
    const next = (token: string) => ({ href: `/runs?property=flowId%3D%3D${FLOW}&continuationToken=${token}` });
    const service = pagedClient([
      { items: [listed(ids(1))], _links: { next: next('p2') } },
      { items: [listed(ids(2))], _links: { next: next('p3') } },
      { items: [listed(ids(3)), { id: ids(4), flowId: ids(9), etag: '"x"' }] },
    ]);
    const { runs, complete } = await service.client.listRuns(FLOW, undefined, {
      startedAfterMs: 1_700_000_000_123,
      limit: 100,
    });
    expect(runs.map((r) => r.id)).toEqual([ids(1), ids(2), ids(3)]); // another flow's run dropped
    expect(complete).toBe(true);
    const urls = service.sent.map((r) => new URL(r.url));
    expect(urls.map((u) => u.origin + u.pathname)).toEqual(
      Array(3).fill('https://platform.example/data/foundation/flowservice/runs'),
    );
    for (const url of urls) {
      expect(url.searchParams.getAll('property')).toEqual([
        `flowId==${FLOW}`,
        'metrics.durationSummary.startedAtUTC>1700000000123',
      ]);
      expect(url.searchParams.get('limit')).toBe('100');
    }
    expect(urls.map((u) => u.searchParams.get('continuationToken'))).toEqual([null, 'p2', 'p3']);
  });

  it('sends no start-time filter or limit unless asked (the main action lists as before)', async () => {
    const service = pagedClient([{ items: [] }]);
    await service.client.listRuns(FLOW);
    const url = new URL(service.sent[0]!.url);
    expect(url.searchParams.getAll('property')).toEqual([`flowId==${FLOW}`]);
    expect(url.searchParams.has('limit')).toBe(false);
  });

  it.each([
    ['404', 404, { type: 'https://ns.adobe.com/aep/errors/FLOW-1430-404', title: 'Not found', status: 404 }],
    [
      '400 FLOW-1430-400',
      400,
      { type: 'https://ns.adobe.com/aep/errors/FLOW-1430-400', title: 'Bad request', status: 400 },
    ],
    ['an empty items', 200, { items: [] }],
  ])('reads a flow answered with %s as no such flow', async (_, status, body) => {
    const client = answering(status, body);
    expect(await client.getFlow(ids(1))).toBeUndefined();
  });

  it('throws on another 400: a refusal is not "not found"', async () => {
    const client = answering(400, { type: 'https://ns.adobe.com/aep/errors/FLOW-1400-400', title: 'Bad', status: 400 });
    await expect(client.getFlow(ids(1))).rejects.toThrow('HTTP 400 FLOW-1400-400');
  });
});

/** A client whose every request gets this one answer. */
function answering(status: number, body: unknown): FlowServiceClient {
  const http = {
    async send(): Promise<HttpResponse> {
      return { status, headers: {}, text: JSON.stringify(body) };
    },
  } as unknown as HttpClient;
  return new FlowServiceClient({
    platformUrl: 'https://platform.example',
    clientId: 'c',
    orgId: 'o@AdobeOrg',
    sandboxName: 'prod',
    tokens: { minted: 0, current: async () => 'token', renew: async () => 'token' },
    http,
    log: { info: () => undefined, warning: () => undefined },
    deadline: Date.now() + 60_000,
  });
}

describe('a re-trigger whose answer was lost', () => {
  const failed = { id: ids(1), flowId: FLOW, etag: '"old"', createdAt: 1 } as Run;
  const request = { what: 'w', action: 'a', send: async () => ({ failure: 'x', sent: true }), flowId: FLOW };
  const retrigger = { ...request, known: new Set([ids(1)]), restarts: failed };

  it('takes the failed run listed with a new etag for the run it made (restarted under its own ID)', () => {
    expect(isMadeBy({ ...failed, etag: '"new"' }, retrigger, 1_000)).toBe(true);
    expect(isMadeBy(failed, retrigger, 1_000)).toBe(false);
    expect(isMadeBy({ ...failed, etag: undefined }, retrigger, 1_000)).toBe(false);
    expect(isMadeBy({ ...failed, etag: '"new"' }, { ...retrigger, restarts: undefined }, 1_000)).toBe(false);
  });
});
