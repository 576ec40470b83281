// The check's stages end to end below the entry: a CheckReads over plain fetch and the answer parsers
// against the Flow Service emulator (histories of hourly flows over a week, the start-time filter applied
// or ignored, pages), and the real incidents against the GitHub emulator.
import { afterEach, describe, expect, it } from 'vitest';
import { parseBriefRunPage, parseFlowAnswer, serviceError, type BriefRun } from '../../src/answers.ts';
import { runCheck, type CheckReads, type CheckSettings } from '../../src/check.ts';
import { keepIncidents } from '../../src/incidents.ts';
import type { Runner } from '../../src/runner.ts';
import { scheduledHistory, startEmulator, type Emulator, type EmulatorOptions } from '../emulator/emulator.ts';
import { startGitHubEmulator, type GitHubEmulator } from '../emulator/github.ts';

const A = '3abea21c-7e36-4be1-bec1-d3bad0e3e0de';
const B = '9c1f0e55-1b7e-4a0e-9d57-6c6a0f0e2b11';
const HOUR = 3_600_000;
const NOW = Math.floor(Date.now() / HOUR) * HOUR;

let emulator: Emulator;
let gh: GitHubEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  await gh?.close();
  gh = undefined;
});

/** What the check needs of the client, as FlowServiceClient does it: flow read, then pages of brief runs since. */
function reads(e: Emulator): CheckReads {
  const headers = {
    authorization: `Bearer ${e.issueToken()}`,
    'x-api-key': e.clientId,
    'x-gw-ims-org-id': e.orgId,
    'x-sandbox-name': 'prod',
  };
  const get = async (path: string) => {
    const res = await fetch(`${e.url}/data/foundation/flowservice${path}`, { headers });
    return { status: res.status, headers: {}, text: await res.text() };
  };
  return {
    async getFlow(id) {
      const res = await get(`/flows/${id}`);
      if (res.status === 404) return undefined;
      if (res.status !== 200) throw serviceError(res, `read flow ${id}`);
      return parseFlowAnswer(res, id);
    },
    async listRuns(id, sinceMs) {
      const runs: BriefRun[] = [];
      const filter = `property=${encodeURIComponent(`flowId==${id}`)}&property=${encodeURIComponent(`metrics.durationSummary.startedAtUTC>${sinceMs}`)}`;
      let next: string | undefined;
      do {
        const res = await get(`/runs?${filter}${next ? `&continuationToken=${next}` : ''}`);
        if (res.status !== 200) throw serviceError(res, `list the runs of flow ${id}`);
        const page = parseBriefRunPage(res, 'list');
        runs.push(...page.runs);
        next = page.next;
      } while (next);
      return runs;
    },
  };
}

function recorder() {
  const lines: string[] = [];
  const outputs: Record<string, string> = {};
  const summaries: string[] = [];
  const runner: Runner = {
    setOutput: (n, v) => void (outputs[n] = v),
    info: (l) => void lines.push(l),
    notice: (l) => void lines.push(`notice: ${l}`),
    warning: (l) => void lines.push(`warning: ${l}`),
    error: (l) => void lines.push(`error: ${l}`),
    debug: () => {},
    group: () => {},
    fail: (l) => void lines.push(`fail: ${l}`),
    summary: async (md) => void summaries.push(md),
  };
  return { runner, lines, outputs, summaries };
}

const settings = (extra: Partial<CheckSettings> = {}): CheckSettings => ({
  flowIds: [A, B],
  maxAgeMs: 3 * HOUR,
  lookbackMs: 7 * 24 * HOUR,
  failOn: new Set(['stale', 'failed']),
  wait: false,
  timeoutMs: HOUR,
  pollIntervalMs: 60_000,
  maxConcurrency: 4,
  link: { tenant: 'acme', sandboxName: 'prod' },
  ...extra,
});

async function world(options: EmulatorOptions) {
  emulator = await startEmulator({
    flows: { [A]: { details: { frequency: 'hour', name: 'Orders' } }, [B]: { details: { frequency: 'hour' } } },
    pageSize: 50,
    ...options,
  });
}

describe('the check over the emulators', () => {
  for (const startTimeFilter of ['applied', 'ignored'] as const) {
    it(`judges a week of hourly runs the same whether the start-time filter is ${startTimeFilter}`, async () => {
      // Nine days of hourly runs; lookback keeps the 167 that started less than 7 days (168 h) before the check.
      const week = { fromMs: NOW - 9 * 24 * HOUR, toMs: NOW - HOUR, everyMs: HOUR };
      await world({
        startTimeFilter,
        existingRuns: [
          ...scheduledHistory(A, { ...week, records: { input: 100, created: 99, failed: 1 } }),
          ...scheduledHistory(B, {
            ...week,
            window: 'copy activity',
            status: (i) => (i >= 213 ? 'failed' : 'success'), // the newest three failed
            errors: (i) => (i >= 213 ? [{ code: 'CONNECTOR-1001-500', message: 'copy failed' }] : undefined),
          }),
        ],
      });
      const r = recorder();
      const result = await runCheck(settings(), {
        reads: reads(emulator),
        runner: r.runner,
        signal: new AbortController().signal,
      });
      const report = JSON.parse(r.outputs.report!);
      expect(report[0]).toMatchObject({
        flowId: A,
        name: 'Orders',
        frequency: 'hour',
        runs: 167,
        succeeded: 167,
        failed: 0,
      });
      expect(report[0]).toMatchObject({
        recordsIn: 16_700,
        recordsFailed: 167,
        stale: false,
        medianDurationSeconds: 192,
      });
      expect(report[0].dataThrough).toBe((NOW - HOUR) / 1000);
      expect(report[1]).toMatchObject({ flowId: B, runs: 167, succeeded: 164, failed: 3, stale: true });
      expect(report[1].topErrors).toEqual([{ code: 'CONNECTOR-1001-500', count: 3 }]);
      expect(report[1].dataThrough).toBe((NOW - 4 * HOUR) / 1000);
      expect(result.healthy).toBe(false);
      expect(r.outputs).toMatchObject({ 'stale-flows': B, 'failing-flows': B });
      expect(r.lines.filter((l) => l.startsWith('fail: '))).toEqual([`fail: 1 of 2 dataflows unhealthy: ${B}.`]);
      // One flow read per flow; the pages of runs: fewer when the server applies the filter.
      expect(emulator.count('flow')).toBe(2);
      expect(emulator.count('list')).toBe(startTimeFilter === 'applied' ? 8 : 10);
    });
  }

  it('opens an issue for the failing flow, and closes it once the flow recovers', async () => {
    const history = scheduledHistory(B, { fromMs: NOW - 5 * HOUR, toMs: NOW - HOUR, everyMs: HOUR });
    history.at(-1)!.status = 'failed';
    await world({
      existingRuns: [...scheduledHistory(A, { fromMs: NOW - 5 * HOUR, toMs: NOW - HOUR, everyMs: HOUR }), ...history],
    });
    gh = await startGitHubEmulator();
    const issues = { token: gh.token, repository: gh.repository, apiUrl: gh.url, labels: ['aep-dataflow'] };
    const first = recorder();
    await runCheck(settings({ issues }), {
      reads: reads(emulator),
      runner: first.runner,
      signal: new AbortController().signal,
      keepIncidents,
    });
    expect(gh.issues).toHaveLength(1);
    expect(gh.issues[0]!.title).toBe(`Dataflow ${B} is failing`);
    expect(JSON.parse(first.outputs.report!)[1].issueUrl).toBe(gh.htmlUrl(1));

    // The flow's next run succeeds: the next check comments and closes.
    await emulator.close();
    await world({
      existingRuns: [
        ...history,
        ...scheduledHistory(B, { fromMs: NOW - 10 * 60_000, toMs: NOW - 10 * 60_000, everyMs: HOUR }),
      ],
    });
    const second = recorder();
    await runCheck(settings({ flowIds: [B], issues }), {
      reads: reads(emulator),
      runner: second.runner,
      signal: new AbortController().signal,
      keepIncidents,
    });
    expect(gh.issues[0]).toMatchObject({ state: 'closed' });
    expect(gh.issues[0]!.comments[0]).toMatch(/healthy again/);
    expect(second.outputs.healthy).toBe('true');
  });
});
