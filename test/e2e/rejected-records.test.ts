// Issue #20: the rejected records of a run that did not end well, read from its batches' error
// diagnostics (Data Access API) by the bundled action against the emulator: each `failed-records`
// level, a failed and a partial run, diagnostics missing, Data Access refusing (403) or too slow for
// the step, a file too large, a link to another host, hostile records whose contents never leave (only
// the files written on request hold them), and the outputs already known set before a slow file is
// read. The fixture checks every run's cleanliness.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RowErrorFile } from '../emulator/data-access.ts';
import type { Emulator, FlowScenario } from '../emulator/emulator.ts';
import { useEmulator } from './fixture.ts';
import { baseInputs, FLOW_ID, parseOutputs, type ActionResult } from './harness.ts';

const B1 = '01HBATCHQ7XW3M0A9Z2K5R8T4D';
const B2 = '01HBATCHZZ9Y8X7W6V5U4T3S2R';
const DOC_MESSAGE = 'Row is corrupted and cannot be read, please fix and resend.';

const e2e = useEmulator();
let emulator: Emulator;

/** Temporary folders a test gives the action as RUNNER_TEMP (the harness's own is removed at exit). */
const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'aep-rejected-e2e-'));
  temps.push(dir);
  return dir;
}

const corrupt = (i: number) => ({
  _corrupt_record: `{missingQuotes: 'v${i}'}`,
  _errors: [{ code: '1401', message: DOC_MESSAGE }],
  _filename: 'parsing_errors_0.json',
});
const badDate = (i: number) => ({
  _corrupt_record: JSON.stringify({ id: i, birthDate: 'yesterday' }),
  _errors: [{ code: 'INGEST-1212-400', message: 'Required field birthDate is not a date' }],
});

/** A customer's record with personal data and a secret-looking token, quoted back in its own message. */
const EMAIL = 'zebulon.quartermaine@example.org';
const TOKEN = 'sk_live_9fQ2xLmT7vRb3KpW';
const HOSTILE = {
  _corrupt_record: JSON.stringify({ email: EMAIL, apiKey: TOKEN, name: 'Zebulon Quartermaine' }),
  _errors: [
    {
      code: '::error::Zebulon',
      message: `::error::value '${EMAIL}' of field email is invalid (${TOKEN}) @octocat [x](https://evil.example)\n::warning::two`,
    },
  ],
};
/** What of HOSTILE must never be told. */
const PERSONAL = [EMAIL, 'zebulon', 'quartermaine', TOKEN, 'sk_live', 'octocat', 'missingQuotes', 'yesterday'];

const lines = (name: string, rows: Array<Record<string, unknown>>, more: Partial<RowErrorFile> = {}): RowErrorFile => ({
  name,
  rows,
  ...more,
});

/** Two batches of three files each: 9 rejected records (5 × 1401, 3 × INGEST-1212-400, 1 hostile). */
const TWO_BATCHES: FlowScenario['rowErrors'] = {
  [B1]: {
    files: [
      lines('conversion_errors_0.json', [corrupt(1), corrupt(2)]),
      lines('conversion_errors_1.json', [corrupt(3), badDate(1)], { format: 'array' }),
      lines('parsing_errors_0.json', [HOSTILE]),
    ],
  },
  [B2]: {
    pageSize: 2,
    files: [
      lines('conversion_errors_0.json', [corrupt(4)]),
      lines('conversion_errors_1.json', [badDate(2), badDate(3)]),
      lines('parsing_errors_0.json', [corrupt(5)]),
    ],
  },
};

const failedRun = (more: Partial<FlowScenario> = {}): FlowScenario => ({
  statuses: ['inProgress', 'failed'],
  errors: [{ code: 'CONNECTOR-2001-500', message: 'Processing the copied data failed' }],
  batchIds: [B1, B2],
  records: { input: 100, created: 91, failed: 9 },
  rowErrors: TWO_BATCHES,
  ...more,
});

const partialRun = (more: Partial<FlowScenario> = {}): FlowScenario => ({
  statuses: ['inProgress', 'partialSuccess'],
  batchIds: [B1],
  records: { input: 100, created: 97, failed: 3 },
  ...more,
});

async function emulate(scenario: FlowScenario): Promise<Emulator> {
  emulator = await e2e.start({ flows: { [FLOW_ID]: scenario } });
  return emulator;
}

const waiting = (extra: Record<string, string> = {}) =>
  baseInputs(emulator, { wait: 'true', 'poll-interval': '20ms', ...extra });

const dataAccess = () => emulator.requests.filter((r) => r.route === 'errorList' || r.route === 'errorFile');

/** Everything a reader of the job sees: log (debug lines included), stderr, outputs, summary. */
const told = (result: ActionResult, outputs = result.outputs) =>
  [result.stdout, result.stderr, JSON.stringify(outputs), result.summary].join('\n').toLowerCase();

function expectNothingPersonal(result: ActionResult, outputs?: Record<string, string>): void {
  const text = told(result, outputs);
  for (const word of PERSONAL) expect(text, `'${word}' was told`).not.toContain(word.toLowerCase());
}

/** Every file under a folder, by its path relative to it. */
function filesUnder(dir: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name);
      found.set(path.slice(dir.length + 1), readFileSync(path, 'utf8'));
    }
  }
  return found;
}

describe('failed-records: codes (the default)', () => {
  it('counts a failed run’s row errors by code beside its own errors, with advice, and writes nothing', async () => {
    await emulate(failedRun());
    const runnerTemp = tempDir();
    const result = await e2e.run(waiting(), { env: { RUNNER_TEMP: runnerTemp } });
    expect(result.code).toBe(1);
    const runId = emulator.runsOf(FLOW_ID)[0]!.id;

    expect(result.errors).toHaveLength(1);
    const error = result.errors[0]!;
    expect(error).toMatch(new RegExp(`^Run ${runId} of flow ${FLOW_ID} ended failed: CONNECTOR-2001-500 `));
    expect(error).toContain(`Row errors: 1401 ${DOC_MESSAGE} (5 records), INGEST-1212-400`);
    expect(error).toContain('(3 records)');

    expect(result.summary).toContain('**Rejected records (row errors in the error diagnostics)**');
    expect(result.summary).toContain(`- <code>1401</code> ${DOC_MESSAGE}: 5 records`);
    expect(result.summary).toContain('9 rejected records counted in 6 files');
    expect(result.summary).toContain('their contents are not shown (they may hold personal data)');
    // The run's own errors stay, beside them.
    expect(result.summary).toContain('**Errors reported by the service**');

    // Both batches listed (B2 in two pages), every file read; nothing written, no output for files.
    expect(dataAccess().map((r) => r.route)).toEqual([
      'errorList',
      ...Array(3).fill('errorFile'),
      'errorList',
      'errorList',
      ...Array(3).fill('errorFile'),
    ]);
    expect(result.outputs['failed-records-dir']).toBeUndefined();
    expect(readdirSync(runnerTemp)).toEqual([]);
    expect(result.stdout).toContain(`Rejected records of run ${runId}: 9 counted in 6 of 6 row-error files`);
    expectNothingPersonal(result);
  });

  it('reads a partial success’s row errors into its warning; the step still succeeds', async () => {
    await emulate(
      partialRun({ rowErrors: { [B1]: { files: [lines('e.json', [corrupt(1), badDate(1), corrupt(2)])] } } }),
    );
    const result = await e2e.run(waiting());
    expect(result.code).toBe(0);
    expect(result.outputs.status).toBe('partialSuccess');
    expect(result.errors).toEqual([]);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toContain(`Row errors: 1401 ${DOC_MESSAGE} (2 records), INGEST-1212-400`);
    expect(result.summary).toContain(
      '3 rejected records counted in 1 file of batch <code>01HBATCHQ7XW3M0A9Z2K5R8T4D</code>',
    );
  });

  it('reads the row errors of a run that succeeded but broke a record gate (issue #19)', async () => {
    await emulate({
      statuses: ['inProgress', 'success'],
      batchIds: [B1],
      records: { input: 100, created: 97, failed: 3 },
      rowErrors: { [B1]: { files: [lines('e.json', [corrupt(1), badDate(1), corrupt(2)])] } },
    });
    const result = await e2e.run(waiting({ 'max-failed-records': '1%' }));
    expect(result.code).toBe(1);
    expect(result.outputs.status).toBe('success');
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toContain("'max-failed-records'");
    expect(result.errors[0]).toContain(`Row errors: 1401 ${DOC_MESSAGE} (2 records), INGEST-1212-400`);
    expect(dataAccess()).toHaveLength(2); // the listing, then the one file
    expectNothingPersonal(result);
  });

  it('reads nothing for a run that succeeded', async () => {
    await emulate({ statuses: ['inProgress', 'success'], batchIds: [B1], rowErrors: TWO_BATCHES });
    const result = await e2e.run(waiting());
    expect(result.code).toBe(0);
    expect(dataAccess()).toEqual([]);
  });
});

describe('failed-records: none', () => {
  it('sends no Data Access request, and the step is told as before', async () => {
    await emulate(failedRun());
    const result = await e2e.run(waiting({ 'failed-records': 'none' }));
    expect(result.code).toBe(1);
    expect(dataAccess()).toEqual([]);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).not.toContain('Row errors');
    expect(result.summary).not.toContain('Rejected records');
  });
});

describe('failed-records: files', () => {
  it('writes every row-error file as served, one folder per run and batch, and sets failed-records-dir', async () => {
    await emulate(failedRun());
    const runnerTemp = tempDir();
    const result = await e2e.run(waiting({ 'failed-records': 'files' }), { env: { RUNNER_TEMP: runnerTemp } });
    expect(result.code).toBe(1);
    const runId = emulator.runsOf(FLOW_ID)[0]!.id;
    const dir = join(runnerTemp, 'aep-failed-records');
    expect(result.outputs['failed-records-dir']).toBe(dir);

    const written = filesUnder(dir);
    expect([...written.keys()].sort()).toEqual(
      [B1, B2].flatMap((b) =>
        ['conversion_errors_0.json', 'conversion_errors_1.json', 'parsing_errors_0.json'].map((f) => join(runId, b, f)),
      ),
    );
    // As Adobe serves them: JSON lines or one array, the hostile record's contents included.
    expect(written.get(join(runId, B1, 'conversion_errors_1.json'))).toBe(JSON.stringify([corrupt(3), badDate(1)]));
    expect(written.get(join(runId, B1, 'parsing_errors_0.json'))).toBe(`${JSON.stringify(HOSTILE)}\n`);
    // Owner-only: the files hold the customer's records.
    expect(statSync(join(dir, runId, B1, 'parsing_errors_0.json')).mode & 0o077).toBe(0);

    expect(result.summary).toContain('6 row-error files');
    expect(result.summary).toContain('for `actions/upload-artifact`');
    // The files hold the records; nothing else does.
    expectNothingPersonal(result);

    // Requests at the floor: one per listing page (3), one per file (6). Time lives in the bench.
    expect(dataAccess()).toHaveLength(9);
  });
});

describe('what the diagnostics cannot do: change the step’s outcome', () => {
  it('diagnostics missing (404): one line saying how to turn them on, no warning, outcome unchanged', async () => {
    await emulate(partialRun({ rowErrors: undefined }));
    const result = await e2e.run(waiting());
    expect(result.code).toBe(0);
    expect(dataAccess().map((r) => [r.route, r.status])).toEqual([['errorList', 404]]);
    // The partial success's own warning, and no other.
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toContain('Row errors not available');
    expect(result.summary).toContain(
      "To see why records were rejected, turn on the dataflow's error diagnostics (partial ingestion in the Platform UI",
    );
    expect(result.summary).toContain('<code>options.errorDiagnosticsEnabled</code>');

    // A failed run fails the same way with or without diagnostics.
    await emulate(failedRun({ rowErrors: undefined }));
    const failed = await e2e.run(waiting());
    const without = await e2e.run(waiting({ 'failed-records': 'none' }));
    expect([failed.code, without.code]).toEqual([1, 1]);
    expect(failed.warnings).toEqual(without.warnings);
    // The same error, the line about diagnostics added after it.
    const cause = (error: string) => error.replace(/^Run \S+ /, '').replace(/ See the run in Platform: .*$/s, '');
    expect(cause(failed.errors[0]!)).toBe(cause(without.errors[0]!));
    expect(failed.errors[0]).toMatch(
      / Row errors not available \(.*HTTP 404.*\); turn on the dataflow's error diagnostics/,
    );
  });

  it('Data Access refusing the credential (403): one warning naming the permission, outcome unchanged', async () => {
    await emulate(partialRun({ rowErrors: TWO_BATCHES }));
    emulator.inject({ route: 'errorList', status: 403, body: '{"error_code":"403003","message":"Forbidden"}' });
    const result = await e2e.run(waiting());
    expect(result.code).toBe(0);
    expect(dataAccess().map((r) => [r.route, r.status])).toEqual([['errorList', 403]]);
    expect(result.errors).toEqual([]);
    // The partial success's own warning, and one about the records it could not read.
    expect(result.warnings).toHaveLength(2);
    expect(result.warnings[0]).toContain(
      'the row-error list of batch 01HBATCHQ7XW3M0A9Z2K5R8T4D: refused (HTTP 403: the credential may not read Data Access)',
    );
    expect(result.warnings[0]).toContain("The step's outcome does not depend on it.");
    expect(result.warnings[1]).toContain('partially succeeded; 3 records failed');
    expect(result.summary).toContain(
      'Not shown: the row-error list of batch 01HBATCHQ7XW3M0A9Z2K5R8T4D: refused (HTTP 403',
    );
  });

  it('Data Access too slow for the step: the reads end at its timeout, told as such, outcome unchanged', async () => {
    await emulate(partialRun({ batchIds: [B1, B2], rowErrors: TWO_BATCHES }));
    emulator.inject({ route: 'errorList', delayMs: 10_000, times: 20 });
    const result = await e2e.run(waiting({ 'request-timeout': '300ms', timeout: '3s' }));
    // A partial success stays a success: the step's timeout cut short only the reads it did not need.
    expect(result.code).toBe(0);
    expect(result.ms).toBeLessThan(8000);
    expect(result.outputs.status).toBe('partialSuccess');
    expect(result.errors).toEqual([]);
    expect(result.warnings[0]).toMatch(/^Not every rejected record of run \S+ could be read: /);
    expect(result.warnings[0]).toContain('UND_ERR_HEADERS_TIMEOUT');
    expect(result.summary).toMatch(/Not shown: the row-error list of batch 01HBATCH\w+ could not be read: .*timeout/i);
    expect(dataAccess().every((r) => r.route === 'errorList')).toBe(true);
  });

  it('a file too large is left out with one warning; the others are counted', async () => {
    await emulate(
      failedRun({
        batchIds: [B1],
        rowErrors: {
          [B1]: {
            files: [
              lines('conversion_errors_0.json', [corrupt(1)]),
              // Listed small, served past the 10 MiB a file may take to be counted: the limit holds while reading.
              lines('conversion_errors_1.json', [corrupt(2)], { padToBytes: 11 * 1024 * 1024, listedLength: '100' }),
            ],
          },
        },
      }),
    );
    const result = await e2e.run(waiting());
    expect(result.code).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toContain(`Row errors: 1401 ${DOC_MESSAGE} (1 record)`);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toContain(
      'conversion_errors_1.json of batch 01HBATCHQ7XW3M0A9Z2K5R8T4D is larger than 10 MiB',
    );
    expect(result.summary).toContain('Not shown: conversion&#95;errors&#95;1.json');
  });

  it('a file linked on another host is not read: no request, so no token, goes there', async () => {
    await emulate(
      failedRun({
        batchIds: [B1],
        rowErrors: {
          [B1]: {
            files: [
              lines('conversion_errors_0.json', [corrupt(1)]),
              lines('elsewhere.json', [corrupt(2)], { elsewhere: true }),
            ],
          },
        },
      }),
    );
    const result = await e2e.run(waiting({ 'failed-records': 'files' }), { env: { RUNNER_TEMP: tempDir() } });
    expect(result.code).toBe(1);
    expect(emulator.dataAccess.foreignRequests).toEqual([]);
    expect(dataAccess().map((r) => r.route)).toEqual(['errorList', 'errorFile']);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toContain(
      'elsewhere.json of batch 01HBATCHQ7XW3M0A9Z2K5R8T4D is linked on another host',
    );
    expect(result.errors[0]).toContain('(1 record)');
  });
});

describe('several flows', () => {
  it('reads only the flows that did not end well, each told in its own group and summary section', async () => {
    const OTHER = '22222222-2222-4222-8222-222222222222';
    emulator = await e2e.start({
      flows: {
        [FLOW_ID]: failedRun({ batchIds: [B1], rowErrors: { [B1]: TWO_BATCHES[B1]! } }),
        [OTHER]: { statuses: ['inProgress', 'success'], batchIds: [B2], rowErrors: { [B2]: TWO_BATCHES[B2]! } },
      },
    });
    const result = await e2e.run(waiting({ 'flow-id': `${FLOW_ID}\n${OTHER}` }));
    expect(result.code).toBe(1);
    // Only the failed flow's batch is read.
    expect(dataAccess().every((r) => r.path.includes(B1))).toBe(true);
    expect(dataAccess()).toHaveLength(4);
    expect(result.errors).toHaveLength(2);
    expect(result.errors[0]).toMatch(
      new RegExp(`^Flow ${FLOW_ID}: Run .* Row errors: 1401 ${DOC_MESSAGE} \\(3 records\\)`),
    );
    const section = result.summary.slice(result.summary.indexOf(`#### ❌ Flow <code>${FLOW_ID}</code>`));
    expect(section).toContain('**Rejected records (row errors in the error diagnostics)**');
    expect(section).toContain('5 rejected records counted in 3 files');
    expect(result.stdout).toMatch(/::group::Flow 3abea21c[^\n]*\n(?:[^\n]*\n)*?Rejected records of run \S+: 5 counted/);
    expectNothingPersonal(result);
  });
});

describe('outputs come first', () => {
  it('a slow row-error file does not delay the outputs already known', async () => {
    await emulate(
      failedRun({
        batchIds: [B1],
        rowErrors: { [B1]: { files: [lines('slow.json', [corrupt(1)], { delayMs: 1500 })] } },
      }),
    );
    const outputFile = join(tempDir(), 'output');
    writeFileSync(outputFile, '');
    // What GITHUB_OUTPUT held when the slow file was asked for.
    let atFileRequest: Record<string, string> | undefined;
    const watch = setInterval(() => {
      if (atFileRequest === undefined && emulator.requests.some((r) => r.route === 'errorFile')) {
        atFileRequest = parseOutputs(readFileSync(outputFile, 'utf8'));
      }
    }, 10);
    let result: ActionResult;
    try {
      result = await e2e.run(waiting(), { env: { GITHUB_OUTPUT: outputFile } });
    } finally {
      clearInterval(watch);
    }
    expect(result.code).toBe(1);
    expect(atFileRequest).toMatchObject({ status: 'failed', 'run-id': emulator.runsOf(FLOW_ID)[0]!.id });
    expect(JSON.parse(atFileRequest!.metrics!)).toMatchObject({ recordSummary: { failedRecordCount: 9 } });
    const final = parseOutputs(readFileSync(outputFile, 'utf8'));
    // The runs output is set again once the row errors are known: its error names them.
    expect(JSON.parse(final.runs!)[0].error).toContain('Row errors: 1401');
    expectNothingPersonal(result, final);
  });
});
