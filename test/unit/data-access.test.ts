// data-access.ts against the emulator, through the real HttpClient (undici, retries, deadline) and the
// platformGet adapter: each level, diagnostics missing, limits kept while reading, links to another
// host never followed, and no record contents in anything meant for the log or the summary.
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Run } from '../../src/answers.ts';
import {
  DataAccess,
  platformGet,
  TURN_ON,
  type DataAccessOptions,
  type RejectedRecords,
} from '../../src/data-access.ts';
import { HttpClient } from '../../src/http.ts';
import { AuthError, type TokenSource } from '../../src/ims.ts';
import { rejectedLine, renderRejected, unavailable } from '../../src/rejected-summary.ts';
import { Transport } from '../../src/transport.ts';
import type { RowErrorBatch, RowErrorFile } from '../emulator/data-access.ts';
import { startEmulator, type Emulator, type EmulatorOptions } from '../emulator/emulator.ts';

const FLOW = '3abea21c-7e36-4be1-bec1-d3bad0e3e0de';
const RUN = 'a6d3bd95-4ef0-4a8e-b5a1-6aa4e8f5c0a1';
const B1 = '01HBATCHONE00000000000000A';
const B2 = '01HBATCHTWO00000000000000B';

const DOC_MESSAGE = 'Row is corrupted and cannot be read, please fix and resend.';
const corrupt = (i: number) => ({
  _corrupt_record: `{missingQuotes: 'v${i}'}`,
  _errors: [{ code: '1401', message: DOC_MESSAGE }],
  _filename: 'parsing_errors_0.json',
});
const badDate = (name: string) => ({
  _corrupt_record: JSON.stringify({ name, birthDate: 'yesterday' }),
  _errors: [{ code: 'INGEST-1212-400', message: `Value '${name}' of field name could not be mapped` }],
});

/** A hostile record: personal data, echoed in its message next to commands, mentions, links and HTML. */
const HOSTILE = {
  _corrupt_record: JSON.stringify({
    email: 'zebulon.q@example.com',
    name: 'Zebulon Quartermaine',
    card: '4111111111111111',
  }),
  _errors: [
    {
      code: '::error::Zebulon',
      message:
        '::error::leak Zebulon Quartermaine <script>alert(1)</script> @octocat [x](https://evil.example) 4111111111111111 zebulon.q@example.com\n::warning::two',
    },
  ],
};
const PERSONAL = [
  'Zebulon',
  'Quartermaine',
  'zebulon.q',
  'example.com',
  '4111',
  'missingQuotes',
  'yesterday',
  'octocat',
];

interface Setup {
  emulator: Emulator;
  access: (options?: Partial<DataAccessOptions>) => DataAccess;
  run: (batchIds: string[], sampleLinks?: Run['diagnostics']['sampleLinks']) => Pick<Run, 'id' | 'diagnostics'>;
  logs: string[];
}

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

async function setup(
  rowErrors: Record<string, RowErrorBatch>,
  options: { emulator?: EmulatorOptions; requestTimeoutMs?: number; deadlineMs?: number; tokens?: TokenSource } = {},
): Promise<Setup> {
  const emulator = await startEmulator({ ...options.emulator, flows: { [FLOW]: { rowErrors } } });
  cleanup.push(() => emulator.close());
  const logs: string[] = [];
  const http = new HttpClient({
    requestTimeoutMs: options.requestTimeoutMs ?? 5_000,
    deadline: Date.now() + (options.deadlineMs ?? 20_000),
    log: (m) => logs.push(m),
  });
  cleanup.push(() => http.close());
  const token = emulator.issueToken();
  const tokens: TokenSource = options.tokens ?? {
    minted: 0,
    current: async () => token,
    renew: async () => {
      throw new AuthError('the given access token is no longer accepted');
    },
  };
  const transport = new Transport({
    http,
    tokens,
    platformUrl: emulator.url,
    clientId: emulator.clientId,
    orgId: emulator.orgId,
    sandboxName: 'prod',
    log: { info: (m) => logs.push(m) },
  });
  const get = platformGet({ transport });
  return {
    emulator,
    logs,
    access: (more = {}) => new DataAccess({ platformUrl: emulator.url, get, level: 'codes', ...more }),
    run: (batchIds, sampleLinks = []) => ({ id: RUN, diagnostics: { batchIds, sampleLinks, failedInfo: [] } }),
  };
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'aep-failed-records-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Everything meant for a log line, the summary or the step's error. */
function told(result: RejectedRecords): string {
  return [JSON.stringify({ ...result, dir: undefined }), renderRejected(result).join('\n'), rejectedLine(result)].join(
    '\n',
  );
}

function expectNothingPersonal(result: RejectedRecords): void {
  const text = told(result);
  for (const value of PERSONAL) expect(text).not.toContain(value);
  expect(text).not.toMatch(/::(error|warning)::|<script|\]\(http|@octocat/);
}

const lines = (name: string, rows: Array<Record<string, unknown>>): RowErrorFile => ({ name, rows });
const array = (name: string, rows: Array<Record<string, unknown>>): RowErrorFile => ({ name, rows, format: 'array' });

describe('codes', () => {
  it('counts every file of every batch, through listing pages, in JSON lines and as one array', async () => {
    const s = await setup({
      [B1]: {
        pageSize: 2,
        files: [
          lines('conversion_errors_0.json', [corrupt(1), corrupt(2)]),
          array('conversion_errors_1.json', [corrupt(3), badDate('Alice Liddell')]),
          lines('conversion_errors_2.json', [badDate('Bob Marley')]),
          { name: '_SUCCESS', body: '' },
        ],
      },
      [B2]: { files: [array('parsing_errors_0.json', [corrupt(4)])] },
    });
    const result = await s.access().readRun(s.run([B1, B2]));
    expect(result.problems).toEqual([]);
    expect(result.filesListed).toBe(4);
    expect(result.filesRead).toBe(4);
    expect(result.rows).toBe(6);
    expect(result.top).toEqual([
      { code: '1401', message: DOC_MESSAGE, count: 4 },
      { code: 'INGEST-1212-400', message: 'Value … of field name could not be mapped', count: 2 },
    ]);
    // Two pages for B1, one for B2, and four files: the `_SUCCESS` marker is not read.
    expect(result.requests).toBe(7);
    expect(s.emulator.count('errorList')).toBe(3);
    expect(s.emulator.count('errorFile')).toBe(4);
    // Every request carried Platform's headers and the token, and went to the emulator itself.
    for (const r of s.emulator.requests) {
      expect(r.headers.authorization).toMatch(/^Bearer /);
      expect(r.headers['x-sandbox-name']).toBe('prod');
    }
    const summary = renderRejected(result).join('\n');
    expect(summary).toContain(`<code>1401</code> ${DOC_MESSAGE}: 4 records`);
    expect(summary).toContain('<code>INGEST-1212-400</code> mean');
    expect(summary).toContain('processing the data failed');
    expect(rejectedLine(result)).toContain(`1401 ${DOC_MESSAGE} (4 records)`);
    expectNothingPersonal(result);
  });

  it('takes the batch from a failed-records link when the run lists no target batch', async () => {
    const s = await setup({ [B1]: { files: [lines('e.json', [corrupt(1)])] } });
    const link = {
      name: 'failedRecords',
      url: `${s.emulator.url}/data/foundation/export/batches/${B1}/meta?path=row_errors`,
    };
    const result = await s.access().readRun(s.run([], [link]));
    expect(result.batchIds).toEqual([B1]);
    expect(result.rows).toBe(1);
  });

  it('retries a transient answer like any read', async () => {
    const s = await setup({ [B1]: { files: [lines('e.json', [corrupt(1)])] } });
    s.emulator.inject({ route: 'errorFile', status: 503 });
    s.emulator.inject({ route: 'errorList', status: 429, headers: { 'retry-after': '0' } });
    const result = await s.access().readRun(s.run([B1]));
    expect(result.problems).toEqual([]);
    expect(result.rows).toBe(1);
    expect(s.logs.join('\n')).toMatch(/answered HTTP 503; retrying/);
  });

  it('renews the token once on 401', async () => {
    let current = '';
    const s = await setup(
      { [B1]: { files: [lines('e.json', [corrupt(1)])] } },
      {
        emulator: { tokenUses: 1 },
        tokens: {
          minted: 0,
          current: async () => (current ||= s.emulator.issueToken()),
          renew: async () => (current = s.emulator.issueToken()),
        },
      },
    );
    const result = await s.access().readRun(s.run([B1]));
    expect(result.rows).toBe(1);
    expect(s.logs.filter((l) => l.includes('minted a new one'))).toHaveLength(1);
  });
});

describe('files', () => {
  it('writes the files as served, one folder per run and batch, owner-only, and counts them too', async () => {
    const served = [lines('conversion_errors_0.json', [corrupt(1)]), array('../../../etc/passwd', [corrupt(2)])];
    const s = await setup({ [B1]: { files: served }, [B2]: { files: [lines('a b?.json', [corrupt(3)])] } });
    const dir = await tempDir();
    const result = await s.access({ level: 'files', dir }).readRun(s.run([B1, B2]));
    expect(result.problems).toEqual([]);
    expect(result.dir).toBe(join(dir, RUN));
    expect(result.rows).toBe(3);
    expect(result.written.files).toBe(3);
    expect((await readdir(join(dir, RUN))).sort()).toEqual([B1, B2]);
    // Names from the service cannot leave the batch's folder.
    expect((await readdir(join(dir, RUN, B1))).sort()).toEqual(['conversion_errors_0.json', 'passwd']);
    expect(await readdir(join(dir, RUN, B2))).toEqual(['a_b_.json']);
    const first = await readFile(join(dir, RUN, B1, 'conversion_errors_0.json'), 'utf8');
    expect(first).toBe(`${JSON.stringify(corrupt(1))}\n`);
    expect(await readFile(join(dir, RUN, B1, 'passwd'), 'utf8')).toBe(`[${JSON.stringify(corrupt(2))}]`);
    if (process.platform !== 'win32') expect((await stat(join(dir, RUN, B1, 'passwd'))).mode & 0o777).toBe(0o600);
    expect(result.written.bytes).toBe(
      Buffer.byteLength(first) +
        Buffer.byteLength(`[${JSON.stringify(corrupt(2))}]`) +
        Buffer.byteLength(`${JSON.stringify(corrupt(3))}\n`),
    );
    expect(renderRejected(result).join('\n')).toContain('3 row-error files');
    expectNothingPersonal(result);
  });

  it('keeps to the total: a file listed too large is left out and named, one that lies is stopped and removed', async () => {
    const big = { name: 'big.json', rows: [corrupt(1)], padToBytes: 40_000 };
    const liar = { name: 'liar.json', rows: [corrupt(2)], padToBytes: 40_000, listedLength: '100' };
    const small = lines('small.json', [corrupt(3)]);
    const s = await setup({ [B1]: { files: [small, liar, big, lines('after.json', [corrupt(4)])] } });
    const dir = await tempDir();
    const limits = { totalBytes: 30_000, fileBytes: 20_000 };
    const result = await s.access({ level: 'files', dir, limits }).readRun(s.run([B1]));
    expect(result.written.files).toBe(2);
    expect((await readdir(join(dir, RUN, B1))).sort()).toEqual(['after.json', 'small.json']);
    const texts = result.problems.map((p) => `${p.kind}: ${p.text}`);
    expect(texts).toEqual([
      expect.stringMatching(
        /^too-large: liar\.json of batch .* left out: larger than the \d+ KiB left of the 30 KiB for files$/,
      ),
      expect.stringMatching(/^left-out: big\.json of batch .* left out/),
    ]);
    expect(result.rows).toBe(2);
  });
});

describe('what could not be read is one line, never an exception', () => {
  it('diagnostics off: 404 for the batch, and how to turn them on', async () => {
    const s = await setup({});
    const result = await s.access().readRun(s.run([B1]));
    expect(result.problems).toEqual([
      { kind: 'not-found', batchId: B1, text: expect.stringContaining('HTTP 404: error diagnostics off') },
    ]);
    expect(unavailable(result)).toBe(true);
    expect(renderRejected(result).join('\n')).toContain('<code>options.errorDiagnosticsEnabled</code>');
    expect(rejectedLine(result)).toContain(TURN_ON);
  });

  it('a run that names no batch', async () => {
    const s = await setup({});
    const result = await s.access().readRun(s.run([]));
    expect(result.problems.map((p) => p.kind)).toEqual(['no-batch']);
    expect(s.emulator.requests).toHaveLength(0);
    expect(unavailable(result)).toBe(true);
  });

  it('403 on the listing, a file refused, a malformed file: the rest is still counted', async () => {
    const s = await setup({
      [B1]: { status: 403, files: [] },
      [B2]: {
        files: [
          { name: 'gone.json', status: 404, listedLength: '10' },
          { name: 'html.json', body: '<html><body>Bad gateway</body></html>' },
          lines('ok.json', [corrupt(1)]),
        ],
      },
    });
    const result = await s.access().readRun(s.run([B1, B2]));
    expect(result.problems.map((p) => p.kind)).toEqual(['forbidden', 'not-found', 'malformed']);
    expect(result.rows).toBe(1);
    expect(unavailable(result)).toBe(false);
  });

  it('a file over the per-file cap is not counted, whatever its listed length said', async () => {
    const s = await setup({
      [B1]: {
        files: [
          { name: 'huge.json', rows: [corrupt(1)], padToBytes: 200_000, listedLength: '10' },
          lines('ok.json', [corrupt(2)]),
        ],
      },
    });
    const result = await s.access({ limits: { fileBytes: 64 * 1024 } }).readRun(s.run([B1]));
    expect(result.problems).toEqual([
      { kind: 'too-large', batchId: B1, text: expect.stringContaining('huge.json of batch') },
    ]);
    expect(result.problems[0]!.text).toContain('larger than 64 KiB: not read');
    expect(result.rows).toBe(1);
  });

  it('a file slower than the step has left: cut short at the deadline, the rest not started', async () => {
    const s = await setup(
      {
        [B1]: { files: [{ name: 'slow.json', rows: [corrupt(1)], delayMs: 5_000 }] },
        [B2]: { files: [lines('x.json', [corrupt(2)])] },
      },
      { requestTimeoutMs: 300, deadlineMs: 1_500 },
    );
    const started = Date.now();
    const result = await s.access().readRun(s.run([B1, B2]));
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(result.problems.map((p) => p.kind)).toEqual(['timeout']);
    expect(result.problems[0]!.text).toMatch(/slow\.json of batch .* could not be read: .*timeout/);
    expect(s.emulator.count('errorList')).toBe(1);
  });

  it('a file that trickles within the time limits is read', async () => {
    const s = await setup(
      { [B1]: { files: [{ name: 'trickle.json', rows: [corrupt(1)], padToBytes: 64 * 1024, chunkDelayMs: 50 }] } },
      { requestTimeoutMs: 1_000 },
    );
    const result = await s.access().readRun(s.run([B1]));
    expect(result.problems).toEqual([]);
    expect(result.rows).toBeGreaterThan(100);
  });

  it('a cancelled step stops the reads', async () => {
    const s = await setup({ [B1]: { files: [{ name: 'slow.json', rows: [corrupt(1)], delayMs: 2_000 }] } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('cancelled')), 200);
    const result = await s.access({ signal: controller.signal }).readRun(s.run([B1]));
    expect(result.problems.map((p) => p.kind)).toEqual(['cancelled']);
  });
});

describe('links to another host', () => {
  let other: Server | undefined;
  const reached: IncomingHttpHeaders[] = [];
  afterEach(async () => {
    reached.length = 0;
    await new Promise((resolve) => (other ? other.close(resolve) : resolve(undefined)));
    other = undefined;
  });

  async function otherHost(): Promise<string> {
    other = createServer((req, res) => {
      reached.push(req.headers);
      res.end(JSON.stringify(corrupt(9)));
    });
    await new Promise<void>((resolve) => other!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
  }

  it('are not followed: no request (and so no token) reaches the other host', async () => {
    const foreignOrigin = await otherHost();
    const s = await setup(
      {
        [B1]: {
          files: [{ ...lines('stolen.json', [corrupt(1)]), elsewhere: true }, lines('ok.json', [corrupt(2)])],
        },
        [B2]: {
          pageSize: 1,
          nextElsewhere: true,
          files: [lines('p1.json', [corrupt(3)]), lines('p2.json', [corrupt(4)])],
        },
      },
      { emulator: { foreignOrigin } },
    );
    const result = await s.access().readRun(s.run([B1, B2]));
    expect(reached).toEqual([]);
    expect(result.rows).toBe(2);
    expect(result.problems.map((p) => p.kind)).toEqual(['elsewhere', 'elsewhere']);
    expect(result.problems[0]!.text).toMatch(
      /stolen\.json of batch .* is linked on another host than http:\/\/127\.0\.0\.1:\d+: not read/,
    );
    expect(result.problems[1]!.text).toContain('next page at another host: not followed');
  });

  it("the emulator's own other host records nothing either", async () => {
    const s = await setup({ [B1]: { files: [{ ...lines('stolen.json', [corrupt(1)]), elsewhere: true }] } });
    const result = await s.access().readRun(s.run([B1]));
    expect(result.problems.map((p) => p.kind)).toEqual(['elsewhere']);
    expect(s.emulator.dataAccess.foreignRequests).toEqual([]);
  });

  it('the adapter itself refuses a URL off the Platform host, before any token is asked for', async () => {
    const foreignOrigin = await otherHost();
    let asked = 0;
    const http = new HttpClient({ requestTimeoutMs: 1_000, deadline: Date.now() + 5_000, log: () => undefined });
    cleanup.push(() => http.close());
    const transport = new Transport({
      http,
      tokens: { minted: 0, current: async () => (asked++, 'secret-token'), renew: async () => 'x' },
      platformUrl: 'http://127.0.0.1:1',
      clientId: 'c',
      orgId: 'o@AdobeOrg',
      sandboxName: 'prod',
      log: { info: () => undefined },
    });
    const get = platformGet({ transport });
    await expect(get(`${foreignOrigin}/data/foundation/export/batches/B/meta?path=row_errors`)).rejects.toThrow(
      /not sent/,
    );
    expect(asked).toBe(0);
    expect(reached).toEqual([]);
  });
});

describe('hostile text', () => {
  it('no record contents reach anything told, at either level', async () => {
    const s = await setup({
      [B1]: { files: [lines('hostile.json', [HOSTILE, HOSTILE, badDate('Zebulon Quartermaine')])] },
      [B2]: { files: [{ name: '::error::x.json', body: '::error::Zebulon Quartermaine\n' }] },
    });
    for (const level of ['codes', 'files'] as const) {
      const dir = await tempDir();
      const result = await s.access({ level, dir }).readRun(s.run([B1, B2]));
      expect(result.rows).toBe(3);
      expectNothingPersonal(result);
      // The file name is made safe too, and the run is still told.
      expect(told(result)).not.toContain('::error::x');
    }
  });
});

describe('cost', () => {
  it('measures a `files` fetch of 2 batches with 3 files each', async () => {
    const files = () =>
      [0, 1, 2].map((i) =>
        lines(
          `conversion_errors_${i}.json`,
          Array.from({ length: 50 }, (_, n) => corrupt(n + i)),
        ),
      );
    const s = await setup({ [B1]: { files: files() }, [B2]: { files: files() } });
    const dir = await tempDir();
    const started = performance.now();
    const result = await s.access({ level: 'files', dir }).readRun(s.run([B1, B2]));
    const ms = performance.now() - started;
    expect(result.written.files).toBe(6);
    expect(result.requests).toBe(8);
    expect(s.emulator.requests).toHaveLength(8);
    process.stdout.write(
      `files fetch, 2 batches x 3 files (${result.written.bytes} bytes): ${result.requests} requests, ${ms.toFixed(1)} ms\n`,
    );
  });
});
