// What the action reads of a run answer in the spellings Adobe's own files use.
import { describe, expect, it } from 'vitest';
import { parseBriefRunPage, parseRunAnswer, parseRunPage, ServiceError } from '../../src/answers.ts';

const RUN = '7af3ba45-4952-4371-8361-1b30134be7eb';
const answer = (run: Record<string, unknown>) => ({
  status: 200,
  headers: {},
  text: JSON.stringify({ items: [{ id: RUN, metrics: { statusSummary: { status: 'success' } }, ...run }] }),
});
const copyActivity = {
  id: 'copyActivity',
  durationSummary: { extensions: { windowStart: 1_700_000_000_000, windowEnd: 1_700_003_600_000 } },
  statusSummary: { errors: [{ code: 'CONNECTOR-1001-500', message: 'copy failed' }] },
};

describe('parseRunAnswer', () => {
  it("reads the window and errors from 'activites', as Adobe's OpenAPI file (FlowRunItemDTO) spells it", () => {
    for (const key of ['activities', 'activites']) {
      const run = parseRunAnswer(answer({ [key]: [copyActivity] }), 'the read', { runId: RUN });
      expect(run.window, key).toEqual({ start: 1_700_000_000, end: 1_700_003_600, from: 'copy activity' });
      expect(run.errors, key).toEqual([{ code: 'CONNECTOR-1001-500', message: 'copy failed' }]);
    }
  });
});

describe('parseBriefRunPage', () => {
  const FLOW = '3abea21c-7e36-4be1-bec1-d3bad0e3e0de';
  const id = (n: number) => `7af3ba45-4952-4371-8361-1b30134be7${String(n).padStart(2, '0')}`;
  const page = (items: unknown[]) => ({ status: 200, headers: {}, text: JSON.stringify({ items }) });
  const timed = { durationSummary: { startedAtUTC: 1_700_000_100_000, completedAtUTC: 1_700_000_400_000 } };
  // Every shape a listed run is known to come in, and the faults a list may hold.
  const items = [
    {
      id: id(1),
      flowId: FLOW,
      createdAt: 1_700_000_000_000,
      params: { windowStartTime: 1_699_996_400, windowEndTime: 1_700_000_000 },
      metrics: {
        ...timed,
        statusSummary: { status: 'success' },
        recordSummary: { inputRecordCount: 1200, createdRecordCount: 1190, failedRecordCount: 10 },
      },
    },
    { id: id(2), metrics: { ...timed, statusSummary: { status: 'failed' } }, activities: [copyActivity] },
    { id: id(3), metrics: { statusSummary: { status: 'failed' } }, activites: [copyActivity] },
    {
      id: id(4),
      params: { windowStartTime: '1699996400', windowEndTime: '1700000000' },
      metrics: {
        statusSummary: {
          status: 'partialSuccess',
          errors: [{ code: 'CONNECTOR-2001-500', message: 'x', recordCount: 3 }],
        },
      },
      activities: [
        {
          id: 'copyActivity',
          statusSummary: { extensions: { errors: [{ code: 'CONNECTOR-3003-500', message: 'z' }] } },
        },
        {
          id: 'promotionActivity',
          statusSummary: {
            errors: [
              { code: 'INGEST-1212-400', message: 'y' },
              { code: 'CONNECTOR-2001-500', message: 'x' },
            ],
          },
        },
      ],
    },
    {
      id: id(5),
      flowId: FLOW,
      createdAt: '1700000000000',
      params: ['not', 'an', 'object'],
      metrics: {
        statusSummary: { status: '::error::forged\n##[warning]x' },
        durationSummary: 'soon',
        recordSummary: { inputRecordCount: '12', failedRecordCount: -1 },
      },
      activities: { id: 'copyActivity' },
    },
    { id: id(6), metrics: 'none', activities: [null, 'x', { id: 'copyActivity', durationSummary: 7 }] },
  ];

  it('reads of each listed run what the whole read does: status, times, window, records, errors', () => {
    const whole = parseRunPage(page(items), 'the list');
    const brief = parseBriefRunPage(page(items), 'the list');
    expect(brief.runs).toHaveLength(items.length);
    brief.runs.forEach((b, i) => {
      const w = whole.runs[i]!;
      expect(b, `run ${i + 1}`).toEqual({
        id: w.id,
        flowId: w.flowId,
        status: w.status,
        createdAt: w.createdAt,
        errors: w.errors,
        window: w.window,
        metrics: b.metrics,
      });
      expect(b.metrics?.durationSummary, `run ${i + 1}`).toEqual(
        w.metrics?.durationSummary && {
          startedAtUTC: w.metrics.durationSummary.startedAtUTC,
          completedAtUTC: w.metrics.durationSummary.completedAtUTC,
        },
      );
      expect(b.metrics?.recordSummary?.inputRecordCount).toBe(w.metrics?.recordSummary?.inputRecordCount);
      expect(b.metrics?.recordSummary?.failedRecordCount).toBe(w.metrics?.recordSummary?.failedRecordCount);
    });
    // Not vacuous: the list holds windows of both kinds, errors, counts and an inert status.
    expect(brief.runs.map((r) => r.window?.from)).toEqual([
      'params',
      'copy activity',
      'copy activity',
      'params',
      undefined,
      undefined,
    ]);
    expect(brief.runs[3]!.errors.map((e) => e.code)).toEqual([
      'CONNECTOR-2001-500',
      'CONNECTOR-3003-500',
      'INGEST-1212-400',
    ]);
    expect(brief.runs[0]!.metrics?.recordSummary?.failedRecordCount).toBe(10);
    expect(brief.runs[4]!.status).toBe(': :error::forged ## [warning]x');
  });

  it('refuses what the whole read refuses: a run without an ID, or with an ID not in its form', () => {
    for (const bad of [{ metrics: {} }, { id: 'esse ut occaecat' }, { id: id(1), flowId: '../flows' }]) {
      const thrown = (read: () => unknown) => {
        try {
          read();
        } catch (error) {
          return error;
        }
        throw new Error(`${JSON.stringify(bad)} was read`);
      };
      const whole = thrown(() => parseRunPage(page([items[0], bad]), 'the list'));
      const brief = thrown(() => parseBriefRunPage(page([items[0], bad]), 'the list'));
      expect(brief, JSON.stringify(bad)).toBeInstanceOf(ServiceError);
      expect((brief as Error).message).toBe((whole as Error).message);
    }
  });
});
