import { describe, expect, it } from 'vitest';
import type { Flow, Run, ServiceErrorEntry } from '../../src/answers.ts';
import {
  allHealthy,
  assessFlow,
  failsStep,
  findingsOf,
  isFresh,
  isUnhealthy,
  reportEntry,
  runsInLookback,
  type FailOn,
  type FlowReading,
  type HealthRules,
} from '../../src/health.ts';

const FLOW = 'f1f1f1f1-0000-4000-8000-000000000001';
const NOW = 1_700_000_000_000; // epoch ms
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface RunSpec {
  id: string;
  status?: string;
  /** Hours before NOW that it started. */
  startedHoursAgo: number;
  /** How long it ran, minutes (finished runs). */
  minutes?: number;
  /** Window end, hours before NOW. */
  windowEndHoursAgo?: number;
  records?: { input?: number; failed?: number };
  errors?: ServiceErrorEntry[];
  flowId?: string;
  noDurations?: boolean;
}

function run(spec: RunSpec): Run {
  const started = NOW - spec.startedHoursAgo * HOUR;
  const status = spec.status ?? 'success';
  const finished = !['inProgress', 'scheduled', 'queued'].includes(status);
  const completed = finished ? started + (spec.minutes ?? 10) * 60_000 : undefined;
  const windowEnd = spec.windowEndHoursAgo === undefined ? undefined : (NOW - spec.windowEndHoursAgo * HOUR) / 1000;
  return {
    id: spec.id,
    etag: undefined,
    status,
    flowId: spec.flowId ?? FLOW,
    createdAt: started - 1000,
    params: undefined,
    metrics: {
      durationSummary: spec.noDurations ? undefined : { startedAtUTC: started, completedAtUTC: completed },
      recordSummary: spec.records
        ? { inputRecordCount: spec.records.input, failedRecordCount: spec.records.failed }
        : undefined,
    },
    errors: spec.errors ?? [],
    window: windowEnd === undefined ? undefined : { start: windowEnd - 3600, end: windowEnd, from: 'params' },
    diagnostics: { failedInfo: [], batchIds: [], sampleLinks: [] },
  };
}

function flow(extra: Partial<Flow> = {}): Flow {
  return { id: FLOW, name: 'Orders from S3', state: 'enabled', frequency: 'hour', deltaColumn: undefined, ...extra };
}

const rules = (extra: Partial<HealthRules> = {}): HealthRules => ({
  nowMs: NOW,
  lookbackMs: 7 * DAY,
  maxAgeMs: 26 * HOUR,
  ...extra,
});

const reading = (runs: Run[] | undefined, extra: Partial<FlowReading> = {}): FlowReading => ({
  flowId: FLOW,
  flow: flow(),
  runs,
  problems: [],
  ...extra,
});

const assess = (runs: Run[] | undefined, r: Partial<HealthRules> = {}, extra: Partial<FlowReading> = {}) =>
  assessFlow(reading(runs, extra), rules(r));

const ALL: FailOn = new Set(['stale', 'failed']);

describe('freshness', () => {
  it('is the window end of the newest successful run, and its age in seconds', () => {
    const h = assess([
      run({ id: 'old', startedHoursAgo: 30, windowEndHoursAgo: 30 }),
      run({ id: 'new', startedHoursAgo: 5, windowEndHoursAgo: 6 }),
    ]);
    expect(h.dataThrough).toBe((NOW - 6 * HOUR) / 1000);
    expect(h.ageSeconds).toBe(6 * 3600);
    expect(h.stale).toBe(false);
    expect(h.lastSuccess?.id).toBe('new');
    expect(h.lastSuccessAt).toBe((NOW - 5 * HOUR + 10 * 60_000) / 1000);
  });

  it('counts a partial success as bringing data in, and a failure or a pending run as not', () => {
    const h = assess([
      run({ id: 'partial', status: 'partialSuccess', startedHoursAgo: 20, windowEndHoursAgo: 20 }),
      run({ id: 'failed', status: 'failed', startedHoursAgo: 2, windowEndHoursAgo: 2 }),
      run({ id: 'running', status: 'inProgress', startedHoursAgo: 1, windowEndHoursAgo: 1 }),
    ]);
    expect(h.dataThrough).toBe((NOW - 20 * HOUR) / 1000);
    expect(h.lastSuccess?.id).toBe('partial');
  });

  it('takes the latest data end, so that a late re-run of an old window does not move freshness back', () => {
    const h = assess([
      run({ id: 'today', startedHoursAgo: 3, windowEndHoursAgo: 3 }),
      run({ id: 'backfill', startedHoursAgo: 1, windowEndHoursAgo: 100 }),
    ]);
    expect(h.dataThrough).toBe((NOW - 3 * HOUR) / 1000);
    expect(h.lastSuccess?.id).toBe('backfill'); // the newest success by completion
  });

  it('counts a run that shows no window from its completion', () => {
    const h = assess([run({ id: 'nowindow', startedHoursAgo: 4, minutes: 30 })]);
    expect(h.dataThrough).toBe((NOW - 4 * HOUR + 30 * 60_000) / 1000);
  });

  it('is stale past max-age, and fresh exactly at it', () => {
    expect(assess([run({ id: 'a', startedHoursAgo: 27, windowEndHoursAgo: 27 })]).stale).toBe(true);
    expect(assess([run({ id: 'a', startedHoursAgo: 26, windowEndHoursAgo: 26 })]).stale).toBe(false);
  });

  it('is never stale without max-age: freshness is only reported', () => {
    const h = assess([run({ id: 'a', startedHoursAgo: 100, windowEndHoursAgo: 100 })], { maxAgeMs: undefined });
    expect(h.stale).toBe(false);
    expect(h.ageSeconds).toBe(100 * 3600);
    expect(assess([], { maxAgeMs: undefined }).stale).toBe(false);
  });

  it('a flow with no success in lookback (or no run at all) is stale, with nulls', () => {
    for (const runs of [[], [run({ id: 'x', status: 'failed', startedHoursAgo: 1 })]]) {
      const h = assess(runs);
      expect(h.stale).toBe(true);
      expect(reportEntry(h)).toMatchObject({ lastSuccessAt: null, dataThrough: null, ageSeconds: null, stale: true });
    }
  });

  it('ignores a success older than lookback, even when the server listed it', () => {
    const h = assess([run({ id: 'ancient', startedHoursAgo: 8 * 24, windowEndHoursAgo: 8 * 24 })], {
      maxAgeMs: 365 * DAY,
    });
    expect(h.runCount).toBe(0);
    expect(h.dataThrough).toBeUndefined();
    expect(h.stale).toBe(true);
  });

  it('clamps the age of a window that ends in the future at zero', () => {
    expect(assess([run({ id: 'a', startedHoursAgo: 1, windowEndHoursAgo: -2 })]).ageSeconds).toBe(0);
  });
});

describe('the runs of lookback', () => {
  it('filters out other flows and runs before lookback, dedupes by ID and sorts newest first', () => {
    const runs = [
      run({ id: 'b', startedHoursAgo: 2 }),
      run({ id: 'other', startedHoursAgo: 1, flowId: 'f2f2f2f2-0000-4000-8000-000000000002' }),
      run({ id: 'a', startedHoursAgo: 3 }),
      run({ id: 'old', startedHoursAgo: 7 * 24 + 1 }),
      run({ id: 'c', status: 'inProgress', startedHoursAgo: 1 }),
      run({ id: 'c', status: 'success', startedHoursAgo: 1 }),
      run({ id: 'b', startedHoursAgo: 2 }),
    ];
    const got = runsInLookback(runs, FLOW, rules());
    expect(got.map((r) => r.id)).toEqual(['c', 'b', 'a']);
    expect(got[0]!.status).toBe('success'); // the read that knows the end
  });

  it('places a run that has no durationSummary by its creation', () => {
    const r = run({ id: 'queued', status: 'scheduled', startedHoursAgo: 1, noDurations: true });
    expect(runsInLookback([r], FLOW, rules()).map((x) => x.id)).toEqual(['queued']);
  });
});

describe('health over lookback', () => {
  const history = [
    run({ id: 'r1', startedHoursAgo: 50, minutes: 10, records: { input: 100, failed: 0 }, windowEndHoursAgo: 50 }),
    run({
      id: 'r2',
      status: 'failed',
      startedHoursAgo: 40,
      minutes: 2,
      records: { input: 0, failed: 0 },
      errors: [
        { code: 'CONNECTOR-1001-500', message: 'copy failed' },
        { code: 'CONNECTOR-1001-500', message: 'again' },
      ],
    }),
    run({
      id: 'r3',
      status: 'partialSuccess',
      startedHoursAgo: 30,
      minutes: 20,
      records: { input: 50, failed: 5 },
      errors: [{ code: 'MAPPER-3700-400', message: 'bad field' }],
      windowEndHoursAgo: 30,
    }),
    run({
      id: 'r4',
      status: 'FAILED',
      startedHoursAgo: 20,
      minutes: 4,
      records: { input: -1, failed: -1 },
      errors: [{ code: 'CONNECTOR-1001-500', message: 'copy failed' }],
    }),
    run({ id: 'r5', status: 'inProgress', startedHoursAgo: 1 }),
  ];

  it('counts runs, successes (partial ones too) and failures, on our side', () => {
    const h = assess(history);
    expect([h.runCount, h.succeeded, h.failed]).toEqual([5, 2, 2]);
  });

  it('takes the median duration of finished runs (mean of the middle two)', () => {
    // 2, 4, 10, 20 minutes: (4 + 10) / 2 = 7 minutes
    expect(assess(history).medianDurationSeconds).toBe(7 * 60);
    expect(assess(history.slice(0, 3)).medianDurationSeconds).toBe(10 * 60);
    expect(assess([]).medianDurationSeconds).toBeUndefined();
  });

  it('totals records in and failed over lookback, skipping the service’s -1', () => {
    const h = assess(history);
    expect([h.recordsIn, h.recordsFailed]).toEqual([150, 5]);
    expect(assess([run({ id: 'x', startedHoursAgo: 1 })]).recordsIn).toBeUndefined();
  });

  it('counts an error code once per run it stood in, most frequent first', () => {
    expect(assess(history).topErrors).toEqual([
      { code: 'CONNECTOR-1001-500', count: 2 },
      { code: 'MAPPER-3700-400', count: 1 },
    ]);
  });

  it('keeps five codes at most', () => {
    const errors = ['E-1', 'E-2', 'E-3', 'E-4', 'E-5', 'E-6'].map((code) => ({ code, message: '' }));
    const h = assess([run({ id: 'x', status: 'failed', startedHoursAgo: 1, errors })]);
    expect(h.topErrors.map((e) => e.code)).toEqual(['E-1', 'E-2', 'E-3', 'E-4', 'E-5']);
  });

  it('names the newest run even unfinished, but judges failure on the newest finished one', () => {
    const h = assess(history);
    expect(h.newest).toMatchObject({ id: 'r5', status: 'inProgress' });
    expect(h.newestFinished?.id).toBe('r4');
    expect(h.failing).toBe(true);
    expect(reportEntry(h)).toMatchObject({
      lastRunId: 'r5',
      lastRunStatus: 'inProgress',
      lastRunAt: (NOW - HOUR) / 1000,
    });
  });

  it('is not failing when a failure was followed by a success, nor for a partial success', () => {
    expect(assess([...history, run({ id: 'r6', startedHoursAgo: 0.5 })]).failing).toBe(false);
    expect(assess([run({ id: 'p', status: 'partialSuccess', startedHoursAgo: 1 })]).failing).toBe(false);
  });

  it('gives the newest failed run’s errors for the unhealthy flow’s section', () => {
    expect(assess(history).newestErrors.map((e) => e.code)).toEqual(['CONNECTOR-1001-500']);
    expect(assess([run({ id: 'ok', startedHoursAgo: 1 })]).newestErrors).toEqual([]);
  });
});

describe('lastRunDetails of the flow', () => {
  const last = (state: string, hoursAgo: number, id = 'newer') => ({
    id,
    state,
    startedAtUTC: NOW - hoursAgo * HOUR,
    completedAtUTC: NOW - hoursAgo * HOUR + 60_000,
  });

  it('names a newer run that lists do not show yet, and judges failure on it when it is final', () => {
    const runs = [run({ id: 'ok', startedHoursAgo: 2, windowEndHoursAgo: 2 })];
    const h = assess(runs, {}, { flow: flow({ lastRunDetails: last('failed', 0.1) }) });
    expect(h.newest).toMatchObject({ id: 'newer', status: 'failed', run: undefined });
    expect(h.failing).toBe(true);
    expect(h.dataThrough).toBe((NOW - 2 * HOUR) / 1000);
  });

  it('is ignored when it is older than the newest listed run or is a listed run', () => {
    const runs = [run({ id: 'bad', status: 'failed', startedHoursAgo: 2 })];
    expect(assess(runs, {}, { flow: flow({ lastRunDetails: last('success', 5) }) }).failing).toBe(true);
    expect(assess(runs, {}, { flow: flow({ lastRunDetails: last('success', 1, 'bad') }) }).newest?.id).toBe('bad');
  });

  it('names the newest run of a flow with no run in lookback', () => {
    const h = assess([], {}, { flow: flow({ lastRunDetails: last('success', 24 * 30) }) });
    expect(reportEntry(h)).toMatchObject({ lastRunId: 'newer', lastRunStatus: 'success', runs: 0, stale: true });
  });
});

describe('verdicts', () => {
  const fresh = () => assess([run({ id: 'a', startedHoursAgo: 1, windowEndHoursAgo: 1 })]);
  const staleOnly = () => assess([run({ id: 'a', startedHoursAgo: 30, windowEndHoursAgo: 30 })]);
  const failingOnly = () =>
    assess([
      run({ id: 'a', startedHoursAgo: 2, windowEndHoursAgo: 2 }),
      run({ id: 'b', status: 'failed', startedHoursAgo: 1 }),
    ]);

  it('finds stale and failed', () => {
    expect(findingsOf(fresh())).toEqual([]);
    expect(findingsOf(staleOnly())).toEqual(['stale']);
    expect(findingsOf(failingOnly())).toEqual(['failed']);
  });

  it('fails the step only on findings fail-on names', () => {
    const none: FailOn = new Set();
    expect(failsStep(staleOnly(), ALL)).toBe(true);
    expect(failsStep(staleOnly(), new Set(['failed']))).toBe(false);
    expect(failsStep(failingOnly(), new Set(['stale']))).toBe(false);
    expect(failsStep(failingOnly(), new Set(['failed']))).toBe(true);
    expect(failsStep(failingOnly(), none)).toBe(false);
    expect(allHealthy([fresh(), failingOnly()], ALL)).toBe(false);
    expect(allHealthy([fresh(), failingOnly()], new Set(['stale']))).toBe(true);
    // Unhealthy whatever fail-on says: for the summary's sections and for incidents.
    expect(isUnhealthy(failingOnly())).toBe(true);
    expect(isUnhealthy(fresh())).toBe(false);
  });

  it('fails the step for a flow that cannot be read, whatever fail-on says, naming why', () => {
    const h = assess(undefined, {}, { flow: undefined, problems: ['Flow X not found in sandbox prod.'] });
    expect(h.unreadable).toBe('Flow X not found in sandbox prod.');
    expect(failsStep(h, new Set())).toBe(true);
    expect(isFresh(h)).toBe(false);
  });

  it('still judges a flow whose read was refused when its runs were listed', () => {
    const h = assess(
      [run({ id: 'a', startedHoursAgo: 1, windowEndHoursAgo: 1 })],
      {},
      {
        flow: undefined,
        problems: ['Reading flow X was refused (403).'],
      },
    );
    expect(h.unreadable).toBeUndefined();
    expect(h.problems).toEqual(['Reading flow X was refused (403).']);
    expect(isFresh(h)).toBe(true);
    expect(reportEntry(h)).toMatchObject({ name: null, state: null, frequency: null, runs: 1 });
  });
});

describe('reportEntry', () => {
  it('has exactly the keys ACTION.md lists, in its order, with unix-second times', () => {
    const h = assess([
      run({ id: 'r1', startedHoursAgo: 3, minutes: 5, records: { input: 10, failed: 1 }, windowEndHoursAgo: 3 }),
    ]);
    expect(reportEntry(h, 'https://github.com/o/r/issues/1')).toStrictEqual({
      flowId: FLOW,
      name: 'Orders from S3',
      state: 'enabled',
      frequency: 'hour',
      lastRunId: 'r1',
      lastRunStatus: 'success',
      lastRunAt: (NOW - 3 * HOUR) / 1000,
      lastSuccessAt: (NOW - 3 * HOUR + 5 * 60_000) / 1000,
      dataThrough: (NOW - 3 * HOUR) / 1000,
      ageSeconds: 3 * 3600,
      stale: false,
      runs: 1,
      succeeded: 1,
      failed: 0,
      medianDurationSeconds: 300,
      recordsIn: 10,
      recordsFailed: 1,
      topErrors: [],
      issueUrl: 'https://github.com/o/r/issues/1',
    });
  });

  it('says null for everything unknown of a flow with no runs', () => {
    const entry = reportEntry(assess([], { maxAgeMs: undefined }, { flow: undefined }));
    expect(entry).toStrictEqual({
      flowId: FLOW,
      name: null,
      state: null,
      frequency: null,
      lastRunId: null,
      lastRunStatus: null,
      lastRunAt: null,
      lastSuccessAt: null,
      dataThrough: null,
      ageSeconds: null,
      stale: false,
      runs: 0,
      succeeded: 0,
      failed: 0,
      medianDurationSeconds: null,
      recordsIn: null,
      recordsFailed: null,
      topErrors: [],
      issueUrl: null,
    });
    expect(Object.keys(entry)).toEqual([
      'flowId',
      'name',
      'state',
      'frequency',
      'lastRunId',
      'lastRunStatus',
      'lastRunAt',
      'lastSuccessAt',
      'dataThrough',
      'ageSeconds',
      'stale',
      'runs',
      'succeeded',
      'failed',
      'medianDurationSeconds',
      'recordsIn',
      'recordsFailed',
      'topErrors',
      'issueUrl',
    ]);
  });
});
