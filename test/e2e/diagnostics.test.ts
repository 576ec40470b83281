// Issue #12: what a user reads when something goes wrong, from the bundled action run as the runner
// runs it against the emulator: a failed run's every fact and the advice for its error class, a
// partial success's failed records, hostile service text kept inert, the visible retry line, the
// summary of bad inputs, and the input checks that catch a likely mistake.
import { describe, expect, it } from 'vitest';
import type { Emulator, EmulatorOptions, FlowScenario } from '../emulator/emulator.ts';
import { useEmulator } from './fixture.ts';
import { baseInputs, FLOW_ID } from './harness.ts';

const OTHER_FLOW = '22222222-2222-4222-8222-222222222222';
const BATCH = '01HBATCHQ7XW3M0A9Z2K5R8T4D';

const e2e = useEmulator();
let emulator: Emulator;

async function emulate(scenario: FlowScenario, options: EmulatorOptions = {}): Promise<Emulator> {
  emulator = await e2e.start({ flows: { [FLOW_ID]: scenario }, ...options });
  return emulator;
}

const waiting = (extra: Record<string, string> = {}) =>
  baseInputs(emulator, { wait: 'true', 'poll-interval': '20ms', ...extra });

/** The addresses the emulator's manifest gives for a batch's failed records. */
const filesOf = (batch: string) => {
  const meta = `${emulator.url}/data/foundation/export/batches/${batch}/meta`;
  return { failedRecords: `${meta}?path=row_errors`, sampleErrors: `${meta}?path=row_errors_sample` };
};

describe('a failed run', () => {
  it('shows every error, failed record, count, batch and failed-record file, in the error and the summary', async () => {
    await emulate({
      statuses: ['inProgress', 'failed'],
      errors: [{ code: 'CONNECTOR-1001-500', message: 'Could not reach the source' }],
      activityErrors: [
        { code: 'MAPPER-3700-400', message: 'DOB is not a date', recordCount: 12 },
        { code: 'INGEST-1212-400', message: 'Required field missing', recordCount: 3 },
      ],
      failedInfo: [{ code: 'INGEST-1401-400', message: 'Row too large' }],
      batchIds: [BATCH],
      manifest: true,
      records: { input: 1000, created: 985, failed: 15 },
      files: { input: 3, output: 2, failed: 1 },
    });
    const result = await e2e.run(waiting());
    expect(result.code).toBe(1);
    const runId = emulator.runsOf(FLOW_ID)[0]!.id;
    const files = filesOf(BATCH);

    expect(result.errors).toHaveLength(1);
    const error = result.errors[0]!;
    expect(error).toMatch(new RegExp(`^Run ${runId} of flow ${FLOW_ID} ended failed: `));
    for (const part of [
      'CONNECTOR-1001-500 Could not reach the source',
      'MAPPER-3700-400 DOB is not a date (12 records)',
      'INGEST-1212-400 Required field missing (3 records)',
      '15 of 1000 records failed',
      '1 of 3 files failed',
      'failed records: INGEST-1401-400 Row too large',
      `batches ${BATCH}`,
      `failedRecords: ${files.failedRecords}`,
      `sampleErrors: ${files.sampleErrors}`,
      "CONNECTOR-1001-500 means copying from the source failed: check the source connection and its credentials; another try may succeed (see 'retries')",
      'MAPPER-3700-400, INGEST-1212-400 and INGEST-1401-400 mean processing the data failed: fix the data or the mapping; another try fails the same way',
      `See the run in Platform: https://experience.adobe.com/#/@${emulator.orgId}/sname:prod/platform/source/dataflows/${FLOW_ID}/activity/${runId}`,
    ]) {
      expect(error).toContain(part);
    }

    const summary = result.summary;
    expect(summary).toMatch(/^### ❌ Flow run failed\n/);
    expect(summary).toContain('| Records | 1,000 in · 985 written · 15 failed |');
    expect(summary).toContain('| Files | 3 in · 2 written · 1 failed |');
    expect(summary).toContain('**Why the step failed:** the run failed.');
    expect(summary).toContain(
      [
        '**Errors reported by the service**',
        '',
        '- <code>CONNECTOR-1001-500</code> Could not reach the source',
        '- <code>MAPPER-3700-400</code> DOB is not a date (12 records)',
        '- <code>INGEST-1212-400</code> Required field missing (3 records)',
        '',
        '**What to do**',
        '',
        "- <code>CONNECTOR-1001-500</code> means copying from the source failed: check the source connection and its credentials; another try may succeed (see 'retries').",
        '- <code>MAPPER-3700-400</code>, <code>INGEST-1212-400</code>, <code>INGEST-1401-400</code> mean processing the data failed: fix the data or the mapping; another try fails the same way.',
        '',
        '**Errors in the failed records**',
        '',
        '- <code>INGEST-1401-400</code> Row too large',
        '',
        '**Batches**',
        '',
        `- <code>${BATCH}</code>`,
        '',
        '**Failed-record files (Data Access API)**',
        '',
        `- failed records: \`${files.failedRecords}\``,
        `- sample errors: \`${files.sampleErrors}\``,
      ].join('\n'),
    );
  });

  it.each([
    ['CONNECTOR-1001-500', /copying from the source failed: check the source connection and its credentials/],
    ['CONNECTOR-2001-500', /processing the data failed: fix the data or the mapping; another try fails the same way/],
    ['MAPPER-3700-400', /processing the data failed: fix the data or the mapping; another try fails the same way/],
    ['INGEST-1212-400', /processing the data failed: fix the data or the mapping; another try fails the same way/],
    ['CONNECTOR-3001-500', /the batch could not be created in Platform: check the target dataset/],
  ])('advises on %s, once, in the error and the summary', async (code, advice) => {
    await emulate({ statuses: ['failed'], errors: [{ code, message: 'Something went wrong' }] });
    const result = await e2e.run(waiting());
    expect(result.code).toBe(1);
    const error = result.errors[0]!;
    expect(error).toContain(`${code} Something went wrong`);
    expect(error).toMatch(new RegExp(`${code} means ${advice.source}`));
    expect(error.match(/ means /g)).toHaveLength(1);
    expect(result.summary).toMatch(
      new RegExp(`\\*\\*What to do\\*\\*\\n\\n- <code>${code}</code> means ${advice.source}`),
    );
    expect(result.summary.match(/ means /g)).toHaveLength(1);
  });

  it("does not re-trigger a run whose every error is a data error, whatever 'retries' says", async () => {
    await emulate({ statuses: ['failed'], activityErrors: [{ code: 'MAPPER-3700-400', message: 'Bad DOB' }] });
    const result = await e2e.run(waiting({ retries: '2' }));
    expect(result.code).toBe(1);
    expect(emulator.count('retrigger')).toBe(0);
    expect(result.errors[0]).toContain('; not re-triggered: data error (another try would fail the same way).');
    expect(result.summary).toContain('it was not re-triggered: data error');
  });

  it("re-triggers a run that failed copying from the source, as 'retries' allows", async () => {
    await emulate({ statuses: ['failed'], errors: [{ code: 'CONNECTOR-1001-500', message: 'Timed out' }] });
    const result = await e2e.run(waiting({ retries: '1' }));
    expect(result.code).toBe(1);
    expect(emulator.count('retrigger')).toBe(1);
    expect(result.errors[0]).toMatch(/ \(attempt 2\) ended failed: CONNECTOR-1001-500 Timed out/);
  });

  it('gives no advice for a code Adobe does not document', async () => {
    await emulate({ statuses: ['failed'], errors: [{ code: 'CONNECTOR-9999-500', message: 'Something new' }] });
    const result = await e2e.run(waiting());
    expect(result.code).toBe(1);
    expect(result.errors[0]).toContain('CONNECTOR-9999-500 Something new');
    expect(result.errors[0]).not.toContain(' means ');
    expect(result.summary).toContain('- <code>CONNECTOR-9999-500</code> Something new');
    expect(result.summary).not.toContain('What to do');
  });
});

describe('a partial success', () => {
  it('warns with how many records failed and the sample link, and the summary shows the files', async () => {
    await emulate({ statuses: ['partialSuccess'], manifest: true, records: { input: 1000, created: 990, failed: 10 } });
    const result = await e2e.run(waiting());
    expect(result.code).toBe(0);
    expect(result.errors).toEqual([]);
    const runId = emulator.runsOf(FLOW_ID)[0]!.id;
    const batch = emulator.runsOf(FLOW_ID)[0]!.id.replaceAll('-', '').toUpperCase().slice(0, 26);
    const files = filesOf(batch);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toBe(
      `Run ${runId} of flow ${FLOW_ID} partially succeeded; 10 records failed (sample: ${files.failedRecords}). ` +
        `See the run in Platform: https://experience.adobe.com/#/@${emulator.orgId}/sname:prod/platform/source/dataflows/${FLOW_ID}/activity/${runId}` +
        // `failed-records: codes` (the default) read the batch's row errors: this flow keeps no diagnostics (#20).
        ` Row errors not available (the row-error list of batch ${batch}: none (HTTP 404: error diagnostics off for the run, or older than 30 days)); ` +
        "turn on the dataflow's error diagnostics (partial ingestion in the Platform UI, or options.errorDiagnosticsEnabled with PATCH /flows/{id}): they apply to runs after that, and are kept 30 days.",
    );
    expect(result.summary).toMatch(/^### ⚠️ Flow run partially succeeded\n/);
    expect(result.summary).toContain('**Warning:** the run partially succeeded: 10 of 1,000 records failed.');
    expect(result.summary).toContain(`- failed records: \`${files.failedRecords}\``);
  });
});

describe('hostile text from the service', () => {
  const hostile = '::error::x ##[error]y\r\n::warning::z\u2028w <script>alert(1)</script> a|b';

  it.each([
    ['one flow', [FLOW_ID]],
    ['several flows', [FLOW_ID, OTHER_FLOW]],
  ])('stays inert in the error annotation and the summary (%s)', async (_name, flows) => {
    const scenario: FlowScenario = {
      statuses: ['failed'],
      errors: [{ code: 'CONNECTOR-1001-500', message: hostile }],
      activityErrors: [{ code: 'MAPPER-3700-400', message: hostile, recordCount: 1 }],
      failedInfo: [{ code: 'INGEST-1212-400', message: hostile }],
    };
    emulator = await e2e.start({ flows: Object.fromEntries(flows.map((f) => [f, scenario])) });
    const result = await e2e.run(waiting({ 'flow-id': flows.join('\n') }));
    expect(result.code).toBe(1);

    // The runner reads `::` at a line's start, and `##[` anywhere: neither reaches it from the service.
    expect(result.stdout).not.toContain('##[');
    expect(result.stdout).not.toMatch(/\u2028|\r/);
    // One annotation per flow (and with several, one more that fails the step), each on one line.
    expect(result.errors).toHaveLength(flows.length === 1 ? 1 : flows.length + 1);
    for (const error of result.errors) expect(error).not.toMatch(/[\r\n\u2028]/);
    for (const flow of flows) {
      const error = result.errors.find((e) => e.includes(flow))!;
      expect(error).toContain(
        'CONNECTOR-1001-500 : :error::x ## [error]y ::warning::z w <script>alert(1)</script> a|b;',
      );
      expect(error).toContain(
        'MAPPER-3700-400 : :error::x ## [error]y ::warning::z w <script>alert(1)</script> a|b (1 record)',
      );
      expect(error).toContain('failed records: INGEST-1212-400 : :error::x ## [error]y');
    }
    expect(result.warnings).toEqual([]);

    // The summary is Markdown and HTML: no tag, no table cell break, no line break from the service.
    const summary = result.summary;
    expect(summary).not.toMatch(/<script|\u2028|\r|##\[/);
    expect(summary).not.toContain('a|b');
    const told = summary.split('\n').filter((l) => l.includes('alert'));
    expect(told.length).toBeGreaterThanOrEqual(3 * flows.length);
    for (const line of told) {
      expect(line).toContain(
        ': :error::x ## &#91;error]y ::warning::z w &lt;script&gt;alert(1)&lt;/script&gt; a&#124;b',
      );
    }
  });
});

describe('a retry is a line the user sees', () => {
  it('says what the service answered and when the action tries again, as an info line, not a debug one', async () => {
    await emulate({ statuses: ['inProgress', 'success'] });
    emulator.inject({ route: 'read', status: 503, headers: { 'retry-after': '0' } });
    const result = await e2e.run(waiting());
    expect(result.code).toBe(0);
    const runId = emulator.runsOf(FLOW_ID)[0]!.id;
    const line = `GET /data/foundation/flowservice/runs/${runId} answered HTTP 503; retrying in 0 ms (retry 1)`;
    expect(result.stdout.split('\n')).toContain(line);
    expect(result.stdout).not.toMatch(/^::debug::.*retrying/m);
  });
});

describe('bad inputs', () => {
  it('write a summary naming each bad input, and send no request', async () => {
    await emulate({});
    const result = await e2e.run(baseInputs(emulator, { 'flow-id': 'flow-123', wait: 'maybe' }));
    expect(result.code).toBe(1);
    expect(emulator.requests).toEqual([]);
    expect(result.summary).toMatch(/^### ❌ No flow run was started: the inputs are not right\n/);
    expect(result.summary).toContain("- Input 'flow-id' must be dataflow IDs");
    expect(result.summary).toContain("- Input 'wait' must be true or false; got 'maybe'");
    expect(result.summary).toContain('Nothing was sent to Adobe.');
  });

  it("refuse a 'platform-url' that holds the Flow Service path, naming platform-url", async () => {
    await emulate({});
    const result = await e2e.run(
      baseInputs(emulator, { 'platform-url': `${emulator.url}/data/foundation/flowservice` }),
    );
    expect(result.code).toBe(1);
    expect(emulator.requests).toEqual([]);
    expect(result.errors).toEqual([
      "Input 'platform-url' must be the host only, such as https://platform.adobe.io: the action adds '/data/foundation/flowservice' itself",
    ]);
    expect(result.summary).toContain("- Input 'platform-url' must be the host only");
  });
});

describe('input checks that warn and go on', () => {
  it("warns when 'window-end' is in the future, and starts the run", async () => {
    await emulate({});
    const end = new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const result = await e2e.run(baseInputs(emulator, { 'window-end': end, 'window-start': '1h' }));
    expect(result.code).toBe(0);
    expect(emulator.count('create')).toBe(1);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(/^'window-end' is in the future \(.+\): the run only ingests data that exists/);
  });

  it("warns when 'poll-interval' is longer than 'timeout', and reads the run once, before the timeout", async () => {
    await emulate({ statuses: ['success'] });
    const result = await e2e.run(waiting({ 'poll-interval': '5s', timeout: '1500ms' }));
    expect(result.warnings).toEqual([
      "'poll-interval' (5s) is longer than 'timeout' (1.5s): the run is read only once, at the timeout.",
    ]);
    expect(result.code).toBe(0);
    expect(emulator.count('read')).toBe(1);
    expect(result.outputs.status).toBe('success');
  });
});
