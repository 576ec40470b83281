// The emulator's controls for the check: histories of scheduled flows over days (windows in params, only
// in the copy activity, or nowhere), per-run errors, records and durations, the start-time filter applied
// or ignored, and lastRunDetails.
import { afterEach, describe, expect, it } from 'vitest';
import { parseFlowAnswer, parseRunPage } from '../../src/answers.ts';
import { scheduledHistory, startEmulator, type Emulator, type EmulatorOptions } from '../emulator/emulator.ts';

const FLOW = '3abea21c-7e36-4be1-bec1-d3bad0e3e0de';
const HOUR = 3_600_000;
const NOW = Math.floor(Date.now() / HOUR) * HOUR;

let emulator: Emulator;
afterEach(async () => emulator?.close());

async function start(options: EmulatorOptions) {
  emulator = await startEmulator({ flows: { [FLOW]: { details: { frequency: 'hour' } } }, ...options });
  const headers = {
    authorization: `Bearer ${emulator.issueToken()}`,
    'x-api-key': emulator.clientId,
    'x-gw-ims-org-id': emulator.orgId,
    'x-sandbox-name': 'prod',
  };
  const get = async (path: string) => {
    const res = await fetch(`${emulator.url}/data/foundation/flowservice${path}`, { headers });
    return { status: res.status, headers: {}, text: await res.text() };
  };
  return {
    list: async (query = '') =>
      parseRunPage(await get(`/runs?property=flowId==${FLOW}${query}&limit=500`), 'list').runs,
    flow: async () => parseFlowAnswer(await get(`/flows/${FLOW}`), FLOW),
  };
}

describe('histories for the check', () => {
  it('makes a run every interval over days, with windows where asked', async () => {
    for (const window of ['params', 'copy activity', 'none'] as const) {
      const history = scheduledHistory(FLOW, { fromMs: NOW - 48 * HOUR, toMs: NOW - HOUR, everyMs: HOUR, window });
      const api = await start({ existingRuns: history, pageSize: 100 });
      const runs = await api.list();
      expect(runs).toHaveLength(48);
      const newest = runs.at(-1)!;
      if (window === 'none') expect(newest.window).toBeUndefined();
      else expect(newest.window).toEqual({ start: (NOW - 2 * HOUR) / 1000, end: (NOW - HOUR) / 1000, from: window });
      await emulator.close();
    }
  });

  it('gives each run its own status, errors, records and duration', async () => {
    const history = scheduledHistory(FLOW, {
      fromMs: NOW - 3 * HOUR,
      toMs: NOW - HOUR,
      everyMs: HOUR,
      status: (i) => (i === 1 ? 'failed' : 'success'),
      errors: (i) => (i === 1 ? [{ code: 'CONNECTOR-1001-500', message: 'copy failed' }] : undefined),
      records: { input: 10, created: 9, failed: 1 },
      durationMs: 90_000,
    });
    const api = await start({ existingRuns: history });
    const runs = await api.list();
    expect(runs.map((r) => r.status)).toEqual(['success', 'failed', 'success']);
    expect(runs[1]!.errors).toEqual([{ code: 'CONNECTOR-1001-500', message: 'copy failed' }]);
    expect(runs[0]!.errors).toEqual([]);
    expect(runs[2]!.metrics?.recordSummary?.inputRecordCount).toBe(10);
    const d = runs[2]!.metrics!.durationSummary!;
    expect(d.completedAtUTC! - d.startedAtUTC!).toBe(90_000);
    const flow = await api.flow();
    expect(flow).toMatchObject({ frequency: 'hour', interval: 1 });
    expect(flow?.lastRunDetails).toEqual({
      id: runs[2]!.id,
      state: 'success',
      startedAtUTC: NOW - HOUR,
      completedAtUTC: NOW - HOUR + 90_000,
    });
  });

  it('applies the start-time filter when told to, and ignores it by default', async () => {
    const history = scheduledHistory(FLOW, { fromMs: NOW - 10 * HOUR, toMs: NOW - HOUR, everyMs: HOUR });
    const since = `&property=metrics.durationSummary.startedAtUTC>${NOW - 3.5 * HOUR}`;
    let api = await start({ existingRuns: history });
    expect(await api.list(since)).toHaveLength(10);
    await emulator.close();
    api = await start({ existingRuns: history, startTimeFilter: 'applied' });
    expect(await api.list(since)).toHaveLength(3);
    expect(await api.list()).toHaveLength(10);
  });
});
