// Issue #10: scheduled ingestion, window after window (`window-start: last-success`), the guard
// against a run in progress (`if-running`) and the preflight read of the flow, run as the runner runs
// the bundled action against the emulator. Where the number of requests matters, it is counted.
import { describe, expect, it } from 'vitest';
import type { Emulator, EmulatorOptions, ExistingRun, FlowScenario } from '../emulator/emulator.ts';
import { useEmulator } from './fixture.ts';
import { baseInputs, FLOW_ID, type ActionResult } from './harness.ts';

const W = 1_700_000_000; // a window boundary, unix seconds
const H = 3600;

const e2e = useEmulator();
let emulator: Emulator;

async function emulate(flow: FlowScenario = {}, options: EmulatorOptions = {}): Promise<Emulator> {
  emulator = await e2e.start({ flows: { [FLOW_ID]: { sourceType: 'file', ...flow } }, ...options });
  return emulator;
}

/** A run of the flow's history that took this window (params in seconds, as sent). */
function past(window: [number, number], status = 'success', extra: Partial<ExistingRun> = {}): ExistingRun {
  return {
    flowId: FLOW_ID,
    createdAt: window[1] * 1000 + 120_000,
    status,
    params: { startTime: window[1], windowStartTime: window[0], windowEndTime: window[1] },
    ...extra,
  };
}

/** A run of the flow created minutes ago that is not finished. */
const running = (id = 'run-in-progress'): ExistingRun => ({
  flowId: FLOW_ID,
  id,
  createdAt: Date.now() - 10 * 60_000,
  status: 'inProgress',
});

/** The inputs of a scheduled step: the window starts after the last success and ends at `end`. */
const scheduled = (end: number, extra: Record<string, string> = {}) =>
  baseInputs(emulator, { 'window-start': 'last-success', 'window-end': String(end), ...extra });

const routes = () => emulator.requests.map((r) => r.route);
/** The params of every run request, in order. */
const sent = () =>
  emulator.requests
    .filter((r) => r.route === 'create')
    .map((r) => JSON.parse(r.body).params as Record<string, unknown>);

function notices(result: ActionResult): string[] {
  return result.stdout.split('\n').filter((l) => l.startsWith('::notice::'));
}

describe('window-start: last-success', () => {
  it('starts where the last successful window ended, and the next step goes on from there with no gap', async () => {
    const last = past([W - H, W]);
    await emulate({ statuses: ['success'] }, { existingRuns: [past([W - 2 * H, W - H]), last] });
    const first = await e2e.run(scheduled(W + H, { wait: 'true', 'poll-interval': '20ms' }));
    expect(first.code, first.stdout).toBe(0);
    expect(sent()).toEqual([{ startTime: expect.any(Number), windowStartTime: W, windowEndTime: W + H }]);
    // One flow read, one list, one run request, one read: nothing more.
    expect(routes()).toEqual(['token', 'flow', 'list', 'create', 'read']);
    expect(first.outputs['window-start']).toBe(String(W));
    expect(first.outputs['window-end']).toBe(String(W + H));
    const runs = JSON.parse(first.outputs.runs!);
    expect(runs[0]).toMatchObject({ windowStart: W, windowEnd: W + H });
    const lastId = emulator.runsOf(FLOW_ID).find((r) => r.createdAt === last.createdAt)!.id;
    expect(first.stdout).toContain(`Window 2023-11-14T22:13:20Z → 2023-11-14T23:13:20Z: after run ${lastId}, which`);
    expect(first.summary).toContain(
      `2023-11-14T22:13:20Z → 2023-11-14T23:13:20Z (after run <code>${lastId}</code>, which succeeded at 2023-11-14T22:18:32Z)`,
    );

    const second = await e2e.run(scheduled(W + 3 * H));
    expect(second.code, second.stdout).toBe(0);
    expect(sent()[1]).toMatchObject({ windowStartTime: W + H, windowEndTime: W + 3 * H });
  });

  it('takes a failed window again: it starts after the last success, not after the failure', async () => {
    await emulate(
      {},
      { existingRuns: [past([W - H, W]), past([W, W + H], 'Failed'), past([W + H, W + 2 * H], 'failed')] },
    );
    const result = await e2e.run(scheduled(W + 3 * H));
    expect(result.code, result.stdout).toBe(0);
    expect(sent()).toEqual([expect.objectContaining({ windowStartTime: W, windowEndTime: W + 3 * H })]);
  });

  it('catches up after dropped schedules in one window, or in max-window steps that go on from each other', async () => {
    await emulate({ statuses: ['success'] }, { existingRuns: [past([W - H, W])] });
    const end = W + 3 * 24 * H; // three days of schedules missed
    const whole = await e2e.run(scheduled(end, { 'if-running': 'start' }));
    expect(whole.code, whole.stdout).toBe(0);
    expect(sent()[0]).toMatchObject({ windowStartTime: W, windowEndTime: end });
    expect(whole.summary).not.toContain('max-window');
    await emulator.close();

    await emulate({ statuses: ['success'] }, { existingRuns: [past([W - H, W])] });
    const capped = scheduled(end, { 'max-window': '1d', wait: 'true', 'poll-interval': '20ms' });
    const day1 = await e2e.run(capped);
    expect(day1.code, day1.stdout).toBe(0);
    expect(day1.outputs['window-start']).toBe(String(W));
    expect(day1.outputs['window-end']).toBe(String(W + 24 * H));
    expect(day1.summary).toContain('capped by max-window');
    const day2 = await e2e.run(capped);
    expect(day2.code, day2.stdout).toBe(0);
    expect(sent().map((p) => [p.windowStartTime, p.windowEndTime])).toEqual([
      [W, W + 24 * H],
      [W + 24 * H, W + 48 * H],
    ]);
  });

  it('fails with no successful run yet, naming first-window-start, and sends no run request', async () => {
    await emulate({}, { existingRuns: [past([W - H, W], 'failed')] });
    const result = await e2e.run(scheduled(W + H));
    expect(result.code).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(/has no successful run .*Set 'first-window-start'/);
    expect(routes()).toEqual(['token', 'flow', 'list']);
    expect(result.summary).toContain('first-window-start');
  });

  it('never moves the window back: a success whose window cannot be read stops the step before any run request', async () => {
    // Issue #16: Adobe's OpenAPI run has no params; such a success used to count as none, and
    // first-window-start took its days of data again.
    const blind: ExistingRun = { flowId: FLOW_ID, id: 'blind-success', createdAt: (W + 30 * 60) * 1000 };
    await emulate({}, { existingRuns: [past([W - H, W]), blind] });
    const result = await e2e.run(scheduled(W + 2 * H, { 'first-window-start': '2023-11-01T00:00:00Z' }));
    expect(result.code).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(
      /successful runs whose windows cannot be read \(blind-success\).*Give 'window-start' as a time/,
    );
    expect(routes()).toEqual(['token', 'flow', 'list']);
    expect(result.summary).toContain('No flow run was started');
  });

  it('starts the first window at first-window-start when there is no history', async () => {
    await emulate();
    const result = await e2e.run(scheduled(W + H, { 'first-window-start': '2023-11-14T00:00:00Z' }));
    expect(result.code, result.stdout).toBe(0);
    expect(sent()).toEqual([expect.objectContaining({ windowStartTime: 1699920000, windowEndTime: W + H })]);
    expect(result.summary).toContain('(first window: no successful run yet)');
    expect(routes()).toEqual(['token', 'flow', 'list', 'create']);
  });

  it('starts nothing when nothing is new: a notice, status skipped, and the step succeeds', async () => {
    await emulate({}, { existingRuns: [past([W - H, W])] });
    const result = await e2e.run(scheduled(W));
    expect(result.code, result.stdout).toBe(0);
    expect(result.outputs.status).toBe('skipped');
    expect(result.outputs['run-id']).toBeUndefined();
    expect(notices(result)).toEqual([expect.stringMatching(/Nothing new to ingest for flow .*No run was started/)]);
    expect(JSON.parse(result.outputs.runs!)).toEqual([expect.objectContaining({ status: 'skipped', runId: null })]);
    expect(result.summary).toContain('No flow run was needed');
    expect(emulator.count('create')).toBe(0);
  });

  it('reads windows that only the copy activity shows (ms), and every spelling of success', async () => {
    const copyOnly = (window: [number, number], status: string): ExistingRun => ({
      ...past(window, status),
      params: undefined,
      copyWindowMs: { start: window[0] * 1000, end: window[1] * 1000 },
    });
    await emulate(
      {},
      {
        existingRuns: [
          copyOnly([W - 3 * H, W - 2 * H], 'SUCCESS'),
          copyOnly([W - 2 * H, W - H], 'completed'),
          copyOnly([W - H, W], 'PARTIAL_SUCCESS'),
          copyOnly([W, W + H], 'PARTIAL_FAILURE'),
          copyOnly([W + H, W + 2 * H], 'Failed'),
        ],
      },
    );
    const result = await e2e.run(scheduled(W + 3 * H));
    expect(result.code, result.stdout).toBe(0);
    expect(sent()[0]).toMatchObject({ windowStartTime: W, windowEndTime: W + 3 * H });
    expect(result.summary).toContain('which partially succeeded');
  });

  it.each(['links', 'token'] as const)(
    'reads every page of a long history (%s continuation), whatever order it comes in',
    async (continuationStyle) => {
      // 250 runs, oldest first as the emulator lists them: the newest success is on the last page.
      const history = Array.from({ length: 250 }, (_, i) => past([W - (250 - i) * H, W - (249 - i) * H]));
      history.push(past([W - 10 * H, W - 9 * H], 'success', { createdAt: (W + 60) * 1000 })); // a late re-run
      await emulate({}, { existingRuns: history, pageSize: 100, continuationStyle });
      const result = await e2e.run(scheduled(W + H));
      expect(result.code, result.stdout).toBe(0);
      expect(sent()[0]).toMatchObject({ windowStartTime: W, windowEndTime: W + H });
      expect(emulator.count('list')).toBe(3);
      expect(routes()).toEqual(['token', 'flow', 'list', 'list', 'list', 'create']);
    },
  );
});

describe('if-running, against a run in progress', () => {
  it('skip: starts nothing, succeeds with a notice naming the run, status skipped', async () => {
    await emulate({}, { existingRuns: [past([W - H, W]), running()] });
    const result = await e2e.run(scheduled(W + H, { 'if-running': 'skip' }));
    expect(result.code, result.stdout).toBe(0);
    expect(result.outputs.status).toBe('skipped');
    expect(notices(result)).toEqual([expect.stringMatching(/Run run-in-progress of flow .* is still inProgress/)]);
    expect(routes()).toEqual(['token', 'flow', 'list']);
  });

  it('fail: fails naming the run, and sends no run request', async () => {
    await emulate({}, { existingRuns: [running()] });
    const result = await e2e.run(baseInputs(emulator, { 'if-running': 'fail' }));
    expect(result.code).toBe(1);
    expect(result.errors).toEqual([
      expect.stringMatching(/Run run-in-progress .* is still inProgress .*'if-running' is fail/),
    ]);
    expect(routes()).toEqual(['token', 'flow', 'list']);
  });

  it('start: starts another anyway; without last-success it does not even list the runs', async () => {
    await emulate({}, { existingRuns: [running()] });
    const result = await e2e.run(baseInputs(emulator, { 'if-running': 'start' }));
    expect(result.code, result.stdout).toBe(0);
    expect(routes()).toEqual(['token', 'flow', 'create']);
    // auto without last-success is start.
    const auto = await e2e.run(baseInputs(emulator));
    expect(auto.code).toBe(0);
    expect(routes().slice(3)).toEqual(['token', 'flow', 'create']);
  });

  it('wait (auto with last-success): follows it to its end, then takes the window after it, with no second list', async () => {
    await emulate({ statuses: ['inProgress', 'success'] }, { existingRuns: [past([W - H, W])] });
    // A run of the flow that a step before this one started, and did not wait for.
    const before = await e2e.run(baseInputs(emulator, { 'window-start': String(W), 'window-end': String(W + H) }));
    expect(before.code).toBe(0);
    const inFlight = before.outputs['run-id']!;
    emulator.requests.length = 0;

    const result = await e2e.run(scheduled(W + 2 * H, { 'poll-interval': '50ms' }));
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toContain(`Run ${inFlight} of flow ${FLOW_ID} is still scheduled`);
    expect(result.stdout).toContain(`Run ${inFlight} ended success.`);
    expect(sent()).toEqual([expect.objectContaining({ windowStartTime: W + H, windowEndTime: W + 2 * H })]);
    expect(routes()).toEqual(['token', 'flow', 'list', 'read', 'read', 'create']);
    expect(result.summary).toContain(`after run <code>${inFlight}</code>, which succeeded`);
  });

  it('wait: a run still going at the timeout fails the step, naming it, and starts nothing', async () => {
    await emulate({}, { existingRuns: [past([W - H, W]), running()] });
    const result = await e2e.run(scheduled(W + H, { 'poll-interval': '100ms', timeout: '1s' }));
    expect(result.code).toBe(1);
    expect(result.errors).toEqual([
      expect.stringMatching(/Run run-in-progress .* was still inProgress when the step's timeout/),
    ]);
    expect(emulator.count('create')).toBe(0);
    expect(result.ms).toBeLessThan(5000);
  });

  it('start with last-success: one list serves the window; the run in progress is not waited for', async () => {
    await emulate({}, { existingRuns: [past([W - H, W]), running()] });
    const result = await e2e.run(scheduled(W + H, { 'if-running': 'start' }));
    expect(result.code, result.stdout).toBe(0);
    expect(routes()).toEqual(['token', 'flow', 'list', 'create']);
  });
});

describe('preflight', () => {
  it('shows the flow name, and with preflight false reads nothing before the run request', async () => {
    await emulate({ details: { name: 'CRM contacts daily' } });
    const result = await e2e.run(baseInputs(emulator));
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toContain(`Flow ${FLOW_ID} (CRM contacts daily): enabled, scheduled once.`);
    expect(result.summary).toContain('CRM contacts daily');
    expect(routes()).toEqual(['token', 'flow', 'create']);
    const off = await e2e.run(baseInputs(emulator, { preflight: 'false' }));
    expect(off.code).toBe(0);
    expect(routes().slice(3)).toEqual(['token', 'create']);
  });

  it.each([
    ['404', { unknownFlow: '404' as const }],
    ['400 FLOW-1430-400', { unknownFlow: '400' as const }],
    ['an empty list', { unknownFlow: 'empty' as const }],
  ])('fails before the run request when the flow is not in the sandbox (%s)', async (_name, options) => {
    emulator = await e2e.start({ flows: {}, sandboxes: ['prod', 'dev-2'], ...options });
    const result = await e2e.run(baseInputs(emulator, { 'sandbox-name': 'dev-2' }));
    expect(result.code).toBe(1);
    expect(result.errors).toEqual([
      expect.stringMatching(
        new RegExp(`Flow ${FLOW_ID} was not found in sandbox 'dev-2': check 'flow-id' .*'sandbox-name'`),
      ),
    ]);
    expect(routes()).toEqual(['token', 'flow']);
  });

  it.each<[string, FlowScenario, Record<string, string>, RegExp]>([
    ['disabled', { details: { state: 'disabled' } }, {}, /is disabled: enable it in Platform/],
    ['scheduled daily', { details: { frequency: 'day' } }, {}, /is scheduled 'day', not 'once'.*one-time dataflow/],
    [
      'holding another delta column',
      { sourceType: 'table', details: { deltaColumn: 'updated_at' } },
      { 'delta-column': 'DOB' },
      /Input 'delta-column' is 'DOB', but .* already holds delta column 'updated_at'.*remove 'delta-column'/,
    ],
  ])('fails before the run request for a flow %s', async (_name, flow, extra, message) => {
    await emulate({ ...flow, details: { name: 'Orders', ...flow.details } });
    const result = await e2e.run(scheduled(W + H, { 'first-window-start': String(W), ...extra }));
    expect(result.code).toBe(1);
    expect(result.errors).toEqual([expect.stringMatching(message)]);
    expect(result.errors[0]).toContain(`${FLOW_ID} (Orders)`);
    expect(routes()).toEqual(['token', 'flow']); // no list, no run request
  });

  it('does not send again the delta column the flow already holds', async () => {
    await emulate({ sourceType: 'table', details: { deltaColumn: 'DOB' } });
    const result = await e2e.run(baseInputs(emulator, { 'delta-column': 'DOB' }));
    expect(result.code, result.stdout).toBe(0);
    expect(sent()[0]).not.toHaveProperty('deltaColumn');
    expect(result.stdout).toContain("already holds delta column 'DOB': not sent again");
    // A flow that holds none yet (its first run) gets it.
    await emulator.close();
    await emulate({ sourceType: 'table' });
    await e2e.run(baseInputs(emulator, { 'delta-column': 'DOB' }));
    expect(sent()[0]).toMatchObject({ deltaColumn: { name: 'DOB' } });
  });

  it('warns and goes on when the read is refused for lack of permission (403)', async () => {
    await emulate({ flowReadStatus: 403 });
    const result = await e2e.run(baseInputs(emulator));
    expect(result.code, result.stdout).toBe(0);
    expect(result.warnings).toEqual([
      expect.stringMatching(/Could not read flow .*HTTP 403 FLOW-1403-403.*preflight: false/),
    ]);
    expect(routes()).toEqual(['token', 'flow', 'create']);
    expect(result.outputs['run-id']).toBe(emulator.runsOf(FLOW_ID)[0]!.id);
  });
});

describe('several flows, each with its own history', () => {
  const A = '11111111-1111-4111-8111-111111111111';
  const B = '22222222-2222-4222-8222-222222222222';
  const C = '33333333-3333-4333-8333-333333333333';
  const of = (flowId: string, run: ExistingRun): ExistingRun => ({ ...run, flowId });

  it('computes each window and running check on its own, one flow read and one list each', async () => {
    emulator = await e2e.start({
      flows: { [A]: {}, [B]: {}, [C]: {}, [FLOW_ID]: {} },
      existingRuns: [
        of(A, past([W - H, W])),
        of(B, past([W - 2 * H, W - H])),
        of(B, past([W - H, W], 'failed')),
        of(FLOW_ID, running()),
        of(FLOW_ID, past([W - H, W])),
      ],
    });
    const result = await e2e.run(
      scheduled(W + H, {
        'flow-id': [A, B, C, FLOW_ID].join('\n'),
        'first-window-start': String(W - 5 * H),
        'if-running': 'skip',
      }),
    );
    expect(result.code, result.stdout).toBe(0);
    const windows = (flowId: string) => {
      const create = emulator.requests.find((r) => r.route === 'create' && JSON.parse(r.body).flowId === flowId);
      return create && [JSON.parse(create.body).params.windowStartTime, JSON.parse(create.body).params.windowEndTime];
    };
    expect(windows(A)).toEqual([W, W + H]);
    expect(windows(B)).toEqual([W - H, W + H]);
    expect(windows(C)).toEqual([W - 5 * H, W + H]);
    expect(windows(FLOW_ID)).toBeUndefined(); // a run in progress: skipped
    expect(result.outputs['window-start']!.split('\n')).toEqual([String(W), String(W - H), String(W - 5 * H), '']);
    expect(JSON.parse(result.outputs.runs!).map((r: { status: string }) => r.status)).toEqual([
      'scheduled',
      'scheduled',
      'scheduled',
      'skipped',
    ]);
    expect(emulator.count('token')).toBe(1);
    expect(emulator.count('flow')).toBe(4);
    expect(emulator.count('list')).toBe(4);
    expect(emulator.count('create')).toBe(3);
    // Each list asked for its own flow.
    const listed = emulator.requests.filter((r) => r.route === 'list').map((r) => decodeURIComponent(r.path));
    for (const id of [A, B, C, FLOW_ID]) expect(listed.some((p) => p.includes(`flowId==${id}`))).toBe(true);
    expect(result.summary).toContain('first window: no successful run yet');
    expect(result.summary).toContain('run-in-progress');
  });
});
