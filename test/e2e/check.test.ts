// The bundled check action (dist/check/index.js) run as the runner runs it, against the Flow Service
// emulator and the GitHub issues emulator: every finding, the start-time filter applied or ignored, the
// gate (`wait`), the issues lifecycle, hostile service text, and bad input. Read-only: only GETs reach
// the Flow Service. The fixture checks every run for leaks, stray commands and stacks by itself.
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scheduledHistory, type Emulator, type EmulatorOptions, type ExistingRun } from '../emulator/emulator.ts';
import { startGitHubEmulator, type GitHubEmulator } from '../emulator/github.ts';
import { useEmulator } from './fixture.ts';
import type { RunOptions } from './harness.ts';

const CHECK = resolve(import.meta.dirname, '../../dist/check/index.js');
const A = '3abea21c-7e36-4be1-bec1-d3bad0e3e0de';
const B = '9c1f0e55-1b7e-4a0e-9d57-6c6a0f0e2b11';
const HOUR = 3_600_000;
const NOW = Date.now();

const e2e = useEmulator();
let gh: GitHubEmulator | undefined;
afterEach(async () => {
  await gh?.close();
  gh = undefined;
});

/** A day of hourly runs of a flow, the newest `newestAgoMs` ago. */
function hourly(flowId: string, newestAgoMs: number, extra: Parameters<typeof scheduledHistory>[1] | object = {}) {
  return scheduledHistory(flowId, {
    fromMs: NOW - newestAgoMs - 23 * HOUR,
    toMs: NOW - newestAgoMs,
    everyMs: HOUR,
    ...extra,
  });
}

async function world(existingRuns: ExistingRun[], options: EmulatorOptions = {}): Promise<Emulator> {
  return e2e.start({
    flows: { [A]: { details: { frequency: 'hour', name: 'Orders' } }, [B]: { details: { frequency: 'hour' } } },
    existingRuns,
    pageSize: 10,
    ...options,
  });
}

function inputs(emulator: Emulator, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'flow-id': A,
    'client-id': emulator.clientId,
    'client-secret': emulator.clientSecret,
    'org-id': emulator.orgId,
    'platform-url': emulator.url,
    'ims-url': emulator.url,
    'max-age': '3h',
    ...extra,
  };
}

const check = (given: Record<string, string>, options: RunOptions = {}) => e2e.run(given, { ...options, entry: CHECK });
const report = (outputs: Record<string, string>) => JSON.parse(outputs.report!) as Array<Record<string, unknown>>;
const githubEnv = (g: GitHubEmulator) => ({ GITHUB_API_URL: g.url, GITHUB_REPOSITORY: g.repository });

/** Read-only at the floor: one token, and per flow one flow read and its pages of runs, all GETs. */
function expectReadOnly(emulator: Emulator) {
  expect(emulator.count('token')).toBe(1);
  expect(emulator.requests.filter((r) => r.route !== 'token' && r.method !== 'GET')).toEqual([]);
  expect(emulator.count('create') + emulator.count('retrigger')).toBe(0);
}

describe('the check action: findings', () => {
  it('passes a fresh flow, with its figures in the outputs and a health row in the summary', async () => {
    const emulator = await world(hourly(A, HOUR, { records: { input: 100, created: 99, failed: 1 } }));
    const result = await check(inputs(emulator));
    expect(result.code).toBe(0);
    expect(result.outputs).toMatchObject({ healthy: 'true', 'stale-flows': '', 'failing-flows': '' });
    const [entry] = report(result.outputs);
    expect(entry).toMatchObject({ flowId: A, name: 'Orders', frequency: 'hour', stale: false, runs: 24 });
    expect(entry).toMatchObject({ succeeded: 24, failed: 0, recordsIn: 2400, recordsFailed: 24, issueUrl: null });
    expect(entry!.dataThrough).toBe(Math.floor((NOW - HOUR) / 1000));
    expect(result.summary).toContain('1 dataflow healthy');
    expect(result.summary).toContain(
      `[Orders](https://experience.adobe.com/#/@${emulator.orgId}/sname:prod/platform/source/dataflows/${A})`,
    );
    expectReadOnly(emulator);
    expect(emulator.count('flow')).toBe(1);
    expect(emulator.count('list')).toBe(3); // 24 runs, 10 a page
  });

  it('fails on a stale flow, naming it in stale-flows and in the error', async () => {
    const emulator = await world(hourly(A, 5 * HOUR));
    const result = await check(inputs(emulator));
    expect(result.code).toBe(1);
    expect(result.outputs).toMatchObject({ healthy: 'false', 'stale-flows': A, 'failing-flows': '' });
    expect(report(result.outputs)[0]).toMatchObject({ stale: true, ageSeconds: expect.any(Number) });
    expect(result.errors.join('\n')).toContain(A);
  });

  it('fails on a flow whose newest finished run failed; with fail-on: stale it only warns', async () => {
    const failing = hourly(A, HOUR, {
      status: (i: number) => (i === 23 ? 'failed' : 'success'),
      errors: (i: number) => (i === 23 ? [{ code: 'CONNECTOR-1001-500', message: 'copy failed' }] : undefined),
    });
    const emulator = await world(failing);
    const failed = await check(inputs(emulator));
    expect(failed.code).toBe(1);
    expect(failed.outputs).toMatchObject({ healthy: 'false', 'failing-flows': A, 'stale-flows': '' });
    expect(report(failed.outputs)[0]).toMatchObject({
      failed: 1,
      topErrors: [{ code: 'CONNECTOR-1001-500', count: 1 }],
    });
    expect(failed.summary).toContain('CONNECTOR-1001-500');

    const lenient = await check(inputs(emulator, { 'fail-on': 'stale' }));
    expect(lenient.code).toBe(0);
    expect(lenient.outputs).toMatchObject({ healthy: 'true', 'failing-flows': A });
    expect(lenient.warnings.join('\n')).toContain("'fail-on' does not name it");
  });

  it('calls a flow with no successful run in lookback stale, with no data time', async () => {
    const emulator = await world([
      ...hourly(A, HOUR, { status: () => 'failed' }),
      ...scheduledHistory(A, { fromMs: NOW - 10 * 24 * HOUR, toMs: NOW - 9 * 24 * HOUR, everyMs: HOUR }), // before lookback
    ]);
    const result = await check(inputs(emulator));
    expect(result.code).toBe(1);
    expect(report(result.outputs)[0]).toMatchObject({
      stale: true,
      lastSuccessAt: null,
      dataThrough: null,
      ageSeconds: null,
      runs: 24,
      succeeded: 0,
    });
    expect(result.outputs['stale-flows']).toBe(A);
  });

  it.each(['400', 'empty', '404'] as const)(
    'fails naming a flow that is not found (answered %s)',
    async (unknownFlow) => {
      const missing = '0d5e7a2b-8c1f-4e3d-9a6b-5c4d3e2f1a0b';
      const emulator = await world(hourly(A, HOUR), { unknownFlow });
      const result = await check(inputs(emulator, { 'flow-id': `${A}, ${missing}` }));
      expect(result.code).toBe(1);
      expect(result.outputs.healthy).toBe('false');
      expect(result.errors.join('\n')).toMatch(new RegExp(`${missing}[^\\n]*not found`));
      expect(report(result.outputs).map((e) => e.flowId)).toEqual([A, missing]);
    },
  );

  it('fails naming a flow that cannot be read at all (its flow and its runs refused)', async () => {
    const emulator = await world(hourly(A, HOUR), {
      flows: { [A]: { flowReadStatus: 403 } },
    });
    emulator.inject({ route: 'list', status: 403, times: 5 });
    const result = await check(inputs(emulator));
    expect(result.code).toBe(1);
    expect(result.outputs.healthy).toBe('false');
    expect(result.errors.join('\n')).toContain(A);
    expect(result.summary).toContain(A);
  });

  it.each(['applied', 'ignored'] as const)(
    'asks for runs since lookback, and judges the same when the service has the start-time filter %s',
    async (startTimeFilter) => {
      // Nine days of hourly runs: lookback (7d) keeps the 168 newest.
      const newest = NOW - HOUR / 2; // the oldest run in lookback started half an hour after its bound
      const week = scheduledHistory(A, { fromMs: newest - 9 * 24 * HOUR, toMs: newest, everyMs: HOUR });
      const emulator = await world(week, { startTimeFilter, pageSize: 100 });
      const result = await check(inputs(emulator));
      expect(result.code).toBe(0);
      expect(report(result.outputs)[0]).toMatchObject({ runs: 168, succeeded: 168 });
      const lists = emulator.requests.filter((r) => r.route === 'list');
      for (const list of lists) {
        const url = new URL(list.path, emulator.url);
        const since = url.searchParams
          .getAll('property')
          .find((p) => p.startsWith('metrics.durationSummary.startedAtUTC>'));
        expect(Number(since?.split('>')[1])).toBeCloseTo(NOW - 7 * 24 * HOUR, -5);
        expect(url.searchParams.get('limit')).toBe('100');
      }
      expect(lists).toHaveLength(startTimeFilter === 'applied' ? 2 : 3);
    },
  );
});

describe('the check action: the gate', () => {
  it('waits until a stale flow is fresh, then passes', async () => {
    const emulator = await world(hourly(A, 5 * HOUR));
    const result = await check(inputs(emulator, { wait: 'true', 'poll-interval': '1s', timeout: '30s' }), {
      onStart: () => {
        // The flow's scheduled run lands while the check waits.
        setTimeout(() => {
          const id = '5b8e9f10-2a3b-4c5d-8e7f-9a0b1c2d3e4f';
          const at = Date.now();
          emulator.runs.set(id, {
            id,
            flowId: A,
            createdAt: at,
            params: { windowStartTime: Math.floor((at - HOUR) / 1000), windowEndTime: Math.floor(at / 1000) },
            etag: '"fresh"',
            reads: 0,
            fixedStatus: 'success',
            own: {},
          });
        }, 1500);
      },
    });
    expect(result.code).toBe(0);
    expect(result.outputs).toMatchObject({ healthy: 'true', 'stale-flows': '' });
    expect(result.stdout).toContain(`Waiting for ${A} to be fresh`);
    expect(emulator.count('list')).toBeGreaterThan(3);
    expectReadOnly(emulator);
  });

  it('fails at timeout naming the flows still stale, whatever fail-on says', async () => {
    const emulator = await world([...hourly(A, 5 * HOUR), ...hourly(B, HOUR)]);
    const result = await check(
      inputs(emulator, {
        'flow-id': `${A}\n${B}`,
        wait: 'true',
        'poll-interval': '1s',
        timeout: '3s',
        'fail-on': 'none',
      }),
    );
    expect(result.code).toBe(1);
    expect(result.errors.at(-1), result.stdout).toBe(`Waited 3s: still not fresh: ${A}.`);
    expect(result.outputs['stale-flows']).toBe(A);
  });
});

describe('the check action: issues', () => {
  const failingHistory = (flowId: string) =>
    hourly(flowId, HOUR, {
      status: (i: number) => (i === 23 ? 'failed' : 'success'),
      errors: (i: number) => (i === 23 ? [{ code: 'CONNECTOR-1001-500', message: 'copy failed' }] : undefined),
    });

  it('opens one issue for an unhealthy flow, updates it (never a second one), and closes it on recovery', async () => {
    gh = await startGitHubEmulator();
    const sick = await world(failingHistory(A));
    const given = { issues: 'true', 'github-token': gh.token };
    const first = await check(inputs(sick, given), { env: githubEnv(gh) });
    expect(first.code).toBe(1);
    expect(gh.issues).toHaveLength(1);
    expect(gh.issues[0]).toMatchObject({ state: 'open', title: `Dataflow ${A} is failing`, labels: ['aep-dataflow'] });
    expect(report(first.outputs)[0]!.issueUrl).toBe(gh.htmlUrl(1));

    const again = await check(inputs(sick, given), { env: githubEnv(gh) });
    expect(again.code).toBe(1);
    expect(gh.issues).toHaveLength(1);
    expect(gh.requests.filter((r) => r.method === 'PATCH')).not.toHaveLength(0);

    const well = await world(hourly(A, HOUR));
    const recovered = await check(inputs(well, given), { env: githubEnv(gh) });
    expect(recovered.code).toBe(0);
    expect(gh.issues).toHaveLength(1);
    expect(gh.issues[0]!.state).toBe('closed');
    expect(gh.issues[0]!.comments.at(-1)).toMatch(/healthy again/);
  });

  it('names the permission when GitHub refuses to write issues (403)', async () => {
    gh = await startGitHubEmulator({ readOnly: true });
    const emulator = await world(failingHistory(A));
    const result = await check(inputs(emulator, { issues: 'true', 'github-token': gh.token }), { env: githubEnv(gh) });
    expect(result.code).toBe(1);
    expect(result.errors.join('\n')).toContain('issues: write');
    expect(gh.issues).toHaveLength(0);
  });

  it('without issues sends nothing to GitHub and needs no token', async () => {
    gh = await startGitHubEmulator();
    const emulator = await world(failingHistory(A));
    const result = await check(inputs(emulator), { env: githubEnv(gh) });
    expect(result.code).toBe(1);
    expect(gh.requests).toEqual([]);
    expect(report(result.outputs)[0]!.issueUrl).toBeNull();
  });

  it('keeps service text inert in the summary and the issue: no mention, reference, link or HTML', async () => {
    gh = await startGitHubEmulator();
    const hostile =
      '@octo-org/admins fixes #1 GH-2 <img src=x onerror=alert(1)> [click](https://evil.example/x) www.evil.example';
    const emulator = await world(
      hourly(A, HOUR, {
        status: (i: number) => (i === 23 ? 'failed' : 'success'),
        errors: (i: number) => (i === 23 ? [{ code: 'CONNECTOR-1001-500', message: hostile }] : undefined),
      }),
      { flows: { [A]: { details: { frequency: 'hour', name: hostile } } } },
    );
    const result = await check(inputs(emulator, { issues: 'true', 'github-token': gh.token }), { env: githubEnv(gh) });
    expect(result.code).toBe(1);
    expect(gh.issues).toHaveLength(1);
    const texts = { summary: result.summary, issue: `${gh.issues[0]!.title}\n${gh.issues[0]!.body}` };
    for (const [where, text] of Object.entries(texts)) {
      expect(text, where).toContain('octo-org'); // shown, but not live
      expect(text, where).not.toMatch(/@octo-org/);
      expect(text, where).not.toMatch(/#1\b|GH-2/);
      expect(text, where).not.toMatch(/<img|onerror=alert\(1\)>/);
      expect(text, where).not.toMatch(/\]\(https:\/\/evil|https:\/\/evil|www\.evil/);
    }
  });
});

describe('the check action: bad input', () => {
  it('fails before any request with one error naming each bad input', async () => {
    const emulator = await world([]);
    const result = await check(
      inputs(emulator, {
        'flow-id': 'not-a-flow',
        'max-age': '',
        wait: 'true',
        lookback: 'forever',
        'fail-on': 'late',
      }),
    );
    expect(result.code).toBe(1);
    expect(result.errors).toHaveLength(1);
    const [error] = result.errors;
    for (const name of ['flow-id', 'lookback', 'fail-on', 'wait']) expect(error).toContain(`Input '${name}'`);
    expect(error).toContain("needs 'max-age'");
    expect(result.summary).toContain('No dataflow was checked');
    expect(emulator.requests).toEqual([]);
  });
});
