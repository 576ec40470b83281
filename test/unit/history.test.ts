import { describe, expect, it } from 'vitest';
import {
  IN_FLIGHT_MS,
  MAX_WINDOWS,
  newestSuccess,
  nextWindow,
  originText,
  runsInFlight,
  splitWindows,
  windowsToCatchUp,
  withReads,
  type WindowRules,
} from '../../src/history.ts';
import { aRun } from '../builders.ts';

const T = 1_700_000_000; // unix seconds
const HOUR = 3600;

/** A run of the flow's history that took `window`, created a minute and completed five after its end. */
const run = (id: string, status: string | undefined, window?: [number, number], createdAt?: number) =>
  aRun({
    id,
    status,
    createdAt: createdAt ?? (window ? window[1] * 1000 + 60_000 : undefined),
    metrics: { durationSummary: { startedAtUTC: 1, completedAtUTC: (window?.[1] ?? T) * 1000 + 300_000 } },
    window,
  });

const rules = (extra: Partial<WindowRules> = {}): WindowRules => ({
  windowEnd: T + 10 * HOUR,
  firstWindowStart: undefined,
  maxWindowMs: undefined,
  ...extra,
});

describe('nextWindow', () => {
  it('starts where the newest successful window ended, whatever order the list came in', () => {
    const runs = [
      run('b', 'success', [T + HOUR, T + 2 * HOUR]),
      run('c', 'success', [T + 2 * HOUR, T + 3 * HOUR]),
      run('a', 'success', [T, T + HOUR]),
    ];
    for (const order of [runs, [...runs].reverse()]) {
      expect(nextWindow(order, rules())).toEqual({
        kind: 'window',
        start: T + 3 * HOUR,
        end: T + 10 * HOUR,
        origin: {
          kind: 'last success',
          runId: 'c',
          status: 'success',
          endedAt: (T + 3 * HOUR) * 1000 + 300_000,
          capped: false,
        },
      });
    }
  });

  it('takes a failed window again: a failure is not a success', () => {
    const runs = [run('ok', 'success', [T, T + HOUR]), run('bad', 'failed', [T + HOUR, T + 2 * HOUR])];
    expect(nextWindow(runs, rules())).toMatchObject({ kind: 'window', start: T + HOUR });
  });

  it.each(['SUCCESS', 'completed', 'Success', 'partialSuccess', 'PARTIAL_SUCCESS'])('counts %s as a success', (s) => {
    const runs = [run('ok', 'success', [T, T + HOUR]), run('new', s, [T + HOUR, T + 2 * HOUR])];
    expect(nextWindow(runs, rules())).toMatchObject({ start: T + 2 * HOUR, origin: { runId: 'new' } });
  });

  it.each(['failed', 'Failed', 'PARTIAL_FAILURE', 'cancelled', 'inProgress', 'scheduled', undefined])(
    'does not count %s as a success',
    (s) => {
      const runs = [run('ok', 'success', [T, T + HOUR]), run('other', s, [T + HOUR, T + 2 * HOUR])];
      expect(nextWindow(runs, rules())).toMatchObject({ start: T + HOUR, origin: { runId: 'ok' } });
    },
  );

  it('orders by window end, not by creation: a late re-run of an old window does not move it back', () => {
    const runs = [
      run('new', 'success', [T + HOUR, T + 2 * HOUR], T * 1000),
      run('rerun-of-old', 'success', [T, T + HOUR], (T + 5 * HOUR) * 1000),
    ];
    expect(nextWindow(runs, rules())).toMatchObject({ start: T + 2 * HOUR, origin: { runId: 'new' } });
  });

  it('breaks a tie of window ends by the newest run', () => {
    const runs = [
      run('older', 'success', [T, T + HOUR], T * 1000),
      run('newer', 'success', [T, T + HOUR], T * 1000 + 5),
      run('no-date', 'success', [T, T + HOUR], undefined),
    ];
    runs[2]!.createdAt = undefined;
    expect(newestSuccess(runs)?.run.id).toBe('newer');
  });

  it('caps a catch-up at max-window, and says so', () => {
    const runs = [run('ok', 'success', [T - HOUR, T])];
    expect(nextWindow(runs, rules({ maxWindowMs: 3 * HOUR * 1000 }))).toMatchObject({
      start: T,
      end: T + 3 * HOUR,
      origin: { capped: true },
    });
    // A cap longer than what is left changes nothing.
    expect(nextWindow(runs, rules({ maxWindowMs: 30 * HOUR * 1000 }))).toMatchObject({
      end: T + 10 * HOUR,
      origin: { capped: false },
    });
  });

  it('is empty when the newest success already reaches window-end', () => {
    const last = run('ok', 'success', [T, T + 10 * HOUR]);
    expect(nextWindow([last], rules())).toEqual({ kind: 'empty', after: { run: last, window: last.window } });
    const beyond = run('later', 'success', [T, T + 11 * HOUR]);
    expect(nextWindow([beyond], rules())).toMatchObject({ kind: 'empty', after: { run: { id: 'later' } } });
  });

  it('with no success, starts at first-window-start, capped too', () => {
    const runs = [run('bad', 'failed', [T, T + HOUR]), run('going', 'inProgress', [T + HOUR, T + 2 * HOUR])];
    expect(nextWindow(runs, rules({ firstWindowStart: T - HOUR }))).toEqual({
      kind: 'window',
      start: T - HOUR,
      end: T + 10 * HOUR,
      origin: { kind: 'first window', capped: false },
    });
    expect(nextWindow([], rules({ firstWindowStart: T, maxWindowMs: HOUR * 1000 }))).toMatchObject({
      start: T,
      end: T + HOUR,
      origin: { kind: 'first window', capped: true },
    });
  });

  it('with no success and no first-window-start, says so', () => {
    expect(nextWindow([], rules())).toEqual({ kind: 'no success' });
    expect(nextWindow([run('bad', 'failed', [T, T + HOUR])], rules())).toEqual({ kind: 'no success' });
  });

  it('never moves the window back: successes newer than any readable window stop it (issue #16)', () => {
    // Before, a success with no window counted as "no success": first-window-start ingested it again.
    const blind = run('ok', 'success', undefined, (T + 5 * HOUR) * 1000);
    const older = run('old', 'success', [T, T + HOUR]);
    for (const extra of [{}, { firstWindowStart: T - HOUR }]) {
      expect(nextWindow([blind, run('bad', 'failed', [T, T + HOUR])], rules(extra))).toEqual({
        kind: 'unreadable',
        runs: [blind],
      });
      expect(nextWindow([older, blind], rules(extra))).toEqual({ kind: 'unreadable', runs: [blind] });
    }
    // One older than the newest readable window changes nothing: the window starts after that one.
    const before = run('before', 'partialSuccess', undefined, T * 1000);
    expect(nextWindow([older, before], rules())).toMatchObject({ kind: 'window', start: T + HOUR });
  });
});

describe('runsInFlight', () => {
  const now = (T + 10 * HOUR) * 1000;
  it('keeps runs not final created in the last 24 hours, newest first', () => {
    const runs = [
      run('done', 'success', undefined, now - 1000),
      run('old', 'inProgress', undefined, now - IN_FLIGHT_MS - 1),
      run('queued', 'QUEUED', undefined, now - 60_000),
      run('going', 'inProgress', undefined, now - 5_000),
      run('edge', 'scheduled', undefined, now - IN_FLIGHT_MS),
      run('unknown-age', 'inProgress'),
      run('failed', 'Failed', undefined, now - 1000),
    ];
    expect(runsInFlight(runs, now).map((r) => r.id)).toEqual(['going', 'queued', 'edge']);
  });
});

describe('withReads', () => {
  it('puts what waiting read in place of what the list said, so the waited run counts', () => {
    const listed = [run('ok', 'success', [T, T + HOUR]), run('going', 'inProgress', [T + HOUR, T + 2 * HOUR])];
    const read = run('going', 'success', [T + HOUR, T + 2 * HOUR]);
    const runs = withReads(listed, [read]);
    expect(runs.map((r) => r.status)).toEqual(['success', 'success']);
    expect(nextWindow(runs, rules())).toMatchObject({ start: T + 2 * HOUR, origin: { runId: 'going' } });
  });
});

describe('originText', () => {
  it('says which run the window follows, how and when it ended, and whether it was capped', () => {
    const endedAt = (T + 300) * 1000;
    expect(originText({ kind: 'last success', runId: 'r1', status: 'SUCCESS', endedAt, capped: false })).toBe(
      'after run r1, which succeeded at 2023-11-14T22:18:20Z',
    );
    expect(
      originText(
        { kind: 'last success', runId: 'r1', status: 'partialSuccess', endedAt: undefined, capped: true },
        (id) => `<${id}>`,
      ),
    ).toBe('after run <r1>, which partially succeeded; capped by max-window');
    expect(originText({ kind: 'first window', capped: false })).toBe('first window: no successful run yet');
  });
});

describe('splitWindows', () => {
  it('splits a range into windows of exactly max-window, oldest first, the last one shorter', () => {
    expect(splitWindows({ start: T, end: T + 5 * HOUR + 1800 }, 2 * HOUR * 1000)).toEqual([
      { start: T, end: T + 2 * HOUR },
      { start: T + 2 * HOUR, end: T + 4 * HOUR },
      { start: T + 4 * HOUR, end: T + 5 * HOUR + 1800 },
    ]);
  });

  it('gives one window for a range no longer than max-window, none for an empty one; windows meet with no gap', () => {
    expect(splitWindows({ start: T, end: T + HOUR }, HOUR * 1000)).toEqual([{ start: T, end: T + HOUR }]);
    expect(splitWindows({ start: T, end: T }, HOUR * 1000)).toEqual([]);
    const days = splitWindows({ start: T, end: T + 90 * 24 * HOUR }, 24 * HOUR * 1000);
    expect(days).toHaveLength(90);
    days.slice(1).forEach((w, i) => expect(w.start).toBe(days[i]!.end));
  });
});

describe('windowsToCatchUp', () => {
  it('splits from where the newest success ended up to window-end, whatever max-window would cap', () => {
    const runs = [run('a', 'success', [T - HOUR, T]), run('b', 'failed', [T, T + HOUR])];
    const next = windowsToCatchUp(runs, { ...rules(), windowEnd: T + 3 * HOUR, maxWindowMs: HOUR * 1000 });
    expect(next).toMatchObject({
      kind: 'windows',
      windows: [
        { start: T, end: T + HOUR },
        { start: T + HOUR, end: T + 2 * HOUR },
        { start: T + 2 * HOUR, end: T + 3 * HOUR },
      ],
      origin: { kind: 'last success', runId: 'a', capped: false },
    });
  });

  it('from first-window-start with no success; nothing new or no success as nextWindow says', () => {
    const first = windowsToCatchUp([], {
      ...rules({ firstWindowStart: T }),
      windowEnd: T + 2 * HOUR,
      maxWindowMs: HOUR * 1000,
    });
    expect(first).toMatchObject({ kind: 'windows', origin: { kind: 'first window' } });
    expect(first.kind === 'windows' && first.windows).toHaveLength(2);
    expect(
      windowsToCatchUp([run('a', 'success', [T - HOUR, T])], { ...rules(), windowEnd: T, maxWindowMs: 1000 }).kind,
    ).toBe('empty');
    expect(windowsToCatchUp([], { ...rules(), maxWindowMs: 1000 }).kind).toBe('no success');
  });

  it('takes at most MAX_WINDOWS windows in one step, saying the range was capped', () => {
    const next = windowsToCatchUp([run('a', 'success', [T - HOUR, T])], {
      ...rules(),
      windowEnd: T + 2 * MAX_WINDOWS * HOUR,
      maxWindowMs: HOUR * 1000,
    });
    expect(next.kind === 'windows' && next.windows).toHaveLength(MAX_WINDOWS);
    expect(next).toMatchObject({ origin: { capped: true } });
  });
});
