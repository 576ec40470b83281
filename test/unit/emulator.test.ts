// The emulator's v1.1 routes and controls, by plain fetch against a started emulator: the e2e tests of
// re-trigger, history and preflight rely on them behaving as Adobe documents.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startEmulator, type Emulator, type EmulatorOptions, type FlowScenario } from '../emulator/emulator.ts';

const FLOW = '3abea21c-7e36-4be1-bec1-d3bad0e3e0de';
const OTHER_FLOW = '9c1f0e55-1b7e-4a0e-9d57-6c6a0f0e2b11';
const WINDOW = { startTime: '1700003600', windowStartTime: '1700000000', windowEndTime: '1700003600' };

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read field by field and compared
type Json = any;

let emulator: Emulator;
afterEach(async () => {
  vi.useRealTimers();
  await emulator?.close();
});

async function start(flow: FlowScenario = {}, options: EmulatorOptions = {}) {
  emulator = await startEmulator({ flows: { [FLOW]: { sourceType: 'table', ...flow } }, ...options });
  return client(emulator);
}

/** The Flow Service calls, with a valid token and headers. */
function client(e: Emulator) {
  const headers = {
    authorization: `Bearer ${e.issueToken()}`,
    'x-api-key': e.clientId,
    'x-gw-ims-org-id': e.orgId,
    'x-sandbox-name': 'prod',
  };
  const call = async (method: string, path: string, body?: unknown, extra: Record<string, string> = {}) => {
    const res = await fetch(`${e.url}/data/foundation/flowservice${path}`, {
      method,
      headers: { ...headers, 'content-type': 'application/json', ...extra },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Json };
  };
  return {
    create: (params: Record<string, unknown> = WINDOW, flowId = FLOW) => call('POST', '/runs', { flowId, params }),
    /** Creates a run and answers its id (the default `items` shape). */
    run: async (params: Record<string, unknown> = WINDOW) =>
      (await call('POST', '/runs', { flowId: FLOW, params })).body.items[0].id as string,
    retrigger: (id: string, op = 're-trigger', extra: Record<string, string> = {}) =>
      call('POST', `/runs/${id}/action?op=${op}`, undefined, extra),
    read: (id: string) => call('GET', `/runs/${id}`),
    /** Reads until the run's status is `status` (at most 10 reads). */
    readUntil: async (id: string, status: string) => {
      for (let i = 0; i < 10; i++) {
        const { body } = await call('GET', `/runs/${id}`);
        if (body.items[0].metrics.statusSummary.status === status) return body.items[0] as Json;
      }
      throw new Error(`run ${id} never reached ${status}`);
    },
    list: (query: string) => call('GET', `/runs?${query}`),
    flow: (id = FLOW) => call('GET', `/flows/${id}`),
  };
}

const statusOf = (run: Json): string => run.metrics.statusSummary.status;
const copyActivity = (run: Json): Json => run.activities.find((a: Json) => a.id === 'copyActivity');

describe('re-trigger', () => {
  it('makes a new run of a failed one, with the same flow and window, as the next attempt', async () => {
    const api = await start({
      attempts: [{ statuses: ['inProgress', 'failed'] }, { statuses: ['inProgress', 'success'] }],
    });
    const first = await api.run();
    await api.readUntil(first, 'failed');

    const answer = await api.retrigger(first);
    expect(answer.status).toBe(201);
    expect(Object.keys(answer.body).sort()).toEqual(['etag', 'id']);
    const second = answer.body.id as string;
    expect(second).not.toBe(first);

    const run = emulator.runs.get(second)!;
    expect(run).toMatchObject({ flowId: FLOW, retriggerOf: first, attempt: 1, params: WINDOW });
    expect((await api.read(second)).body.items[0]).toMatchObject({ flowId: FLOW, params: WINDOW });
    expect(statusOf(await api.readUntil(second, 'success'))).toBe('success');
    expect(emulator.count('retrigger')).toBe(1);
  });

  it.each(['re-trigger', 'RE_TRIGGER'])('takes op=%s', async (op) => {
    const api = await start({ statuses: ['failed'] });
    const id = await api.run();
    await api.read(id);
    expect((await api.retrigger(id, op)).status).toBe(201);
  });

  it('refuses another op with a Flow Service body', async () => {
    const api = await start({ statuses: ['failed'] });
    const id = await api.run();
    await api.read(id);
    const answer = await api.retrigger(id, 'replay');
    expect(answer.status).toBe(400);
    expect(answer.body.type).toMatch(/^https:\/\/ns\.adobe\.com\/aep\/errors\/FLOW-/);
    expect(emulator.runsOf(FLOW)).toHaveLength(1);
  });

  it('refuses a run that did not fail, in its own words, and makes nothing', async () => {
    const api = await start({ statuses: ['success'] });
    const id = await api.run();
    await api.read(id);
    const answer = await api.retrigger(id);
    expect(answer.status).toBe(400);
    expect(answer.body.type).toBe('https://ns.adobe.com/aep/errors/FLOW-1441-400');
    expect(answer.body.errorMessage).toBe(
      `Run ${id} cannot be re-triggered: only failed runs can be (its status is success)`,
    );
    expect(emulator.runsOf(FLOW)).toHaveLength(1);
  });

  it('judges the status without counting a read', async () => {
    // Unread, the run is `scheduled`; a re-trigger must not move it on to `failed`.
    const api = await start({ statuses: ['failed'] });
    const id = await api.run();
    expect((await api.retrigger(id)).body.errorMessage).toContain('its status is scheduled');
    expect(emulator.runs.get(id)!.reads).toBe(0);
  });

  it.each(['PARTIAL_FAILURE', 'Cancelled', 'Failed'])('takes a %s run', async (status) => {
    const api = await start({ statuses: [status] });
    const id = await api.run();
    await api.read(id);
    expect((await api.retrigger(id)).status).toBe(201);
  });

  it('answers an unknown run as a read of it does', async () => {
    const api = await start();
    const retrigger = await api.retrigger('no-such-run');
    const read = await api.read('no-such-run');
    expect(retrigger.status).toBe(404);
    expect({ ...retrigger.body, report: undefined }).toEqual({ ...read.body, report: undefined });
    expect(retrigger.body.errorMessage).toBe('Run with id no-such-run not found');
  });

  it('checks the gateway headers first', async () => {
    const api = await start({ statuses: ['failed'] });
    const id = await api.run();
    await api.read(id);
    const answer = await api.retrigger(id, 're-trigger', { 'x-sandbox-name': 'dev' });
    expect(answer.status).toBe(403);
    expect(answer.body.error_code).toBe('403027');
  });

  it.each([
    ['flat', 201, (b: Json) => Object.keys(b).sort(), ['etag', 'id']],
    ['items', 201, (b: Json) => Object.keys(b.items[0]).sort(), ['etag', 'id']],
    ['full', 200, (b: Json) => [b.flowId, statusOf(b), b.params.windowEndTime], [FLOW, 'scheduled', '1700003600']],
  ] as const)('answers in the %s shape', async (retriggerShape, status, pick, expected) => {
    const api = await start({ statuses: ['failed'], retriggerShape });
    const id = await api.run();
    await api.read(id);
    const answer = await api.retrigger(id);
    expect(answer.status).toBe(status);
    expect(pick(answer.body)).toEqual(expected);
    const newId = retriggerShape === 'items' ? answer.body.items[0].id : answer.body.id;
    expect(emulator.runs.get(newId)?.retriggerOf).toBe(id);
  });

  it('refuses a spelling outside retriggerOps with 422, making nothing, and takes the one listed', async () => {
    const api = await start({ statuses: ['failed'] }, { retriggerOps: ['RE_TRIGGER'] });
    const id = await api.run();
    await api.read(id);
    const refused = await api.retrigger(id, 're-trigger');
    expect(refused.status).toBe(422);
    expect(refused.body.errorMessage).toBe('op must be one of RE_TRIGGER');
    expect(emulator.runsOf(FLOW)).toHaveLength(1);
    expect((await api.retrigger(id, 'RE_TRIGGER')).status).toBe(201);
    expect(emulator.runsOf(FLOW)).toHaveLength(2);
  });

  it('restarts the failed run under its own ID with shape same, reading its old end for restartLagReads', async () => {
    const api = await start({
      statuses: ['failed'],
      retriggerShape: 'same',
      restartLagReads: 2,
      attempts: [{}, { statuses: ['inProgress', 'success'] }],
    });
    const id = await api.run();
    const failed = await api.readUntil(id, 'failed');
    const answer = await api.retrigger(id);
    expect(answer.status).toBe(200);
    // The answer and the next two reads still show the earlier end, etag and all.
    expect([answer.body.id, statusOf(answer.body), answer.body.etag]).toEqual([id, 'failed', failed.etag]);
    for (let i = 0; i < 2; i++) {
      const stale = (await api.read(id)).body.items[0];
      expect([statusOf(stale), stale.etag]).toEqual(['failed', failed.etag]);
    }
    const fresh = (await api.read(id)).body.items[0];
    expect(fresh.id).toBe(id);
    expect(fresh.etag).not.toBe(failed.etag);
    expect(statusOf(fresh)).toBe('inProgress');
    expect(statusOf((await api.read(id)).body.items[0])).toBe('success');
    expect(emulator.runsOf(FLOW)).toHaveLength(1);
    expect(emulator.runs.get(id)!.attempt).toBe(1);
  });

  it('follows a fault on its route', async () => {
    const api = await start({ statuses: ['failed'] });
    const id = await api.run();
    await api.read(id);
    emulator.inject({ route: 'retrigger', status: 503, body: '{}' });
    expect((await api.retrigger(id)).status).toBe(503);
    expect(emulator.runsOf(FLOW)).toHaveLength(1);
    expect((await api.retrigger(id)).status).toBe(201);
  });
});

describe('attempts', () => {
  it('gives the n-th run of a flow the n-th attempt, the last one for every later run', async () => {
    const api = await start({
      statuses: ['inProgress', 'success'],
      attempts: [
        { statuses: ['failed'], errors: [{ code: 'CONNECTOR-1001-500', message: 'timeout' }] },
        { statuses: ['partialFailure'] },
      ],
    });
    const first = await api.run();
    const firstRun = await api.readUntil(first, 'failed');
    expect(firstRun.metrics.statusSummary.errors).toEqual([{ code: 'CONNECTOR-1001-500', message: 'timeout' }]);
    const second = (await api.retrigger(first)).body.id as string;
    const secondRun = await api.readUntil(second, 'partialFailure');
    expect(secondRun.metrics.statusSummary.errors).toBeUndefined(); // the first attempt's errors were its own
    const third = await api.run();
    const fourth = (await api.retrigger(second)).body.id as string;
    for (const id of [third, fourth])
      expect(statusOf(await api.readUntil(id, 'partialFailure'))).toBe('partialFailure');
    expect([first, second, third, fourth].map((id) => emulator.runs.get(id)!.attempt)).toEqual([0, 1, 2, 3]);
  });

  it('takes the flow’s own fields where an attempt says nothing', async () => {
    const api = await start({ records: { input: 7, created: 5, failed: 2 }, attempts: [{ statuses: ['failed'] }] });
    const run = await api.readUntil(await api.run(), 'failed');
    expect(run.metrics.recordSummary.inputRecordCount).toBe(7);
  });

  it("leaves the record counts out of a final run's metrics and copy activity with records: none", async () => {
    const api = await start({ statuses: ['success'], records: 'none' });
    const run = await api.readUntil(await api.run(), 'success');
    expect(run.metrics).not.toHaveProperty('recordSummary');
    expect(run.metrics.fileSummary).toBeDefined();
    expect(run.activities[0]).not.toHaveProperty('recordSummary');
  });

  it('does not count history as attempts', async () => {
    const api = await start(
      { attempts: [{ statuses: ['failed'] }, { statuses: ['success'] }] },
      { existingRuns: [{ flowId: FLOW, createdAt: Date.now() - 60_000, status: 'failed' }] },
    );
    const id = await api.run();
    expect(emulator.runs.get(id)!.attempt).toBe(0);
    expect(statusOf(await api.readUntil(id, 'failed'))).toBe('failed');
  });
});

describe('a final run', () => {
  it('carries a copy activity with the window in ms, errors, manifest links, batch IDs and failedInfo', async () => {
    const activityErrors = [{ code: 'MAPPER-3700-400', message: 'bad date', recordCount: 4 }];
    const failedInfo = [{ code: 'INGEST-1212-400', message: 'schema mismatch' }];
    const api = await start({
      statuses: ['failed'],
      activityErrors,
      failedInfo,
      batchIds: ['01HBATCH'],
      manifest: true,
    });
    const run = await api.readUntil(await api.run(), 'failed');
    expect(run.metrics.recordSummary.failedInfo).toEqual(failedInfo);
    const copy = copyActivity(run);
    expect(copy).toMatchObject({
      name: 'Copy Activity',
      statusSummary: {
        status: 'failed',
        extensions: {
          errors: activityErrors,
          manifest: {
            failedRecords: `${emulator.url}/data/foundation/export/batches/01HBATCH/meta?path=row_errors`,
            sampleErrors: `${emulator.url}/data/foundation/export/batches/01HBATCH/meta?path=row_errors_sample`,
          },
        },
      },
      durationSummary: { extensions: { windowStart: 1700000000_000, windowEnd: 1700003600_000 } },
      recordSummary: { inputRecordCount: 1200 },
      fileSummary: { inputFileCount: 3 },
      targetInfo: [{ reference: { ids: ['01HBATCH'] } }],
    });
  });

  it('makes up a batch for the manifest when none is given', async () => {
    const api = await start({ statuses: ['failed'], manifest: true });
    const copy = copyActivity(await api.readUntil(await api.run(), 'failed'));
    const [batchId] = copy.targetInfo[0].reference.ids;
    expect(copy.statusSummary.extensions.manifest.failedRecords).toContain(`/batches/${batchId}/meta?path=row_errors`);
  });

  it('has no copy activity before it is final', async () => {
    const api = await start({ statuses: ['inProgress'] });
    expect((await api.readUntil(await api.run(), 'inProgress')).activities).toEqual([]);
  });

  it('has a plain copy activity when nothing went wrong', async () => {
    const api = await start({ statuses: ['success'] });
    const copy = copyActivity(await api.readUntil(await api.run(), 'success'));
    expect(copy.statusSummary).toEqual({ status: 'success', extensions: {} });
    expect(copy.targetInfo).toBeUndefined();
  });
});

describe('a list whose next token repeats (repeatListToken)', () => {
  it('points every page after the first at itself', async () => {
    const now = Date.now();
    const existingRuns = [1, 2, 3].map((n) => ({ flowId: FLOW, createdAt: now - n * 1000, id: `h-${n}` }));
    const api = await start({}, { existingRuns, pageSize: 1, continuationStyle: 'token', repeatListToken: true });
    const first = await api.list(`property=flowId==${FLOW}`);
    expect(first.body.continuationToken).toBe('1');
    const second = await api.list(`property=flowId==${FLOW}&continuationToken=1`);
    expect(second.body.continuationToken).toBe('1');
    expect(second.body.items.map((r: Json) => r.id)).toEqual(['h-2']);
  });
});

describe('history and lists', () => {
  const now = Date.now();
  const history = [
    {
      flowId: FLOW,
      createdAt: now - 50_000,
      id: 'h-params',
      status: 'failed',
      params: { windowStartTime: 1600000000, windowEndTime: 1600003600 },
    },
    {
      flowId: FLOW,
      createdAt: now - 40_000,
      id: 'h-copy',
      copyWindowMs: { start: 1600003600_000, end: 1600007200_000 },
    },
    { flowId: OTHER_FLOW, createdAt: now - 45_000, id: 'h-other' },
    {
      flowId: FLOW,
      createdAt: now - 30_000,
      id: 'h-old-style',
      params: { windowStartTime: 1600007200, windowEndTime: 1600010800 },
    },
  ];

  it('shows history with fixed statuses, with or without params, windows in the copy activity', async () => {
    const api = await start({ statuses: ['inProgress'] }, { existingRuns: history });
    const { body } = await api.list(`property=flowId==${FLOW}`);
    expect(body.items.map((r: Json) => r.id)).toEqual(['h-params', 'h-copy', 'h-old-style']);
    expect(body.items.map(statusOf)).toEqual(['failed', 'success', 'success']);
    const [withParams, copyOnly] = body.items;
    expect(withParams.params).toEqual({ windowStartTime: 1600000000, windowEndTime: 1600003600 });
    expect(copyActivity(withParams).durationSummary.extensions).toEqual({
      windowStart: 1600000000_000,
      windowEnd: 1600003600_000,
    });
    expect('params' in copyOnly).toBe(false);
    expect(copyActivity(copyOnly).durationSummary.extensions).toEqual({
      windowStart: 1600003600_000,
      windowEnd: 1600007200_000,
    });
    // Reading does not move history on.
    expect(statusOf((await api.read('h-copy')).body.items[0])).toBe('success');
    expect(statusOf((await api.read('h-copy')).body.items[0])).toBe('success');
  });

  it('re-triggers a failed history run over its window', async () => {
    const api = await start({ statuses: ['success'] }, { existingRuns: history });
    const answer = await api.retrigger('h-params');
    expect(answer.status).toBe(201);
    expect(emulator.runs.get(answer.body.id)).toMatchObject({ params: history[0]!.params, attempt: 0 });
    expect((await api.retrigger('h-copy')).body.errorMessage).toContain('its status is success');
  });

  it('ignores orderby and every filter but flowId', async () => {
    const api = await start({}, { existingRuns: history });
    const { body } = await api.list(
      `property=metrics.statusSummary.status==failed&property=flowId==${FLOW}&orderby=-createdAt`,
    );
    expect(body.items.map((r: Json) => r.id)).toEqual(['h-params', 'h-copy', 'h-old-style']);
    expect((await api.list('')).body.items).toHaveLength(4);
  });

  /** Every run of FLOW, page by page, following the answer's own pointer to the next page. */
  async function allPages(api: ReturnType<typeof client>, style: 'links' | 'token') {
    const ids: string[] = [];
    let query = `property=flowId==${FLOW}`;
    let pages = 0;
    for (;;) {
      const { body } = await api.list(query);
      pages += 1;
      ids.push(...body.items.map((r: Json) => r.id));
      expect(body.count).toBe(body.items.length);
      if (style === 'links') {
        expect(body.continuationToken).toBeUndefined();
        if (!body._links.next) break;
        query = body._links.next.href.split('?')[1];
      } else {
        expect(body._links.next).toBeUndefined();
        if (!body.continuationToken) break;
        query = `property=flowId==${FLOW}&continuationToken=${body.continuationToken}`;
      }
    }
    return { ids, pages };
  }

  it.each(['links', 'token'] as const)('pages oldest first with the %s style', async (continuationStyle) => {
    const existingRuns = Array.from({ length: 45 }, (_, i) => ({
      flowId: FLOW,
      createdAt: now - (50 - i) * 1000,
      id: `h${i}`,
    }));
    const api = await start({}, { existingRuns, pageSize: 20, continuationStyle });
    const mine = await api.run();
    const { ids, pages } = await allPages(api, continuationStyle);
    expect(pages).toBe(3);
    expect(ids).toEqual([...existingRuns.map((r) => r.id), mine]);
  });

  it('hides a new run from lists for listDelayMs, not from reads', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const api = await start({}, { existingRuns: history, listDelayMs: 120_000 });
    const id = await api.run();
    const listed = async () => (await api.list(`property=flowId==${FLOW}`)).body.items.map((r: Json) => r.id);
    expect(await listed()).not.toContain(id);
    expect((await api.flow()).body.items[0].lastRunDetails.id).toBe('h-old-style');
    expect((await api.read(id)).status).toBe(200);
    vi.setSystemTime(Date.now() + 119_000);
    expect(await listed()).not.toContain(id);
    vi.setSystemTime(Date.now() + 1_000);
    expect(await listed()).toContain(id);
    expect((await api.flow()).body.items[0].lastRunDetails).toMatchObject({ id, state: 'inProgress' });
  });
});

describe('acting late', () => {
  it('creates the run after a delay even though the client has gone', async () => {
    const api = await start();
    emulator.inject({ route: 'create', delayMs: 500 });
    const gone = await fetch(`${emulator.url}/data/foundation/flowservice/runs`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${emulator.issueToken()}`,
        'x-api-key': emulator.clientId,
        'x-gw-ims-org-id': emulator.orgId,
        'x-sandbox-name': 'prod',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ flowId: FLOW, params: WINDOW }),
      signal: AbortSignal.timeout(50),
    }).catch((e: Error) => e);
    expect(gone).toBeInstanceOf(Error);
    expect(emulator.runsOf(FLOW)).toHaveLength(0);
    await vi.waitFor(() => expect(emulator.runsOf(FLOW)).toHaveLength(1), { timeout: 5000, interval: 50 });
    expect(emulator.runsOf(FLOW)[0]!.params).toEqual(WINDOW);
    // The emulator still answers others.
    expect((await api.read(emulator.runsOf(FLOW)[0]!.id)).status).toBe(200);
  });
});

describe('GET /flows/{id}', () => {
  it('shows a configured flow with defaults', async () => {
    const api = await start();
    const answer = await api.flow();
    expect(answer.status).toBe(200);
    expect(answer.body.items).toHaveLength(1);
    const flow = answer.body.items[0];
    expect(flow).toMatchObject({
      id: FLOW,
      name: `Emulated flow ${FLOW.slice(0, 8)}`,
      state: 'enabled',
      flowSpec: { version: '1.0' },
      scheduleParams: { frequency: 'once', interval: 0, backfill: true },
    });
    expect(flow.scheduleParams.startTime).toMatch(/^\d{10}$/);
    expect(flow.sourceConnectionIds).toHaveLength(1);
    expect(flow.targetConnectionIds).toHaveLength(1);
    expect(flow.transformations.map((t: Json) => t.name)).toEqual(['Mapping']);
    expect(flow.lastRunDetails).toBeUndefined();
    expect((await api.flow()).body.items[0].etag).toBe(flow.etag);
    expect(emulator.count('flow')).toBe(2);
  });

  it('shows the details given, a held delta column in the Copy transformation, and the last run', async () => {
    const api = await start({
      statuses: ['success'],
      details: { name: 'Nightly CRM', state: 'disabled', frequency: 'day', deltaColumn: 'updatedAt' },
    });
    const id = await api.run();
    await api.read(id);
    const flow = (await api.flow()).body.items[0];
    expect(flow).toMatchObject({ name: 'Nightly CRM', state: 'disabled', scheduleParams: { frequency: 'day' } });
    expect(flow.transformations[0]).toEqual({
      name: 'Copy',
      params: { deltaColumn: { name: 'updatedAt', dateFormat: 'YYYY-MM-DD', timezone: 'UTC' } },
    });
    expect(flow.transformations[1].name).toBe('Mapping');
    expect(flow.lastRunDetails).toMatchObject({ id, state: 'success' });
  });

  it.each([
    [undefined, 404, 'FLOW-1430-404'],
    ['404', 404, 'FLOW-1430-404'],
    ['400', 400, 'FLOW-1430-400'],
  ] as const)('answers an unknown flow (unknownFlow %s) with %d %s', async (unknownFlow, status, code) => {
    const api = await start({}, unknownFlow ? { unknownFlow } : {});
    const answer = await api.flow(OTHER_FLOW);
    expect(answer.status).toBe(status);
    expect(answer.body.type).toBe(`https://ns.adobe.com/aep/errors/${code}`);
    expect(answer.body.errorMessage).toBe(`Flow with id ${OTHER_FLOW} not found`);
  });

  it('answers an unknown flow with an empty list (unknownFlow empty)', async () => {
    const api = await start({}, { unknownFlow: 'empty' });
    expect(await api.flow(OTHER_FLOW)).toEqual({ status: 200, body: { items: [] } });
  });

  it('refuses a read with flowReadStatus', async () => {
    const api = await start({ flowReadStatus: 403 });
    const answer = await api.flow();
    expect(answer.status).toBe(403);
    expect(answer.body.type).toBe('https://ns.adobe.com/aep/errors/FLOW-1403-403');
    expect(answer.body.errorMessage).toBe('Not authorised to read flows');
    expect((await api.create()).status).toBe(201); // runs are still allowed
  });

  it('follows a fault on its route', async () => {
    const api = await start();
    emulator.inject({ route: 'flow', status: 500, body: '{}' });
    expect((await api.flow()).status).toBe(500);
    expect((await api.flow()).status).toBe(200);
  });
});

describe('the delta column a flow holds', () => {
  it('refuses a run that would change it, takes the same one again, and takes none', async () => {
    const api = await start({ details: { deltaColumn: 'updatedAt' } });
    const changed = await api.create({ ...WINDOW, deltaColumn: { name: 'modifiedAt' } });
    expect(changed.status).toBe(400);
    expect(changed.body.type).toBe('https://ns.adobe.com/aep/errors/FLOW-1005-400');
    expect(changed.body.errorMessage).toMatch(/delta column .* cannot be changed/);
    expect(emulator.runsOf(FLOW)).toHaveLength(0);
    expect((await api.create({ ...WINDOW, deltaColumn: { name: 'updatedAt' } })).status).toBe(201);
    expect((await api.create(WINDOW)).status).toBe(201);
  });

  it('lets a flow that holds none take any', async () => {
    const api = await start();
    expect((await api.create({ ...WINDOW, deltaColumn: { name: 'modifiedAt' } })).status).toBe(201);
  });
});

describe('npm run emulator', () => {
  const CLI = resolve(import.meta.dirname, '../emulator/cli.ts');
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill();
  });

  function spawnCli(port: number) {
    const child = spawn(process.execPath, [CLI], {
      env: { ...process.env, EMULATOR_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
    return { child, exited, stdout: () => stdout, stderr: () => stderr };
  }

  it('says in one line that the port is taken, and exits 1', async () => {
    const probe = createServer();
    await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
    const port = (probe.address() as import('node:net').AddressInfo).port;
    await new Promise((done) => probe.close(done));

    const first = spawnCli(port);
    await vi.waitFor(() => expect(first.stdout()).toContain(`listening on http://127.0.0.1:${port}`), {
      timeout: 10_000,
      interval: 50,
    });
    const second = spawnCli(port);
    expect(await second.exited).toBe(1);
    expect(second.stderr()).toBe(`Port ${port} is in use: stop the other emulator or set EMULATOR_PORT\n`);
    expect(first.child.exitCode).toBeNull();
  });

  it('stops by itself when its parent dies', async () => {
    // A parent that starts the emulator, says its pid, and exits without stopping it.
    const parent = spawn(
      process.execPath,
      [
        '-e',
        // It exits once the emulator listens: on a loaded machine Node may take longer than any fixed delay to start.
        `const c = require('node:child_process').spawn(process.execPath, [${JSON.stringify(CLI)}], { env: { ...process.env, EMULATOR_PORT: '0' }, stdio: ['ignore', 'pipe', 'ignore'] });
         console.log(c.pid); c.stdout.once('data', () => process.exit(0));`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    parent.stdout.on('data', (d) => (out += d));
    await new Promise((done) => parent.on('close', done));
    const pid = Number(out.trim());
    expect(pid).toBeGreaterThan(0);
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    try {
      await vi.waitFor(() => expect(alive()).toBe(false), { timeout: 10_000, interval: 100 });
    } finally {
      if (alive()) process.kill(pid); // the one we started, should the test fail
    }
  });
});
