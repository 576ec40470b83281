import { describe, expect, it } from 'vitest';
import type { Run } from '../../src/answers.ts';
import { waitForRun } from '../../src/wait.ts';

const run = (status: string | undefined): Run => ({
  id: 'r1',
  etag: undefined,
  status,
  flowId: undefined,
  createdAt: undefined,
  params: undefined,
  metrics: undefined,
  errors: [],
  window: undefined,
  diagnostics: { failedInfo: [], batchIds: [], sampleLinks: [] },
});

/** A clock that moves only when the loop sleeps. */
function fakeTime() {
  let now = 1_000_000;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    sleeps,
  };
}

describe('waitForRun', () => {
  it('reads every interval until a final status, reporting each change once', async () => {
    const time = fakeTime();
    const statuses = ['inProgress', 'inProgress', 'inProgress', 'success'];
    const changes: string[] = [];
    const result = await waitForRun({
      run: run('scheduled'),
      readRun: async () => run(statuses.shift()),
      pollIntervalMs: 30_000,
      deadline: time.now() + 3_600_000,
      signal: new AbortController().signal,
      onStatusChange: (r, previous) => changes.push(`${previous}->${r.status}`),
      ...time,
    });
    expect(result).toMatchObject({ end: 'final', reads: 4, run: { status: 'success' } });
    expect(time.sleeps).toEqual([30_000, 30_000, 30_000, 30_000]);
    expect(changes).toEqual(['scheduled->inProgress', 'inProgress->success']);
  });

  it('does not read at all when the run is already final', async () => {
    const time = fakeTime();
    const result = await waitForRun({
      run: run('success'),
      readRun: async () => expect.fail('no read expected'),
      pollIntervalMs: 1000,
      deadline: time.now() + 10_000,
      signal: new AbortController().signal,
      ...time,
    });
    expect(result).toMatchObject({ end: 'final', reads: 0 });
  });

  it('makes its last read just before the deadline (none after it), then times out with the last status', async () => {
    const time = fakeTime();
    const result = await waitForRun({
      run: run('scheduled'),
      readRun: async () => run('inProgress'),
      pollIntervalMs: 30_000,
      deadline: time.now() + 70_000,
      signal: new AbortController().signal,
      ...time,
    });
    expect(result).toMatchObject({ end: 'timeout', reads: 3, run: { status: 'inProgress' } });
    expect(time.sleeps).toEqual([30_000, 30_000, 9_900]);
  });

  it('ends as cancelled, with the last known run, when the signal fires', async () => {
    const controller = new AbortController();
    let reads = 0;
    const result = await waitForRun({
      run: run('scheduled'),
      readRun: async () => {
        reads += 1;
        if (reads === 2) controller.abort();
        return run('inProgress');
      },
      pollIntervalMs: 5,
      deadline: Date.now() + 60_000,
      signal: controller.signal,
    });
    expect(result).toMatchObject({ end: 'cancelled', run: { status: 'inProgress' } });
  });

  it('passes a read error on', async () => {
    const time = fakeTime();
    await expect(
      waitForRun({
        run: run('scheduled'),
        readRun: async () => {
          throw new Error('boom');
        },
        pollIntervalMs: 1,
        deadline: time.now() + 10_000,
        signal: new AbortController().signal,
        ...time,
      }),
    ).rejects.toThrow('boom');
  });

  describe('a run restarted under its own ID (earlierEnd)', () => {
    const ended = { ...run('failed'), etag: '"old"' };
    const wait = (start: Run, reads: Run[]) => {
      const time = fakeTime();
      return waitForRun({
        run: start,
        readRun: async () => reads.shift() ?? expect.fail('too many reads'),
        pollIntervalMs: 1000,
        deadline: time.now() + 60_000,
        signal: new AbortController().signal,
        earlierEnd: ended,
        ...time,
      });
    };

    it('takes a final status with the earlier etag for the earlier end, and waits for the new one', async () => {
      const result = await wait(ended, [ended, ended, { ...run('success'), etag: '"new"' }]);
      expect(result).toMatchObject({ end: 'final', reads: 3, run: { status: 'success', etag: '"new"' } });
    });

    it('takes a new failure for this attempt’s end once the run has been seen running', async () => {
      const result = await wait(ended, [run('inProgress'), run('failed')]);
      expect(result).toMatchObject({ end: 'final', reads: 2, run: { status: 'failed' } });
    });

    it('times out rather than end on the earlier end', async () => {
      const time = fakeTime();
      const result = await waitForRun({
        run: ended,
        readRun: async () => ended,
        pollIntervalMs: 10_000,
        deadline: time.now() + 30_000,
        signal: new AbortController().signal,
        earlierEnd: ended,
        ...time,
      });
      expect(result.end).toBe('timeout');
      // What it read was the earlier end: nothing is known of this attempt's status.
      expect(result.run.status).toBeUndefined();
    });

    it('takes an answer with no status (the old run unchanged) as telling nothing yet', async () => {
      const unchanged = { ...ended, status: undefined };
      const result = await wait(unchanged, [ended, { ...run('success'), etag: '"new"' }]);
      expect(result).toMatchObject({ end: 'final', reads: 2, run: { status: 'success' } });
    });
  });
});
