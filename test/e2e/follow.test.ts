// Following any run (issue #9): attach to a run started elsewhere, re-trigger a failed one by hand or
// automatically with `retries`, and the link to each run in the Platform UI. Every test runs the
// bundled action against the emulator and checks it leaked nothing and printed no stray command.
import { describe, expect, it } from 'vitest';
import type { Emulator, EmulatorOptions, FlowScenario } from '../emulator/emulator.ts';
import { useEmulator } from './fixture.ts';
import { baseInputs, FLOW_ID } from './harness.ts';

const e2e = useEmulator();
let emulator: Emulator;

const OTHER_FLOW = '5b0f3c1e-9a4d-4e2b-8c6a-1d2e3f4a5b6c';

async function emulate(flow: FlowScenario = {}, options: EmulatorOptions = {}): Promise<Emulator> {
  emulator = await e2e.start({ flows: { [FLOW_ID]: { sourceType: 'file', ...flow } }, ...options });
  return emulator;
}

/** Inputs for following runs: credentials and hosts, no flow or window. */
function following(runIds: string, extra: Record<string, string> = {}): Record<string, string> {
  const inputs = baseInputs(emulator, { 'run-id': runIds, 'poll-interval': '50ms', ...extra });
  if (!('flow-id' in extra)) delete inputs['flow-id'];
  if (!('window-start' in extra)) delete inputs['window-start'];
  return inputs;
}

/** A run of the flow, made as an earlier job would: the action with no wait. */
async function startRunElsewhere(flowId = FLOW_ID): Promise<string> {
  const result = await e2e.run(baseInputs(emulator, { 'flow-id': flowId }));
  expect(result.code).toBe(0);
  return result.outputs['run-id']!;
}

/** A failed run that exists before the step, with its window in params. */
function failedRun(id: string, flowId = FLOW_ID) {
  return {
    id,
    flowId,
    createdAt: Date.now() - 600_000,
    status: 'failed',
    params: { windowStartTime: 1699913600, windowEndTime: 1700000000, startTime: 1700000000 },
  };
}

const FAILED_ID = '0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a';
const runUrl = (tenant: string, flowId: string, runId: string) =>
  `https://experience.adobe.com/#/@${tenant}/sname:prod/platform/source/dataflows/${flowId}/activity/${runId}`;

describe('attaching to a run that exists', () => {
  it('follows a running run to success, with the same outputs as a created one, and creates none', async () => {
    await emulate({ statuses: ['inProgress', 'inProgress', 'success'] });
    const runId = await startRunElsewhere();
    const before = emulator.requests.length;
    const result = await e2e.run(following(runId, { wait: 'true' }));
    expect(result.code, result.stdout).toBe(0);
    const mine = emulator.requests.slice(before);
    expect(mine.filter((r) => r.route === 'create' || r.route === 'retrigger')).toEqual([]);
    expect(emulator.runsOf(FLOW_ID)).toHaveLength(1);
    expect(result.outputs['run-id']).toBe(runId);
    expect(result.outputs.status).toBe('success');
    expect(result.outputs['run-url']).toBe(runUrl(emulator.orgId, FLOW_ID, runId));
    expect(JSON.parse(result.outputs.metrics!).recordSummary.inputRecordCount).toBe(1200);
    expect(result.stdout).toContain(`Following run ${runId} of flow ${FLOW_ID}`);
    expect(result.stdout.match(/→ success/g)).toHaveLength(1);
    const [entry] = JSON.parse(result.outputs.runs!);
    expect(entry).toMatchObject({ flowId: FLOW_ID, runId, attempts: [runId], status: 'success' });
    expect(result.summary).toContain(runId);
    expect(result.summary).toContain(runUrl(emulator.orgId, FLOW_ID, runId));
  });

  it('with wait false, reads the run once and sets the outputs', async () => {
    await emulate({ statuses: ['inProgress', 'success'] });
    const runId = await startRunElsewhere();
    const before = emulator.requests.length;
    const result = await e2e.run(following(runId));
    expect(result.code).toBe(0);
    expect(emulator.requests.slice(before).map((r) => r.route)).toEqual(['token', 'read']);
    expect(result.outputs['run-id']).toBe(runId);
    expect(result.outputs.etag).toBe(emulator.runs.get(runId)!.etag);
    expect(result.outputs.status).toBe('inProgress');
    expect(result.outputs.metrics).toBeUndefined();
  });

  it('follows several runs of different flows, one output line each, in the order given', async () => {
    emulator = await e2e.start({
      flows: { [FLOW_ID]: { statuses: ['success'] }, [OTHER_FLOW]: { statuses: ['inProgress', 'partialSuccess'] } },
    });
    const first = await startRunElsewhere(OTHER_FLOW);
    const second = await startRunElsewhere(FLOW_ID);
    const result = await e2e.run(following(`${first}\n${second}`, { wait: 'true' }));
    expect(result.code, result.stdout).toBe(0);
    expect(result.outputs['run-id']!.split('\n')).toEqual([first, second]);
    expect(result.outputs['run-url']!.split('\n')).toEqual([
      runUrl(emulator.orgId, OTHER_FLOW, first),
      runUrl(emulator.orgId, FLOW_ID, second),
    ]);
    expect(result.outputs.status).toBe('partialSuccess');
    expect(JSON.parse(result.outputs.runs!).map((r: { flowId: string }) => r.flowId)).toEqual([OTHER_FLOW, FLOW_ID]);
    expect(result.warnings.some((w) => w.includes(first) && w.includes('partially succeeded'))).toBe(true);
  });

  it('fails on an unknown run, naming the run and the sandbox searched', async () => {
    await emulate({}, { sandboxes: ['prod', 'dev'] });
    const result = await e2e.run(following(FAILED_ID, { 'sandbox-name': 'dev', wait: 'true' }));
    expect(result.code).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(
      new RegExp(`Run ${FAILED_ID} was not found in sandbox 'dev'.*'sandbox-name'.*FLOW-1431-404`),
    );
    expect(result.outputs['run-id']).toBeUndefined();
  });

  it.each([
    ['flow-id', FLOW_ID],
    ['window-start', '24h'],
    ['window-end', '1700000000'],
    ['start-time', '1700000000'],
    ['delta-column', 'DOB'],
  ])('refuses %s given with run-id, naming both, before any request', async (input, value) => {
    await emulate();
    const result = await e2e.run(following(FAILED_ID, { [input]: value }));
    expect(result.code).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(new RegExp(`Input '${input}' cannot be given with 'run-id'`));
    expect(emulator.requests).toEqual([]);
    expect(result.summary).toContain('the inputs are not right');
  });

  it("takes the runner's defaults (window-end: now, start-time: now) as not given", async () => {
    await emulate({ statuses: ['success'] });
    const runId = await startRunElsewhere();
    const result = await e2e.run(following(runId, { 'window-end': 'now', 'start-time': 'now', 'if-running': 'auto' }));
    expect(result.code, result.stdout).toBe(0);
    expect(result.outputs['run-id']).toBe(runId);
  });

  it('in a dry run, says what it would ask, in the log and the summary, and sends nothing', async () => {
    await emulate();
    const result = await e2e.run(following(FAILED_ID, { 're-trigger': 'true', 'dry-run': 'true' }));
    expect(result.code).toBe(0);
    expect(emulator.requests).toEqual([]);
    expect(result.stdout).toContain(`Run ${FAILED_ID} would be read, then re-triggered with POST`);
    expect(result.summary).toContain('Dry run: nothing was sent');
    expect(result.summary).toContain(`/runs/${FAILED_ID}/action?op=re-trigger`);
  });

  it('refuses re-trigger without run-id', async () => {
    await emulate();
    const result = await e2e.run(baseInputs(emulator, { 're-trigger': 'true' }));
    expect(result.code).toBe(1);
    expect(result.errors[0]).toMatch(/Input 're-trigger' needs 'run-id'/);
    expect(emulator.requests).toEqual([]);
  });
});

describe('re-triggering a failed run by hand', () => {
  it('re-triggers the run, follows the new one, and reports both attempts', async () => {
    await emulate({ statuses: ['inProgress', 'success'] }, { existingRuns: [failedRun(FAILED_ID)] });
    const result = await e2e.run(following(FAILED_ID, { 're-trigger': 'true', wait: 'true' }));
    expect(result.code, result.stdout).toBe(0);
    const retriggers = emulator.requests.filter((r) => r.route === 'retrigger');
    expect(retriggers).toHaveLength(1);
    expect(retriggers[0]!.path).toBe(`/data/foundation/flowservice/runs/${FAILED_ID}/action?op=re-trigger`);
    expect(retriggers[0]!.headers['content-type']).toBe('application/json');
    const fresh = emulator.runsOf(FLOW_ID).find((r) => r.id !== FAILED_ID)!;
    expect(fresh.params).toMatchObject({ windowStartTime: 1699913600, windowEndTime: 1700000000 });
    expect(result.outputs['run-id']).toBe(fresh.id);
    expect(result.outputs.status).toBe('success');
    expect(result.outputs['run-url']).toBe(runUrl(emulator.orgId, FLOW_ID, fresh.id));
    const [entry] = JSON.parse(result.outputs.runs!);
    expect(entry.attempts).toEqual([FAILED_ID, fresh.id]);
    expect(result.stdout).toContain(`Re-triggered run ${FAILED_ID}: new run ${fresh.id} (attempt 2`);
    expect(result.summary).toContain('Attempts');
    expect(result.summary).toContain(FAILED_ID);
  });

  it("fails with the service's own words when it refuses (the run did not fail)", async () => {
    await emulate({}, { existingRuns: [{ ...failedRun(FAILED_ID), status: 'success' }] });
    const result = await e2e.run(following(FAILED_ID, { 're-trigger': 'true', wait: 'true' }));
    expect(result.code).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(/could not re-trigger run .*HTTP 400 FLOW-1441-400.*only failed runs can be/);
    // A 400 may refuse the op's spelling, so the other spelling is tried once (issue #16): both refused.
    expect(emulator.count('retrigger')).toBe(2);
    expect(emulator.runsOf(FLOW_ID)).toHaveLength(1);
    // What is known stays known: the given run.
    expect(result.outputs['run-id']).toBe(FAILED_ID);
  });

  it.each(['flat', 'items', 'full'] as const)('accepts the %s re-trigger answer', async (retriggerShape) => {
    await emulate({ statuses: ['success'], retriggerShape }, { existingRuns: [failedRun(FAILED_ID)] });
    const result = await e2e.run(following(FAILED_ID, { 're-trigger': 'true' }));
    expect(result.code, result.stdout).toBe(0);
    const fresh = emulator.runsOf(FLOW_ID).find((r) => r.id !== FAILED_ID)!;
    expect(result.outputs['run-id']).toBe(fresh.id);
    expect(result.outputs.etag).toBe(fresh.etag);
  });

  it('adopts the new run when the re-trigger answer is lost after the service acted: no second run', async () => {
    await emulate({ statuses: ['inProgress', 'success'] }, { existingRuns: [failedRun(FAILED_ID)] });
    emulator.inject({ route: 'retrigger', reset: 'after' });
    const result = await e2e.run(following(FAILED_ID, { 're-trigger': 'true', wait: 'true' }));
    expect(result.code, result.stdout).toBe(0);
    expect(emulator.count('retrigger')).toBe(1);
    expect(emulator.count('list')).toBeGreaterThanOrEqual(1);
    const fresh = emulator.runsOf(FLOW_ID).filter((r) => r.id !== FAILED_ID);
    expect(fresh).toHaveLength(1);
    expect(result.outputs['run-id']).toBe(fresh[0]!.id);
    expect(result.warnings[0]).toMatch(/answer to the re-trigger of run .* was lost/);
  });

  it('does not send the re-trigger again while the service may still list the new run', async () => {
    await emulate({ statuses: ['success'] }, { existingRuns: [failedRun(FAILED_ID)], listDelayMs: 60_000 });
    emulator.inject({ route: 'retrigger', reset: 'after' });
    const result = await e2e.run(following(FAILED_ID, { 're-trigger': 'true', timeout: '3s' }));
    expect(result.code).toBe(1);
    expect(emulator.count('retrigger')).toBe(1);
    expect(emulator.runsOf(FLOW_ID).filter((r) => r.id !== FAILED_ID)).toHaveLength(1);
    expect(result.errors[0]).toMatch(/A run may exist\..*second ingestion/);
  });
});

describe('retries: re-triggering runs that end failed', () => {
  const copyFailure = [{ code: 'CONNECTOR-1001-500', message: 'Connection to the source timed out' }];

  it('re-triggers a copy failure and succeeds on the second attempt', async () => {
    await emulate({
      attempts: [{ statuses: ['inProgress', 'failed'], errors: copyFailure }, { statuses: ['inProgress', 'success'] }],
    });
    const result = await e2e.run(baseInputs(emulator, { wait: 'true', retries: '2', 'poll-interval': '50ms' }));
    expect(result.code, result.stdout).toBe(0);
    const runs = emulator.runsOf(FLOW_ID).sort((a, b) => a.createdAt - b.createdAt);
    expect(runs).toHaveLength(2);
    expect(emulator.count('create')).toBe(1);
    expect(emulator.count('retrigger')).toBe(1);
    expect(result.outputs['run-id']).toBe(runs[1]!.id);
    expect(result.outputs.status).toBe('success');
    expect(JSON.parse(result.outputs.runs!)[0].attempts).toEqual(runs.map((r) => r.id));
    // Each attempt logged once, and shown in the summary.
    expect(result.stdout.match(/Re-triggered run/g)).toHaveLength(1);
    expect(result.stdout).toContain(`Re-triggered run ${runs[0]!.id}: new run ${runs[1]!.id} (attempt 2`);
    expect(result.summary).toMatch(/Attempts \| 1\. <code>[^<]+<\/code> failed · 2\. <code>[^<]+<\/code> success/);
  });

  it('stops after the retries allowed, failing with the last attempt', async () => {
    await emulate({ statuses: ['failed'], errors: copyFailure });
    const result = await e2e.run(baseInputs(emulator, { wait: 'true', retries: '2', 'poll-interval': '50ms' }));
    expect(result.code).toBe(1);
    expect(emulator.runsOf(FLOW_ID)).toHaveLength(3);
    expect(emulator.count('retrigger')).toBe(2);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(/\(attempt 3\) ended failed: CONNECTOR-1001-500/);
    expect(JSON.parse(result.outputs.runs!)[0].attempts).toHaveLength(3);
  });

  it('does not re-trigger a run whose every error is a data error', async () => {
    await emulate({
      statuses: ['failed'],
      errors: [{ code: 'CONNECTOR-2001-500', message: 'Row 12: bad date' }],
      activityErrors: [{ code: 'MAPPER-3700-400', message: 'Mapping failed', recordCount: 3 }],
    });
    const result = await e2e.run(baseInputs(emulator, { wait: 'true', retries: '3', 'poll-interval': '50ms' }));
    expect(result.code).toBe(1);
    expect(emulator.count('retrigger')).toBe(0);
    expect(result.errors[0]).toMatch(/not re-triggered: data error/);
  });
});

describe('the run link', () => {
  it('uses ui-tenant when given, in the output, the summary and the failure message', async () => {
    await emulate({ statuses: ['failed'], errors: [{ code: 'CONNECTOR-3001-500', message: 'Batch not created' }] });
    const result = await e2e.run(baseInputs(emulator, { wait: 'true', 'ui-tenant': 'acme', 'poll-interval': '50ms' }));
    expect(result.code).toBe(1);
    const [run] = emulator.runsOf(FLOW_ID);
    const url = runUrl('acme', FLOW_ID, run!.id);
    expect(result.outputs['run-url']).toBe(url);
    expect(result.summary).toContain(url);
    expect(result.errors[0]).toContain(url);
  });

  it('uses the org ID by default, as Adobe alert links do', async () => {
    await emulate();
    const result = await e2e.run(baseInputs(emulator));
    expect(result.code).toBe(0);
    const [run] = emulator.runsOf(FLOW_ID);
    expect(result.outputs['run-url']).toBe(runUrl(emulator.orgId, FLOW_ID, run!.id));
  });

  it('refuses a ui-tenant that is not a tenant name', async () => {
    await emulate();
    const result = await e2e.run(baseInputs(emulator, { 'ui-tenant': 'acme/../evil?x=1' }));
    expect(result.code).toBe(1);
    expect(result.errors[0]).toMatch(/Input 'ui-tenant'/);
    expect(emulator.requests).toEqual([]);
  });
});
