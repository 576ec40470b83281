import { describe, expect, it } from 'vitest';
import { ServiceError, type Flow, type Run } from '../../src/answers.ts';
import { readFlow, runCheck, type CheckDeps, type CheckReads, type CheckSettings } from '../../src/check.ts';
import type { FlowHealth } from '../../src/health.ts';
import type { IncidentsResult } from '../../src/incidents.ts';
import type { Runner } from '../../src/runner.ts';

const HOUR = 3_600_000;
const START = 1_700_000_000_000;
const A = 'aaaaaaaa-0000-4000-8000-000000000001';
const B = 'bbbbbbbb-0000-4000-8000-000000000002';

function run(flowId: string, id: string, status: string, startedMs: number, windowEndMs = startedMs): Run {
  return {
    id,
    etag: undefined,
    status,
    flowId,
    createdAt: startedMs,
    params: undefined,
    metrics: { durationSummary: { startedAtUTC: startedMs, completedAtUTC: startedMs + 60_000 } },
    errors: status === 'failed' ? [{ code: 'CONNECTOR-1001-500', message: 'copy failed' }] : [],
    window: { start: windowEndMs / 1000 - 3600, end: windowEndMs / 1000, from: 'params' },
    diagnostics: { failedInfo: [], batchIds: [], sampleLinks: [] },
  };
}

const flow = (id: string): Flow => ({
  id,
  name: `Flow ${id.slice(0, 4)}`,
  state: 'enabled',
  frequency: 'hour',
  deltaColumn: undefined,
});

/** A clock that sleep moves, a runner that records, and reads from tables the test changes. */
function fixture(runs: Record<string, Run[]>, flows: Record<string, Flow | undefined | Error> = {}) {
  let clock = START;
  const calls: Array<[string, string]> = [];
  const outputs: Record<string, string> = {};
  const summaries: string[] = [];
  const reads = { flow: 0, runs: 0, sinces: [] as number[] };
  const runner: Runner = {
    setOutput: (name, value) => void (outputs[name] = value),
    info: (l) => void calls.push(['info', l]),
    notice: (l) => void calls.push(['notice', l]),
    warning: (l) => void calls.push(['warning', l]),
    error: (l) => void calls.push(['error', l]),
    debug: (l) => void calls.push(['debug', l]),
    group: (t) => void calls.push(['group', t]),
    fail: (l) => void calls.push(['fail', l]),
    summary: async (md) => void summaries.push(md),
  };
  const checkReads: CheckReads = {
    async getFlow(id) {
      reads.flow += 1;
      const f = id in flows ? flows[id] : flow(id);
      if (f instanceof Error) throw f;
      return f;
    },
    async listRuns(id, sinceMs) {
      reads.runs += 1;
      reads.sinces.push(sinceMs);
      if (!(id in runs)) throw new ServiceError(`Flow Service could not list the runs of flow ${id}: HTTP 403`, 403);
      return runs[id]!;
    },
  };
  const deps: CheckDeps = {
    reads: checkReads,
    runner,
    signal: new AbortController().signal,
    now: () => clock,
    sleep: async (ms) => void (clock += ms),
  };
  return {
    deps,
    calls,
    outputs,
    summaries,
    reads,
    advance: (ms: number) => (clock += ms),
    now: () => clock,
    of: (kind: string) => calls.filter(([k]) => k === kind).map(([, l]) => l),
  };
}

const settings = (extra: Partial<CheckSettings> = {}): CheckSettings => ({
  flowIds: [A, B],
  maxAgeMs: 26 * HOUR,
  lookbackMs: 7 * 24 * HOUR,
  failOn: new Set(['stale', 'failed']),
  wait: false,
  timeoutMs: HOUR,
  pollIntervalMs: 60_000,
  maxConcurrency: 4,
  link: { tenant: 'acme', sandboxName: 'prod' },
  ...extra,
});

describe('runCheck', () => {
  it('reads each flow once and its runs since lookback, and sets the outputs for healthy flows', async () => {
    const f = fixture({
      [A]: [run(A, 'a1', 'success', START - HOUR)],
      [B]: [run(B, 'b1', 'success', START - 2 * HOUR)],
    });
    const result = await runCheck(settings(), f.deps);
    expect(result.healthy).toBe(true);
    expect([f.reads.flow, f.reads.runs]).toEqual([2, 2]);
    expect(f.reads.sinces).toEqual([START - 7 * 24 * HOUR, START - 7 * 24 * HOUR]);
    expect(f.outputs).toMatchObject({ healthy: 'true', 'stale-flows': '', 'failing-flows': '' });
    const report = JSON.parse(f.outputs.report!);
    expect(report.map((r: { flowId: string }) => r.flowId)).toEqual([A, B]);
    expect(f.of('fail')).toEqual([]);
    expect(f.summaries[0]).toContain('2 dataflows healthy');
  });

  it('fails naming the stale and failing flows, with outputs listing each', async () => {
    const f = fixture({
      [A]: [run(A, 'a1', 'success', START - 30 * HOUR)],
      [B]: [run(B, 'b0', 'success', START - 3 * HOUR), run(B, 'b1', 'failed', START - HOUR)],
    });
    const result = await runCheck(settings(), f.deps);
    expect(result.healthy).toBe(false);
    expect(f.outputs).toMatchObject({ healthy: 'false', 'stale-flows': A, 'failing-flows': B });
    expect(f.of('error')).toEqual([
      expect.stringMatching(new RegExp(`^Flow ${A}: Stale: its data ends .* more than the max-age of 1d 2h\\.$`)),
      `Flow ${B}: Failing: its newest finished run b1 ended failed.`,
    ]);
    expect(f.of('fail')).toEqual([`2 of 2 dataflows unhealthy: ${A}, ${B}.`]);
  });

  it('warns of a finding fail-on does not name, and does not fail for it', async () => {
    const f = fixture({
      [A]: [run(A, 'a1', 'success', START - 30 * HOUR)],
      [B]: [run(B, 'b1', 'success', START - HOUR)],
    });
    await runCheck(settings({ failOn: new Set(['failed']) }), f.deps);
    expect(f.outputs).toMatchObject({ healthy: 'true', 'stale-flows': A });
    expect(f.of('warning')[0]).toMatch(/Stale.*not failing: 'fail-on' does not name it/);
    expect(f.of('fail')).toEqual([]);
  });

  it('fails for a flow that cannot be read, naming it, whatever fail-on says', async () => {
    const f = fixture({ [B]: [run(B, 'b1', 'success', START - HOUR)] }, { [A]: undefined });
    await runCheck(settings({ failOn: new Set() }), f.deps);
    expect(f.of('error')).toEqual([`Flow ${A}: Could not be read: Flow ${A} was not found in this sandbox.`]);
    expect(f.of('fail')).toEqual([`1 of 2 dataflows unhealthy: ${A}.`]);
  });

  it('still judges a flow whose read is refused when its runs are listed, with a warning', async () => {
    const refused = new ServiceError(`Flow Service could not read flow ${A}: HTTP 403 FLOW-1403-403`, 403);
    const f = fixture(
      { [A]: [run(A, 'a1', 'success', START - HOUR)], [B]: [run(B, 'b1', 'success', START - HOUR)] },
      { [A]: refused },
    );
    const result = await runCheck(settings(), f.deps);
    expect(result.healthy).toBe(true);
    expect(f.of('warning')).toEqual([`The read of flow ${A} failed: ${refused.message}`]);
  });

  it('waits until every flow is fresh, reading again only the stale ones', async () => {
    const runs: Record<string, Run[]> = {
      [A]: [run(A, 'a1', 'success', START - 30 * HOUR)],
      [B]: [run(B, 'b1', 'success', START - HOUR)],
    };
    const f = fixture(runs);
    let reads = 0;
    const list = f.deps.reads.listRuns.bind(f.deps.reads);
    f.deps.reads.listRuns = async (id, since, signal) => {
      // The third read of A finds today's run.
      if (id === A && ++reads === 3) runs[A] = [...runs[A]!, run(A, 'a2', 'success', f.now() - 60_000)];
      return list(id, since, signal);
    };
    const result = await runCheck(settings({ wait: true }), f.deps);
    expect(result).toMatchObject({ healthy: true, waitEnd: 'fresh' });
    expect(f.reads.runs).toBe(4); // A three times, B once
    expect(f.now() - START).toBe(2 * 60_000);
    expect(f.of('fail')).toEqual([]);
    expect(f.of('info').filter((l) => l.startsWith('Waiting for'))).toHaveLength(2);
  });

  it('fails at the timeout naming the flows still stale, even when fail-on is none', async () => {
    const f = fixture({
      [A]: [run(A, 'a1', 'success', START - 30 * HOUR)],
      [B]: [run(B, 'b1', 'success', START - HOUR)],
    });
    const result = await runCheck(settings({ wait: true, failOn: new Set(), timeoutMs: 10 * 60_000 }), f.deps);
    expect(result.waitEnd).toBe('timeout');
    expect(result.healthy).toBe(false);
    expect(f.of('fail')).toEqual([`Waited 10m: still not fresh: ${A}.`]);
    expect(f.now()).toBeLessThan(START + 10 * 60_000);
    expect(f.summaries[0]).toContain('Still not fresh at the timeout');
  });

  it('does not wait for a flow that cannot be read', async () => {
    const f = fixture({ [A]: [run(A, 'a1', 'success', START - 30 * HOUR)] });
    const result = await runCheck(settings({ wait: true }), f.deps);
    expect(result.waitEnd).toBe('unreadable');
    expect(f.now()).toBe(START);
    expect(f.of('fail')[0]).toContain(B);
  });

  it('keeps incidents when asked, puts their URLs in the report, and reports a refusal as an error', async () => {
    const f = fixture({ [A]: [run(A, 'a1', 'failed', START - HOUR)], [B]: [run(B, 'b1', 'success', START - HOUR)] });
    const seen: FlowHealth[][] = [];
    f.deps.keepIncidents = async (healths): Promise<IncidentsResult> => {
      seen.push([...healths]);
      return {
        urls: new Map([[A, 'https://github.com/o/r/issues/3']]),
        done: ['Opened issue #3'],
        problem: 'GitHub refused to close issue #1 (HTTP 403).',
      };
    };
    const issues = { token: 't', repository: 'o/r', apiUrl: 'https://api.github.com', labels: ['aep-dataflow'] };
    await runCheck(settings({ issues }), f.deps);
    expect(seen[0]!.map((h) => h.flowId)).toEqual([A, B]);
    expect(JSON.parse(f.outputs.report!).map((r: { issueUrl: string | null }) => r.issueUrl)).toEqual([
      'https://github.com/o/r/issues/3',
      null,
    ]);
    expect(f.of('info')).toContain('Opened issue #3');
    expect(f.of('error')).toContain('GitHub refused to close issue #1 (HTTP 403).');
    expect(f.summaries[0]).toContain('Incident: https://github.com/o/r/issues/3');
  });

  it('never calls incidents without issues', async () => {
    const f = fixture({ [A]: [run(A, 'a1', 'failed', START - HOUR)], [B]: [] });
    f.deps.keepIncidents = async () => {
      throw new Error('must not be called');
    };
    await expect(runCheck(settings(), f.deps)).resolves.toBeDefined();
  });

  it('reads at most max-concurrency flows at once', async () => {
    const ids = Array.from({ length: 7 }, (_, i) => `cccccccc-0000-4000-8000-00000000000${i}`);
    const f = fixture(Object.fromEntries(ids.map((id) => [id, [run(id, `r${id}`, 'success', START - HOUR)]])));
    let running = 0;
    let peak = 0;
    const list = f.deps.reads.listRuns.bind(f.deps.reads);
    f.deps.reads.listRuns = async (...args) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      running -= 1;
      return list(...args);
    };
    await runCheck(settings({ flowIds: ids, maxConcurrency: 3 }), f.deps);
    expect(peak).toBe(3);
  });
});

describe('readFlow', () => {
  it('keeps both failures as problems when neither read works', async () => {
    const f = fixture({}, { [A]: new ServiceError('Flow Service could not read flow: HTTP 500', 500) });
    const reading = await readFlow(A, f.deps.reads, 0, f.deps.signal, () => {});
    expect(reading.runs).toBeUndefined();
    expect(reading.problems).toHaveLength(2);
  });
});
