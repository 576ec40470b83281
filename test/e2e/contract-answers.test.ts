// Issue #16, the client's side: an answer about one run or flow is about that run or flow; a run is
// never lost to a malformed etag; lists that repeat themselves end; a re-trigger works with either
// spelling of its op, and one answered with the failed run's own ID is followed as that run restarting.
// Each runs the bundled action against the emulator, shaped as Adobe's OpenAPI file allows.
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator, type EmulatorOptions, type FlowScenario } from '../emulator/emulator.ts';
import { baseInputs, cleanliness, FLOW_ID, runAction, type ActionResult } from './harness.ts';

let emulator: Emulator;
afterEach(async () => emulator?.close());

const OTHER_FLOW = '5b0f3c1e-9a4d-4e2b-8c6a-1d2e3f4a5b6c';
const FAILED_ID = '0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a';
const OTHER_RUN = '7d1c2b3a-4e5f-4a6b-9c8d-0e1f2a3b4c5d';

async function emulate(flow: FlowScenario = {}, options: EmulatorOptions = {}): Promise<Emulator> {
  emulator = await startEmulator({ flows: { [FLOW_ID]: { sourceType: 'file', ...flow } }, ...options });
  return emulator;
}

function expectClean(result: ActionResult) {
  expect(cleanliness(result, emulator)).toEqual({ leaked: [], stray: [], markers: [], stack: false });
}

/** Inputs for following runs: credentials and hosts, no flow or window. */
function following(runIds: string, extra: Record<string, string> = {}): Record<string, string> {
  const inputs = baseInputs(emulator, { 'run-id': runIds, 'poll-interval': '50ms', ...extra });
  delete inputs['flow-id'];
  delete inputs['window-start'];
  return inputs;
}

/** A failed run that exists before the step, with its window in params. */
function failedRun(id = FAILED_ID, flowId = FLOW_ID) {
  return {
    id,
    flowId,
    createdAt: Date.now() - 600_000,
    status: 'failed',
    params: { windowStartTime: 1699913600, windowEndTime: 1700000000, startTime: 1700000000 },
  };
}

/** Another flow's run that succeeded, as GET /runs/{id} would show it. */
const otherRunBody = {
  id: OTHER_RUN,
  flowId: OTHER_FLOW,
  etag: '"other-etag"',
  metrics: { statusSummary: { status: 'success' } },
};

describe('an answer about one run is about that run', () => {
  it('run-id + re-trigger: a read that answers another run is malformed; nothing is re-triggered', async () => {
    await emulate({}, { existingRuns: [failedRun()] });
    emulator.inject({ route: 'read', malformed: JSON.stringify({ items: [otherRunBody] }) });
    const result = await runAction(following(FAILED_ID, { 're-trigger': 'true', wait: 'true' }));
    expect(result.code).toBe(1);
    expect(result.errors.join('\n')).toMatch(
      new RegExp(`read of run ${FAILED_ID} with HTTP 200 about something else, not run ${FAILED_ID}`),
    );
    expect(emulator.count('retrigger')).toBe(0);
    expect(result.outputs['run-id'] ?? '').not.toContain(OTHER_RUN);
    expect(result.outputs.status).not.toBe('success');
    expectClean(result);
  });

  it('a created run: a read that answers another run does not replace its ID', async () => {
    await emulate({ statuses: ['inProgress', 'success'] });
    emulator.inject({ route: 'read', malformed: JSON.stringify(otherRunBody) });
    const result = await runAction(baseInputs(emulator, { wait: 'true', 'poll-interval': '50ms' }));
    const created = emulator.runsOf(FLOW_ID)[0]!.id;
    expect(result.code).toBe(1);
    expect(result.outputs['run-id']).toBe(created);
    expect(JSON.parse(result.outputs.runs!)[0].attempts).toEqual([created]);
    expect(result.errors.join('\n')).toContain(`the read of run ${created}`);
    expect(result.stdout).not.toContain(`${OTHER_RUN} (`);
    expectClean(result);
  });

  it('preflight: a flow read that answers another flow is malformed, and no run is requested', async () => {
    await emulate();
    const other = { id: OTHER_FLOW, name: 'Someone else', state: 'enabled', scheduleParams: { frequency: 'once' } };
    emulator.inject({ route: 'flow', malformed: JSON.stringify({ items: [other] }) });
    const result = await runAction(baseInputs(emulator, { preflight: 'true' }));
    expect(result.code).toBe(1);
    expect(result.errors.join('\n')).toMatch(
      new RegExp(`read of flow ${FLOW_ID} with HTTP 200 about something else, not flow ${FLOW_ID}`),
    );
    expect(result.stdout + result.summary).not.toContain('Someone else');
    expect(emulator.count('create')).toBe(0);
    expectClean(result);
  });
});

describe('a run is never lost to a malformed etag', () => {
  it('keeps the created run and its ID, leaves the etag out, and warns', async () => {
    await emulate({ createShape: 'flat', etags: ['not an etag'] });
    const result = await runAction(baseInputs(emulator));
    const created = emulator.runsOf(FLOW_ID)[0]!.id;
    expect(result.code, result.stdout).toBe(0);
    expect(result.outputs['run-id']).toBe(created);
    expect(result.outputs.etag ?? '').toBe('');
    expect(result.warnings.join('\n')).toMatch(/an etag that is not one .*not an etag.*kept without an etag/);
    expect(result.stdout).not.toMatch(/a run may exist/i);
    expectClean(result);
  });
});

describe('a list that repeats itself', () => {
  it('ends at a repeated page token, and no run counts twice', async () => {
    const now = Date.now();
    const success = (n: number) => ({
      id: `0000000${n}-aaaa-4bbb-8ccc-dddddddddddd`,
      flowId: FLOW_ID,
      createdAt: now - (10 - n) * 60_000,
      status: 'success',
      params: { windowStartTime: 1699900000 + n * 3600, windowEndTime: 1699903600 + n * 3600 },
    });
    await emulate(
      {},
      {
        existingRuns: [success(1), success(2), success(3)],
        pageSize: 1,
        continuationStyle: 'token',
        repeatListToken: true,
      },
    );
    const end = 1699903600 + 3 * 3600 + 3600;
    const result = await runAction(baseInputs(emulator, { 'window-start': 'last-success', 'window-end': String(end) }));
    expect(result.code, result.stdout).toBe(0);
    expect(emulator.count('list')).toBe(2);
    expect(result.warnings.join('\n')).toContain(`repeated a page in the list of runs of flow ${FLOW_ID}`);
    expect(result.warnings.join('\n')).not.toContain('more runs than the action lists');
    // The second page's run is the newest success read: the window starts where it ended.
    const sent = JSON.parse(emulator.requests.find((r) => r.route === 'create')!.body);
    expect(sent.params.windowStartTime).toBe(1699903600 + 2 * 3600);
    expectClean(result);
  });
});

describe('re-trigger with either spelling of its op', () => {
  it('after a 422 for op=re-trigger tries op=RE_TRIGGER once, and keeps it for the rest of the step', async () => {
    await emulate(
      { attempts: [{ statuses: ['failed'] }, { statuses: ['success'] }] },
      { existingRuns: [failedRun()], retriggerOps: ['RE_TRIGGER'] },
    );
    const result = await runAction(following(FAILED_ID, { 're-trigger': 'true', wait: 'true', retries: '1' }));
    expect(result.code, result.stdout).toBe(0);
    const ops = emulator.requests.filter((r) => r.route === 'retrigger').map((r) => r.path.split('op=')[1]);
    expect(ops).toEqual(['re-trigger', 'RE_TRIGGER', 'RE_TRIGGER']);
    expect(JSON.parse(result.outputs.runs!)[0].attempts).toHaveLength(3);
    expect(result.outputs.status).toBe('success');
    expectClean(result);
  });

  it('both spellings refused: fails with both answers, having started nothing', async () => {
    await emulate({}, { existingRuns: [failedRun()], retriggerOps: ['RETRIGGER_V2'] });
    const result = await runAction(following(FAILED_ID, { 're-trigger': 'true' }));
    expect(result.code).toBe(1);
    expect(emulator.count('retrigger')).toBe(2);
    expect(result.errors.join('\n')).toMatch(/HTTP 422 FLOW-1442-422.*Sent again with op=RE_TRIGGER: .*HTTP 422/);
    expect(emulator.runsOf(FLOW_ID)).toHaveLength(1);
    expectClean(result);
  });
});

describe('a re-trigger answered with the failed run itself', () => {
  it('follows it restarting: its earlier failed end is not the new attempt’s, and it is re-triggered once', async () => {
    await emulate(
      { retriggerShape: 'same', restartLagReads: 2, attempts: [{ statuses: ['inProgress', 'success'] }] },
      { existingRuns: [failedRun()] },
    );
    const result = await runAction(following(FAILED_ID, { 're-trigger': 'true', wait: 'true', retries: '1' }));
    expect(result.code, result.stdout).toBe(0);
    expect(emulator.count('retrigger')).toBe(1);
    expect(result.outputs['run-id']).toBe(FAILED_ID);
    expect(result.outputs.status).toBe('success');
    // One entry per attempt: the same run, restarted, is two attempts.
    expect(JSON.parse(result.outputs.runs!)[0].attempts).toEqual([FAILED_ID, FAILED_ID]);
    expect(result.outputs.etag).toBe(emulator.runs.get(FAILED_ID)!.etag);
    expectClean(result);
  });
});
