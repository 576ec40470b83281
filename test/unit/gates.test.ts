import { describe, expect, it } from 'vitest';
import { judgeGates, parseFailedLimit, type RecordGates } from '../../src/gates.ts';
import { aRun } from '../builders.ts';

/** A run that ended `status` with these counts (undefined: the count is missing from its metrics). */
const ended = (input: number | undefined, failed: number | undefined, status = 'success') =>
  aRun({
    id: 'r1',
    status,
    metrics: { statusSummary: { status }, recordSummary: { inputRecordCount: input, failedRecordCount: failed } },
  });

describe('parseFailedLimit', () => {
  it.each([
    ['0', { kind: 'count', count: 0 }],
    ['500', { kind: 'count', count: 500 }],
    ['1%', { kind: 'share', percent: 1 }],
    ['0.5%', { kind: 'share', percent: 0.5 }],
    ['100%', { kind: 'share', percent: 100 }],
  ])('reads %s', (text, limit) => {
    expect(parseFailedLimit(text)).toEqual(limit);
  });

  it.each(['-1', '1.5', '101%', '%', 'five', '0.5 percent'])('refuses %s', (text) => {
    expect(parseFailedLimit(text)).toBeUndefined();
  });
});

describe('judgeGates', () => {
  it('passes a run with no gates, and one that meets each gate exactly', () => {
    expect(judgeGates(ended(0, 0), {})).toBeUndefined();
    const gates: RecordGates = { minRecords: 1000, maxFailedRecords: { kind: 'count', count: 5 } };
    expect(judgeGates(ended(1000, 5), gates)).toBeUndefined();
    // 5 of 1000 is 0.5%: at the limit, not over it.
    expect(judgeGates(ended(1000, 5), { maxFailedRecords: { kind: 'share', percent: 0.5 } })).toBeUndefined();
  });

  it('fails a run that read fewer records than min-records, with the figures', () => {
    expect(judgeGates(ended(0, 0), { minRecords: 1 })).toEqual({
      gate: 'min-records',
      recordsIn: 0,
      recordsFailed: 0,
      countsMissing: false,
      message: "Run r1 ended success having read 0 input records, fewer than 'min-records' (1): it ingested nothing.",
    });
    expect(judgeGates(ended(999, 0), { minRecords: 1000 })?.message).toBe(
      "Run r1 ended success having read 999 input records, fewer than 'min-records' (1,000).",
    );
  });

  it('fails a run with more failed records than a count or a share allows, with the figures', () => {
    expect(judgeGates(ended(1000, 6), { maxFailedRecords: { kind: 'count', count: 5 } })?.message).toBe(
      "Run r1 ended success with 6 of 1,000 input records failed (0.6%), more than 'max-failed-records' (5).",
    );
    expect(
      judgeGates(ended(1000, 6, 'partialSuccess'), { maxFailedRecords: { kind: 'share', percent: 0.5 } }),
    ).toMatchObject({
      gate: 'max-failed-records',
      recordsIn: 1000,
      recordsFailed: 6,
      message:
        "Run r1 ended partialSuccess with 6 of 1,000 input records failed (0.6%), more than 'max-failed-records' (0.5%).",
    });
  });

  it('fails a gate whose counts are missing, saying so, rather than passing it silently', () => {
    expect(judgeGates(aRun({ id: 'r1', status: 'success' }), { minRecords: 1 })).toMatchObject({
      gate: 'min-records',
      countsMissing: true,
      message:
        "Run r1 ended success, but its metrics show no input record count, so 'min-records' (1) cannot be checked: " +
        'a gate that cannot be checked does not pass.',
    });
    expect(judgeGates(ended(100, undefined), { maxFailedRecords: { kind: 'count', count: 0 } })?.countsMissing).toBe(
      true,
    );
    // A share needs the input count too; a count does not.
    expect(judgeGates(ended(undefined, 0), { maxFailedRecords: { kind: 'share', percent: 1 } })?.message).toContain(
      'no input record count',
    );
    expect(judgeGates(ended(undefined, 0), { maxFailedRecords: { kind: 'count', count: 0 } })).toBeUndefined();
  });

  it('names the run as the caller words it', () => {
    expect(judgeGates(ended(0, 0), { minRecords: 1 }, 'Run r1 of flow F')?.message).toMatch(/^Run r1 of flow F ended/);
  });
});
