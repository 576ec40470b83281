// The bundled action, run as the runner runs it, against the emulator: the whole story of issue #2.
import { describe, expect, it } from 'vitest';
import type { Emulator, EmulatorOptions } from '../emulator/emulator.ts';
import { useEmulator } from './fixture.ts';
import { baseInputs, FLOW_ID } from './harness.ts';

const e2e = useEmulator();
let emulator: Emulator;

async function emulate(options: EmulatorOptions = {}): Promise<Emulator> {
  emulator = await e2e.start({ flows: { [FLOW_ID]: { sourceType: 'file' } }, ...options });
  return emulator;
}

describe('creating a run', () => {
  it('starts a file-based run and sets run-id, etag and status at once', async () => {
    await emulate();
    const result = await e2e.run(
      baseInputs(emulator, { 'window-start': '2023-11-14T00:00:00Z', 'window-end': '1700000000' }),
    );
    expect(result.code).toBe(0);
    const [run] = emulator.runsOf(FLOW_ID);
    expect(run).toBeDefined();
    expect(result.outputs['run-id']).toBe(run!.id);
    expect(result.outputs.etag).toBe(run!.etag);
    expect(result.outputs.status).toBe('scheduled');
    expect(result.outputs.metrics).toBeUndefined();

    const create = emulator.requests.find((r) => r.route === 'create')!;
    const body = JSON.parse(create.body);
    expect(body).toEqual({
      flowId: FLOW_ID,
      params: { startTime: expect.any(Number), windowStartTime: 1699920000, windowEndTime: 1700000000 },
    });
    expect(Math.abs(body.params.startTime - Date.now() / 1000)).toBeLessThan(60);
    expect(create.headers['x-api-key']).toBe(emulator.clientId);
    expect(create.headers['x-gw-ims-org-id']).toBe(emulator.orgId);
    expect(create.headers['x-sandbox-name']).toBe('prod');
    expect(create.headers['content-type']).toBe('application/json');
    expect(create.headers.authorization).toBe(`Bearer ${emulator.tokensMintedList[0]}`);
    // One token, one run request: nothing more when nothing goes wrong.
    expect(emulator.requests.map((r) => r.route)).toEqual(['token', 'flow', 'create']);

    const token = emulator.requests[0]!;
    const form = new URLSearchParams(token.body);
    expect(form.get('grant_type')).toBe('client_credentials');
    expect(form.get('scope')).toBe('openid,AdobeID,read_organizations,additional_info.projectedProductContext,session');
    expect(result.masked).toEqual(expect.arrayContaining([emulator.clientSecret, emulator.tokensMintedList[0]]));

    expect(result.summary).toContain(run!.id);
    expect(result.summary).toContain('2023-11-14T00:00:00Z → 2023-11-14T22:13:20Z');
    expect(result.summary).toContain('prod');
  });

  it('sends deltaColumn for a table-based source, picked by source-type auto', async () => {
    await emulate({ flows: { [FLOW_ID]: { sourceType: 'table' } } });
    const result = await e2e.run(
      baseInputs(emulator, { 'delta-column': 'DOB', 'window-start': '1651584991', 'window-end': '1651585967' }),
    );
    expect(result.code).toBe(0);
    const body = JSON.parse(emulator.requests.find((r) => r.route === 'create')!.body);
    expect(body.params).toMatchObject({
      windowStartTime: 1651584991,
      windowEndTime: 1651585967,
      deltaColumn: { name: 'DOB' },
    });
  });

  it('uses a given access-token as-is and mints none', async () => {
    await emulate({ sandboxes: ['prod', 'dev-2'] });
    const token = emulator.issueToken();
    const inputs = baseInputs(emulator, { 'access-token': token, 'client-secret': '', 'sandbox-name': 'dev-2' });
    const result = await e2e.run(inputs);
    expect(result.code).toBe(0);
    expect(emulator.count('token')).toBe(0);
    const create = emulator.requests.find((r) => r.route === 'create')!;
    expect(create.headers.authorization).toBe(`Bearer ${token}`);
    expect(create.headers['x-sandbox-name']).toBe('dev-2');
    expect(result.masked).toContain(token);
  });

  it.each(['items', 'flat', 'full'] as const)('accepts the %s answer shape', async (createShape) => {
    await emulate({ flows: { [FLOW_ID]: { createShape } } });
    const result = await e2e.run(baseInputs(emulator));
    expect(result.code).toBe(0);
    const [run] = emulator.runsOf(FLOW_ID);
    expect(result.outputs['run-id']).toBe(run!.id);
    expect(result.outputs.etag).toBe(run!.etag);
    expect(result.outputs.status).toBe('scheduled');
  });
});

describe('waiting for the run', () => {
  it('polls to success, logs each status change once, and reports the metrics', async () => {
    await emulate({ flows: { [FLOW_ID]: { statuses: ['inProgress', 'inProgress', 'inProgress', 'success'] } } });
    const result = await e2e.run(baseInputs(emulator, { wait: 'true', 'poll-interval': '50ms' }));
    expect(result.code).toBe(0);
    expect(emulator.count('read')).toBe(4);
    expect(result.outputs.status).toBe('success');
    const metrics = JSON.parse(result.outputs.metrics!);
    expect(metrics.recordSummary.inputRecordCount).toBe(1200);
    expect(result.stdout.match(/→ inProgress/g)).toHaveLength(1);
    expect(result.stdout.match(/→ success/g)).toHaveLength(1);
    expect(result.summary).toMatch(/Records \| 1,200 in · 1,190 written · 10 failed/);
    expect(result.summary).toMatch(/Files \| 3 in · 3 written · 0 failed/);
    expect(result.summary).toMatch(/Duration \| 3m 12s/);
  });

  it.each(['SUCCESS', 'completed', 'Success'])('takes %s as success', async (final) => {
    await emulate({ flows: { [FLOW_ID]: { statuses: ['IN_PROGRESS', final] } } });
    const result = await e2e.run(baseInputs(emulator, { wait: 'true', 'poll-interval': '20ms' }));
    expect(result.code).toBe(0);
    expect(result.outputs.status).toBe(final);
  });

  it('fails the step on a failed run, with the service error codes and messages', async () => {
    const errors = [{ code: 'CONNECTOR-2001-500', message: 'Source file could not be read' }];
    const activityErrors = [{ code: 'CONNECTOR-3002-400', message: 'Column DOB missing' }];
    await emulate({ flows: { [FLOW_ID]: { statuses: ['inProgress', 'Failed'], errors, activityErrors } } });
    const result = await e2e.run(baseInputs(emulator, { wait: 'true', 'poll-interval': '20ms' }));
    expect(result.code).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toContain('CONNECTOR-2001-500 Source file could not be read');
    expect(result.errors[0]).toContain('CONNECTOR-3002-400 Column DOB missing');
    expect(result.outputs['run-id']).toBe(emulator.runsOf(FLOW_ID)[0]!.id);
    expect(result.outputs.status).toBe('Failed');
    expect(result.summary).toContain('CONNECTOR-2001-500');
  });

  it('warns on a partial success, and fails on it with fail-on-partial', async () => {
    await emulate({ flows: { [FLOW_ID]: { statuses: ['partialSuccess'] } } });
    const warned = await e2e.run(baseInputs(emulator, { wait: 'true', 'poll-interval': '20ms' }));
    expect(warned.code).toBe(0);
    expect(warned.warnings).toHaveLength(1);
    expect(warned.warnings[0]).toContain('partially succeeded');
    expect(warned.outputs.status).toBe('partialSuccess');

    const failed = await e2e.run(
      baseInputs(emulator, { wait: 'true', 'poll-interval': '20ms', 'fail-on-partial': 'TRUE' }),
    );
    expect(failed.code).toBe(1);
    expect(failed.errors[0]).toContain('fail-on-partial');
  });

  it('treats an unknown status as not finished', async () => {
    await emulate({ flows: { [FLOW_ID]: { statuses: ['QUEUED', 'somethingNew', 'PARTIAL_SUCCESS'] } } });
    const result = await e2e.run(baseInputs(emulator, { wait: 'true', 'poll-interval': '20ms' }));
    expect(emulator.count('read')).toBe(3);
    expect(result.outputs.status).toBe('PARTIAL_SUCCESS');
  });

  it('fails on timeout, saying the run goes on remotely, with its ID in the outputs', async () => {
    await emulate({ flows: { [FLOW_ID]: { statuses: ['inProgress'] } } });
    const result = await e2e.run(baseInputs(emulator, { wait: 'true', 'poll-interval': '100ms', timeout: '600ms' }));
    expect(result.code).toBe(1);
    const runId = emulator.runsOf(FLOW_ID)[0]!.id;
    expect(result.outputs['run-id']).toBe(runId);
    expect(result.outputs.status).toBe('inProgress');
    // README: after a timeout, run-id, etag, the last status, metrics and runs are all set.
    expect(result.outputs.etag).toBe(emulator.runsOf(FLOW_ID)[0]!.etag);
    expect(JSON.parse(result.outputs.metrics!)).toMatchObject({ statusSummary: { status: 'inProgress' } });
    expect(JSON.parse(result.outputs.runs!)[0]).toMatchObject({ runId, status: 'inProgress' });
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toContain(`Run ${runId} did not finish within`);
    expect(result.errors[0]).toContain('goes on in Platform');
    expect(result.ms).toBeLessThan(5000);
    expect(result.summary).toContain('timed out');
  });
});

describe('dry run', () => {
  it('validates, prints the request, and sends nothing', async () => {
    await emulate();
    const result = await e2e.run(
      baseInputs(emulator, {
        'dry-run': 'true',
        'delta-column': 'updated_at',
        'window-start': '1700000000',
        'window-end': '1700003600',
      }),
    );
    expect(result.code).toBe(0);
    expect(emulator.requests).toEqual([]);
    expect(result.stdout).toContain('"windowStartTime": 1700000000');
    expect(result.stdout).toContain('"name": "updated_at"');
    expect(result.summary).toContain('Dry run');
    expect(result.outputs['run-id']).toBeUndefined();
  });

  it('still warns about the inputs (a window end in the future)', async () => {
    await emulate();
    const future = String(Math.floor(Date.now() / 1000) + 7200);
    const result = await e2e.run(baseInputs(emulator, { 'dry-run': 'true', 'window-end': future }));
    expect(result.code).toBe(0);
    expect(emulator.requests).toEqual([]);
    expect(result.warnings).toEqual([expect.stringContaining("'window-end' is in the future")]);
  });
});

describe('bad input fails before any request, naming the input', () => {
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    [
      'a flow ID that is not a UUID',
      { 'flow-id': 'flow-123' },
      /Input 'flow-id' must be dataflow IDs \(UUIDs.*got 'flow-123'/,
    ],
    ['a missing flow ID', { 'flow-id': '' }, /Input 'flow-id' is required/],
    [
      'a window end not after its start',
      { 'window-start': '1700000000', 'window-end': '1700000000' },
      /Input 'window-end' must be after 'window-start'/,
    ],
    [
      'a time in milliseconds',
      { 'window-start': '1700000000000' },
      /Input 'window-start' is out of range.*milliseconds/,
    ],
    ["the tutorial's 11-digit typo", { 'window-end': '16515859567' }, /Input 'window-end' is out of range/],
    ['an ISO time without a zone', { 'start-time': '2023-11-14T22:13:20' }, /Input 'start-time' must be unix seconds/],
    [
      'delta-column with a file source',
      { 'delta-column': 'DOB', 'source-type': 'file' },
      /Input 'delta-column' is for table-based sources only/,
    ],
    ['neither secret nor token', { 'client-secret': '' }, /Input 'client-secret' or 'access-token' is required/],
    ['both secret and token', { 'access-token': 'abc.def' }, /'client-secret' and 'access-token' are both set/],
    ['a non-boolean wait', { wait: 'yes' }, /Input 'wait' must be true or false; got 'yes'/],
    ['an unparseable duration', { timeout: '10 minutes' }, /Input 'timeout' must be a duration/],
    ['a duration without a unit', { 'poll-interval': '30' }, /Input 'poll-interval' must be a duration.*add a unit/],
    [
      'a plain-http platform-url',
      { 'platform-url': 'http://platform.adobe.io' },
      /Input 'platform-url' must use https/,
    ],
    ['a plain-http ims-url', { 'ims-url': 'http://ims.example.com' }, /Input 'ims-url' must use https/],
    [
      'a sandbox name with a space',
      { 'sandbox-name': 'my sandbox' },
      /Input 'sandbox-name' may hold only letters, digits and hyphens/,
    ],
    ['an org ID without @AdobeOrg', { 'org-id': '0123456789ABCDEF' }, /Input 'org-id' must be an IMS organization ID/],
    ['an unknown source type', { 'source-type': 'stream' }, /Input 'source-type' must be table, file or auto/],
  ];
  it.each(cases)('%s', async (_name, override, message) => {
    await emulate();
    const result = await e2e.run(baseInputs(emulator, override));
    expect(result.code).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(message);
    expect(emulator.requests).toEqual([]);
    expect(result.outputs).toEqual({}); // README: bad input sets no output
    expect(result.summary).toContain('the inputs are not right');
  });

  it('never quotes a secret input back', async () => {
    await emulate();
    const result = await e2e.run(baseInputs(emulator, { 'access-token': 'token with spaces', 'client-secret': '' }));
    expect(result.errors[0]).toMatch(/Input 'access-token' contains characters a token cannot have$/);
  });
});

describe('service errors', () => {
  it('shows the Flow Service error code and message, and does not retry a 4xx', async () => {
    await emulate({ flows: {} });
    const result = await e2e.run(baseInputs(emulator, { preflight: 'false' }));
    expect(result.code).toBe(1);
    expect(result.errors[0]).toMatch(
      /HTTP 400 FLOW-1430-400: Bad request; Flow with id .* not found \(request ID [\w-]+\)/,
    );
    expect(emulator.count('create')).toBe(1);
    expect(result.outputs['run-id']).toBeUndefined();
    expect(result.summary).toContain('No flow run was started');
  });

  it("shows IMS's error_description for bad credentials", async () => {
    await emulate();
    const result = await e2e.run(baseInputs(emulator, { 'client-secret': 'wrong-secret' }));
    expect(result.code).toBe(1);
    expect(result.errors[0]).toContain(
      'IMS refused to issue an access token (HTTP 401): invalid_client: invalid client_id or client_secret',
    );
    expect(emulator.count('create')).toBe(0);
  });

  it("shows the gateway's error_code and message", async () => {
    await emulate({ sandboxes: ['prod'] });
    const result = await e2e.run(baseInputs(emulator, { 'sandbox-name': 'nope' }));
    expect(result.code).toBe(1);
    expect(result.errors[0]).toMatch(/HTTP 403 403027: Sandbox 'nope' is not accessible/);
  });
});
