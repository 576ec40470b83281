// Issue #5: several dataflows in one step, run as the runner runs the bundled action.
import { describe, expect, it } from 'vitest';
import type { Emulator, EmulatorOptions, FlowScenario } from '../emulator/emulator.ts';
import { useEmulator } from './fixture.ts';
import { baseInputs } from './harness.ts';

const FLOWS = [
  '11111111-1111-4111-8111-111111111111',
  '22222222-2222-4222-8222-222222222222',
  '33333333-3333-4333-8333-333333333333',
];

const e2e = useEmulator();
let emulator: Emulator;

async function emulate(flows: Record<string, FlowScenario>, options: EmulatorOptions = {}) {
  emulator = await e2e.start({ flows, ...options });
  return emulator;
}

const lines = (text: string | undefined) => (text ?? '').split('\n');

describe('several flows in one step', () => {
  it('starts and follows them all, with one token, one output line per flow and a runs array', async () => {
    await emulate(Object.fromEntries(FLOWS.map((id) => [id, { statuses: ['inProgress', 'success'] }])));
    const result = await e2e.run(
      baseInputs(emulator, {
        'flow-id': `${FLOWS[0]}\n\n  ${FLOWS[1]} ,${FLOWS[2]}\n`,
        wait: 'true',
        'poll-interval': '60ms',
      }),
    );
    expect(result.code, result.stdout).toBe(0);
    expect(emulator.tokensMinted).toBe(1);
    expect(emulator.count('token')).toBe(1);
    const runIds = FLOWS.map((id) => emulator.runsOf(id)[0]!.id);
    expect(lines(result.outputs['run-id'])).toEqual(runIds);
    expect(lines(result.outputs.etag)).toEqual(FLOWS.map((id) => emulator.runsOf(id)[0]!.etag));
    expect(result.outputs.status).toBe('success');
    const runs = JSON.parse(result.outputs.runs!);
    expect(runs).toEqual(
      FLOWS.map((flowId, i) => ({
        flowId,
        runId: runIds[i],
        etag: emulator.runsOf(flowId)[0]!.etag,
        status: 'success',
        error: null,
        runUrl: `https://experience.adobe.com/#/@${emulator.orgId}/sname:prod/platform/source/dataflows/${flowId}/activity/${runIds[i]}`,
        windowStart: expect.any(Number),
        windowEnd: expect.any(Number),
        attempts: [runIds[i]],
        recordsIn: 1200,
        recordsFailed: 10,
      })),
    );
    // One log group per flow, each telling that flow's story.
    for (const [i, flowId] of FLOWS.entries()) {
      expect(result.stdout).toMatch(
        new RegExp(`::group::Flow ${flowId}: success\\n(?:(?!::endgroup::).*\\n)*?.*Created run ${runIds[i]}`),
      );
    }
    expect(result.stdout.match(/::group::/g)).toHaveLength(3);
    expect(result.summary).toContain('3 flow runs: 3 succeeded, 0 failed');
    for (const id of runIds) expect(result.summary).toContain(`<code>${id}</code>`);
  });

  it('goes on when one cannot be created, and fails the step after the others end', async () => {
    // The second flow does not exist: the service answers FLOW-1430-400 for it.
    await emulate({ [FLOWS[0]!]: { statuses: ['success'] }, [FLOWS[2]!]: { statuses: ['inProgress', 'success'] } });
    const result = await e2e.run(
      baseInputs(emulator, { 'flow-id': FLOWS.join(','), wait: 'true', 'poll-interval': '30ms', preflight: 'false' }),
    );
    expect(result.code).toBe(1);
    expect(emulator.runsOf(FLOWS[0]!)).toHaveLength(1);
    expect(emulator.runsOf(FLOWS[2]!)).toHaveLength(1);
    expect(emulator.count('read')).toBe(3); // both created runs were followed to the end
    expect(lines(result.outputs['run-id'])).toEqual([
      emulator.runsOf(FLOWS[0]!)[0]!.id,
      '',
      emulator.runsOf(FLOWS[2]!)[0]!.id,
    ]);
    expect(result.outputs.status).toBe('failed');
    const runs = JSON.parse(result.outputs.runs!) as Array<{ runId: string | null; error: string | null }>;
    expect(runs[1]).toMatchObject({ runId: null, status: null });
    expect(runs[1]!.error).toMatch(/FLOW-1430-400/);
    expect(runs[0]!.error).toBeNull();
    expect(result.errors).toEqual([
      expect.stringMatching(new RegExp(`^Flow ${FLOWS[1]}: .*FLOW-1430-400`)),
      `1 of 3 flows did not succeed: ${FLOWS[1]}.`,
    ]);
    expect(result.summary).toContain('not started');
  });

  it('fails the step when one run fails while the others succeed, naming it', async () => {
    await emulate({
      [FLOWS[0]!]: { statuses: ['success'] },
      [FLOWS[1]!]: {
        statuses: ['inProgress', 'failed'],
        errors: [{ code: 'CONNECTOR-2001-500', message: 'File unreadable' }],
      },
      [FLOWS[2]!]: { statuses: ['partialSuccess'] },
    });
    const result = await e2e.run(
      baseInputs(emulator, { 'flow-id': FLOWS.join('\n'), wait: 'true', 'poll-interval': '30ms' }),
    );
    expect(result.code).toBe(1);
    expect(result.outputs.status).toBe('failed');
    expect(result.errors[0]).toMatch(
      new RegExp(`^Flow ${FLOWS[1]}: Run .* ended failed: CONNECTOR-2001-500 File unreadable`),
    );
    expect(result.errors.at(-1)).toBe(`1 of 3 flows did not succeed: ${FLOWS[1]}.`);
    expect(result.warnings).toEqual([expect.stringMatching(new RegExp(`^Flow ${FLOWS[2]}: .*partially succeeded`))]);
    expect(JSON.parse(result.outputs.runs!).map((r: { status: string }) => r.status)).toEqual([
      'success',
      'failed',
      'partialSuccess',
    ]);
  });

  it('without waiting, reports every run as scheduled', async () => {
    await emulate(Object.fromEntries(FLOWS.map((id) => [id, {}])));
    const result = await e2e.run(baseInputs(emulator, { 'flow-id': FLOWS.join(',') }));
    expect(result.code).toBe(0);
    expect(lines(result.outputs['run-id'])).toHaveLength(3);
    expect(result.outputs.status).toBe('scheduled');
    expect(emulator.count('read')).toBe(0);
  });

  it('keeps at most max-concurrency run requests in flight', async () => {
    const many = Array.from({ length: 12 }, (_, i) => `${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`);
    await emulate(Object.fromEntries(many.map((id) => [id, {}])), { createHoldMs: 60 });
    const result = await e2e.run(baseInputs(emulator, { 'flow-id': many.join('\n'), 'max-concurrency': '3' }));
    expect(result.code).toBe(0);
    expect(emulator.count('create')).toBe(12);
    expect(emulator.maxCreatesInFlight).toBe(3);
  });

  it('spreads status reads across the poll interval instead of bursting them', async () => {
    const four = [...FLOWS, '44444444-4444-4444-8444-444444444444'];
    await emulate(Object.fromEntries(four.map((id) => [id, { statuses: ['inProgress', 'inProgress', 'success'] }])));
    const result = await e2e.run(
      baseInputs(emulator, { 'flow-id': four.join(','), wait: 'true', 'poll-interval': '400ms' }),
    );
    expect(result.code).toBe(0);
    const reads = emulator.requests.filter((r) => r.route === 'read').map((r) => r.at);
    expect(reads).toHaveLength(12);
    const gaps = reads.slice(1).map((at, i) => at - reads[i]!);
    // An even spread puts 100 ms between reads; a burst would put ~0.
    expect(Math.min(...gaps)).toBeGreaterThan(50);
  });

  it.each([
    [`${FLOWS[0]}\n${FLOWS[0]!.toUpperCase()}`, /names the same dataflow more than once/],
    [`${FLOWS[0]},not-a-uuid`, /must be dataflow IDs .*got 'not-a-uuid'/],
    [' , \n ', /Input 'flow-id' is required/],
  ])('refuses %j before any request', async (flowIds, message) => {
    await emulate({});
    const result = await e2e.run(baseInputs(emulator, { 'flow-id': flowIds }));
    expect(result.code).toBe(1);
    expect(result.errors[0]).toMatch(message);
    expect(emulator.requests).toEqual([]);
  });
});
