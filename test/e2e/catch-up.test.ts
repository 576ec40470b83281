// Issue #19: catching up in one step (`catch-up`: a range split into windows, one run after another
// per flow) and the record gates (`min-records`, `max-failed-records`), run as the runner runs the
// bundled action against the emulator. Requests are counted where the floor matters: per window one
// run request and its reads, and one list of the flow's runs per step.
import { describe, expect, it } from 'vitest';
import type { Emulator, EmulatorOptions, ExistingRun, FlowScenario } from '../emulator/emulator.ts';
import { useEmulator } from './fixture.ts';
import { baseInputs, FLOW_ID, type ActionResult } from './harness.ts';

const W = 1_700_000_000; // a window boundary, unix seconds
const H = 3600;
const OTHER = '22222222-2222-4222-8222-222222222222';

const e2e = useEmulator();
let emulator: Emulator;

async function emulate(flow: FlowScenario = {}, options: EmulatorOptions = {}): Promise<Emulator> {
  emulator = await e2e.start({ flows: { [FLOW_ID]: { sourceType: 'file', ...flow } }, ...options });
  return emulator;
}

/** A backfill of [start, end) in windows of `maxWindow`. */
const backfill = (start: number, end: number, extra: Record<string, string> = {}) =>
  baseInputs(emulator, {
    'window-start': String(start),
    'window-end': String(end),
    'catch-up': 'true',
    'max-window': '1h',
    'poll-interval': '20ms',
    ...extra,
  });

const routes = () => emulator.requests.map((r) => r.route);
/** The windows of every run request, in the order sent. */
const sentWindows = (flowId = FLOW_ID) =>
  emulator.requests
    .filter((r) => r.route === 'create')
    .map((r) => JSON.parse(r.body) as { flowId: string; params: { windowStartTime: number; windowEndTime: number } })
    .filter((b) => b.flowId === flowId)
    .map((b) => [b.params.windowStartTime, b.params.windowEndTime]);
const runsOutput = (result: ActionResult) => JSON.parse(result.outputs.runs!) as Array<Record<string, unknown>>;
const idsOf = (flowId = FLOW_ID) =>
  emulator
    .runsOf(flowId)
    .sort((a, b) => a.createdAt - b.createdAt)
    .map((r) => r.id);
const notices = (result: ActionResult) => result.stdout.split('\n').filter((l) => l.startsWith('::notice::'));

describe('catch-up over a given range (a backfill)', () => {
  it('splits the range into windows of max-window, oldest first, one run after another, at the request floor', async () => {
    await emulate({ statuses: ['inProgress', 'success'] });
    const result = await e2e.run(backfill(W, W + 2 * H + 1800));
    expect(result.code, result.stdout).toBe(0);
    expect(sentWindows()).toEqual([
      [W, W + H],
      [W + H, W + 2 * H],
      [W + 2 * H, W + 2 * H + 1800],
    ]);
    // Per window: one run request and its reads; no list (no last-success, no if-running guard).
    expect(routes()).toEqual(['token', 'flow', ...Array(3).fill(['create', 'read', 'read']).flat()]);
    const ids = idsOf();
    expect(result.outputs['run-id']).toBe(ids[2]);
    expect(result.outputs.status).toBe('success');
    expect(result.outputs['window-start']).toBe(String(W));
    expect(result.outputs['window-end']).toBe(String(W + 2 * H + 1800));
    expect(result.outputs['windows-left']).toBe('0');
    expect(runsOutput(result)[0]).toMatchObject({
      runId: ids[2],
      attempts: ids,
      recordsIn: 1200,
      recordsFailed: 10,
      windows: [
        { start: W, end: W + H, runId: ids[0], status: 'success' },
        { start: W + H, end: W + 2 * H, runId: ids[1], status: 'success' },
        { start: W + 2 * H, end: W + 2 * H + 1800, runId: ids[2], status: 'success' },
      ],
    });
    // The log tells each window once; the summary lists them in one table.
    for (const n of [1, 2, 3]) expect(result.stdout.split(`Window ${n} of 3:`)).toHaveLength(2);
    expect(result.stdout).toContain('Caught up: 3 windows ingested, up to 2023-11-15T00:43:20Z.');
    expect(result.summary).toContain('| Window | Start | End | Run | Status | Records |');
    expect(result.summary).toContain(
      `| 3 | 2023-11-15T00:13:20Z | 2023-11-15T00:43:20Z | [<code>${ids[2]}</code>](https://experience.adobe.com/`,
    );
    expect(result.summary).toContain('| Windows | 3 of 3 sent |');
  });

  it('stops at the window whose run fails, naming the first window not ingested, and starts no later one', async () => {
    await emulate({
      attempts: [{ statuses: ['success'] }, { statuses: ['inProgress', 'failed'] }, { statuses: ['success'] }],
    });
    const result = await e2e.run(backfill(W, W + 4 * H));
    expect(result.code).toBe(1);
    expect(sentWindows()).toEqual([
      [W, W + H],
      [W + H, W + 2 * H],
    ]);
    const ids = idsOf();
    expect(result.errors).toEqual([
      expect.stringMatching(
        new RegExp(
          `^Run ${ids[1]} of flow ${FLOW_ID} ended failed.*The first window not ingested is 2023-11-14T23:13:20Z → ` +
            // Then what failed-records (codes, the default) found of the window's rejected records.
            '2023-11-15T00:13:20Z \\(window 2 of 4\\) and the 2 windows after it, up to 2023-11-15T02:13:20Z\\.( Row errors .*)?$',
        ),
      ),
    ]);
    expect(result.outputs['windows-left']).toBe('2');
    expect(result.outputs['run-id']).toBe(ids[1]);
    expect(result.outputs['window-end']).toBe(String(W + 2 * H));
    expect(runsOutput(result)[0]!.windows).toEqual([
      { start: W, end: W + H, runId: ids[0], status: 'success' },
      { start: W + H, end: W + 2 * H, runId: ids[1], status: 'failed' },
    ]);
    expect(result.summary).toContain('2 windows not started: 2023-11-15T00:13:20Z → 2023-11-15T02:13:20Z.');
  });

  it('re-triggers a failed window while retries allow, and goes on with the next window', async () => {
    await emulate({ attempts: [{ statuses: ['success'] }, { statuses: ['failed'] }, { statuses: ['success'] }] });
    const result = await e2e.run(backfill(W, W + 3 * H, { retries: '1' }));
    expect(result.code, result.stdout).toBe(0);
    expect(emulator.count('retrigger')).toBe(1);
    expect(sentWindows()).toHaveLength(3);
    const runs = runsOutput(result)[0]!;
    expect(runs.attempts).toHaveLength(4); // three windows, one of them tried twice
    expect((runs.windows as unknown[]).map((w) => (w as { status: string }).status)).toEqual([
      'success',
      'success',
      'success',
    ]);
  });

  it('fails at the timeout with windows left, naming the first window not ingested', async () => {
    await emulate({ finishAfterMs: 300 });
    const result = await e2e.run(backfill(W, W + 20 * H, { timeout: '1s', 'poll-interval': '50ms' }));
    expect(result.code).toBe(1);
    const sent = sentWindows().length;
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(20);
    const left = Number(result.outputs['windows-left']);
    expect(left).toBe(20 - sent);
    expect(result.errors[0]).toMatch(
      /^The step's timeout \(1s\) came with \d+ windows not started\..*The first window not ingested is/,
    );
    expect(result.errors[0]).toContain("Run the step again with 'window-start' at that window's start");
    // Nothing is sent after the deadline.
    const lastAt = Math.max(...emulator.requests.map((r) => r.at));
    expect(lastAt - emulator.requests[0]!.at).toBeLessThan(1500);
  });

  it('stops at once when the job is cancelled during a window, requests no later window, and names what is left', async () => {
    await emulate({ attempts: [{ statuses: ['success'] }, { statuses: ['inProgress'] }] });
    let sentAt = 0;
    const result = await e2e.run(backfill(W, W + 3 * H, { 'poll-interval': '100ms' }), {
      onStart: (child) => {
        const timer = setInterval(() => {
          if (emulator.count('create') === 2 && emulator.count('read') >= 2) {
            clearInterval(timer);
            sentAt = Date.now();
            child.kill('SIGTERM');
          }
        }, 10);
      },
    });
    expect(result.code).not.toBe(0);
    expect(Date.now() - sentAt).toBeLessThan(1500);
    const ids = idsOf();
    expect(ids).toHaveLength(2);
    expect(result.errors[0]).toMatch(
      new RegExp(`cancelled while waiting for run ${ids[1]} .*The first window not ingested is .*\\(window 2 of 3\\)`),
    );
    expect(result.outputs['windows-left']).toBe('1');
    const requestsAtExit = emulator.requests.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(emulator.requests.length).toBe(requestsAtExit);
  });

  it('prints every window a dry run would send, and sends nothing', async () => {
    await emulate();
    const result = await e2e.run(backfill(W, W + 3 * H, { 'dry-run': 'true' }));
    expect(result.code, result.stdout).toBe(0);
    expect(emulator.requests).toEqual([]);
    for (const [start, end] of [
      [W, W + H],
      [W + H, W + 2 * H],
      [W + 2 * H, W + 3 * H],
    ]) {
      expect(result.stdout).toContain(`"windowStartTime": ${start},\n    "windowEndTime": ${end}`);
    }
  });
});

describe('catch-up after the last success', () => {
  /** A success of the flow's history that took this window. */
  const past = (window: [number, number]): ExistingRun => ({
    flowId: FLOW_ID,
    createdAt: window[1] * 1000 + 120_000,
    status: 'success',
    params: { startTime: window[1], windowStartTime: window[0], windowEndTime: window[1] },
  });

  it('at the timeout with windows left, succeeds with a notice; the next step resumes there', async () => {
    await emulate({ finishAfterMs: 300 }, { existingRuns: [past([W - H, W])] });
    const inputs = baseInputs(emulator, {
      'window-start': 'last-success',
      'window-end': String(W + 20 * H),
      'catch-up': 'true',
      'max-window': '1h',
      timeout: '1s',
      'poll-interval': '50ms',
    });
    const result = await e2e.run(inputs);
    expect(result.code, result.stdout).toBe(0);
    expect(result.errors).toEqual([]);
    const sent = sentWindows();
    expect(sent[0]).toEqual([W, W + H]);
    expect(Number(result.outputs['windows-left'])).toBe(20 - sent.length);
    expect(notices(result)).toEqual([
      expect.stringMatching(/timeout \(1s\) came with \d+ windows not started.*The next step resumes/),
    ]);
    // One list of the flow's runs per step: the window and the guard share it.
    expect(emulator.count('list')).toBe(1);
    expect(emulator.count('create')).toBe(sent.length);
  });
});

describe('several flows catching up', () => {
  it('go side by side, and never run two windows of one flow at once', async () => {
    emulator = await e2e.start({
      flows: { [FLOW_ID]: { finishAfterMs: 120 }, [OTHER]: { finishAfterMs: 120 } },
    });
    const result = await e2e.run(
      backfill(W, W + 3 * H, { 'flow-id': `${FLOW_ID}\n${OTHER}`, 'poll-interval': '30ms' }),
    );
    expect(result.code, result.stdout).toBe(0);
    expect(result.outputs['windows-left']).toBe('0\n0');
    const creates = emulator.requests.filter((r) => r.route === 'create');
    for (const flowId of [FLOW_ID, OTHER]) {
      expect(sentWindows(flowId)).toHaveLength(3);
      const runs = emulator.runsOf(flowId).sort((a, b) => a.createdAt - b.createdAt);
      // Each window's run request comes after the read that showed the window before it final.
      for (let k = 1; k < runs.length; k += 1) {
        const request = creates.find(
          (r) => (JSON.parse(r.body) as { flowId: string }).flowId === flowId && r.at >= runs[k - 1]!.finalAt!,
        );
        expect(runs[k - 1]!.finalAt, `window ${k} of ${flowId} ended`).toBeDefined();
        expect(runs[k]!.createdAt).toBeGreaterThanOrEqual(runs[k - 1]!.finalAt!);
        expect(request).toBeDefined();
      }
    }
    // Side by side: the other flow's first run starts before this flow's last one.
    const first = emulator.runsOf(OTHER).sort((a, b) => a.createdAt - b.createdAt)[0]!;
    const last = emulator.runsOf(FLOW_ID).sort((a, b) => b.createdAt - a.createdAt)[0]!;
    expect(first.createdAt).toBeLessThan(last.createdAt);
    expect(result.summary.match(/\| Window \| Start \| End \| Run \| Status \| Records \|/g)).toHaveLength(2);
  });
});

describe('record gates', () => {
  const waited = (extra: Record<string, string>) =>
    baseInputs(emulator, { wait: 'true', 'poll-interval': '20ms', ...extra });

  it('passes a run that meets them', async () => {
    await emulate({ statuses: ['success'], records: { input: 1000, created: 995, failed: 5 } });
    const result = await e2e.run(waited({ 'min-records': '1000', 'max-failed-records': '0.5%' }));
    expect(result.code, result.stdout).toBe(0);
    expect(runsOutput(result)[0]).toMatchObject({ status: 'success', error: null, recordsIn: 1000, recordsFailed: 5 });
  });

  it('fails a success that read nothing, with the figures; status stays as spelled; retries do not re-trigger it', async () => {
    await emulate({ statuses: ['success'], records: { input: 0, created: 0, failed: 0 } });
    const result = await e2e.run(waited({ 'min-records': '1', retries: '2' }));
    expect(result.code).toBe(1);
    const id = idsOf()[0];
    const message = `Run ${id} of flow ${FLOW_ID} ended success having read 0 input records, fewer than 'min-records' (1): it ingested nothing.`;
    expect(result.errors).toEqual([expect.stringContaining(message)]);
    expect(result.outputs.status).toBe('success');
    expect(runsOutput(result)[0]).toMatchObject({ status: 'success', error: expect.stringContaining(message) });
    expect(emulator.count('retrigger')).toBe(0);
    expect(result.summary).toContain('having read 0 input records, fewer than');
  });

  it('fails a run with more failed records than the share allows', async () => {
    await emulate({ statuses: ['partialSuccess'], records: { input: 1000, created: 994, failed: 6 } });
    const result = await e2e.run(waited({ 'max-failed-records': '0.5%' }));
    expect(result.code).toBe(1);
    expect(result.errors[0]).toContain(
      "ended partialSuccess with 6 of 1,000 input records failed (0.6%), more than 'max-failed-records' (0.5%).",
    );
    expect(result.outputs.status).toBe('partialSuccess');
  });

  it('fails a gate whose counts are missing, saying so', async () => {
    await emulate({ statuses: ['success'], records: 'none' });
    const result = await e2e.run(waited({ 'min-records': '1' }));
    expect(result.code).toBe(1);
    expect(result.errors[0]).toContain(
      "ended success, but its metrics show no input record count, so 'min-records' (1) cannot be checked",
    );
    expect(runsOutput(result)[0]).toMatchObject({ status: 'success', recordsIn: null, recordsFailed: null });
  });

  it('judges each window of a catch-up: a breach stops the flow like a failed run', async () => {
    await emulate({
      statuses: ['success'],
      attempts: [{ records: { input: 50, created: 50, failed: 0 } }, { records: { input: 0, created: 0, failed: 0 } }],
    });
    const result = await e2e.run(backfill(W, W + 3 * H, { 'min-records': '1' }));
    expect(result.code).toBe(1);
    expect(sentWindows()).toHaveLength(2);
    expect(result.outputs['windows-left']).toBe('1');
    expect(result.errors[0]).toMatch(
      /fewer than 'min-records' \(1\): it ingested nothing\..*The first window not ingested is 2023-11-14T23:13:20Z → 2023-11-15T00:13:20Z \(window 2 of 3\)/,
    );
    expect(runsOutput(result)[0]!.windows).toEqual([
      expect.objectContaining({ status: 'success' }),
      expect.objectContaining({ status: 'success' }),
    ]);
  });
});
