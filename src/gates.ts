// Record gates: a run that ended success or partialSuccess is judged on its record counts too, so that
// a green run that read nothing, or rejected more records than the user allows, fails the step. Pure
// functions over a run's metrics; the words carry the figures (records read, failed, the gate).
import type { Run } from './answers.js';
import { num } from './markdown.js';

/** `max-failed-records`: a count, or a share of the run's input records in percent. */
export type FailedLimit = { kind: 'count'; count: number } | { kind: 'share'; percent: number };

/** The gates the inputs ask for; none by default. */
export interface RecordGates {
  /** `min-records`: the fewest input records a run may read. */
  minRecords?: number;
  /** `max-failed-records`. */
  maxFailedRecords?: FailedLimit;
}

/** Which gate a run broke, the figures, and the words for it (safe to show: numbers and fixed text). */
export interface GateBreach {
  gate: 'min-records' | 'max-failed-records';
  recordsIn: number | undefined;
  recordsFailed: number | undefined;
  /** The counts the gate needs are missing from the run's metrics. */
  countsMissing: boolean;
  message: string;
}

/** "0.5%" or "500": the limit as the user wrote it. */
export function limitText(limit: FailedLimit): string {
  return limit.kind === 'count' ? String(limit.count) : `${limit.percent}%`;
}

/** Reads `max-failed-records`: a whole number, or a percentage from 0 to 100 such as `0.5%`; else undefined. */
export function parseFailedLimit(text: string): FailedLimit | undefined {
  if (/^\d+$/.test(text)) return { kind: 'count', count: Number(text) };
  const share = /^(\d+(?:\.\d+)?)\s*%$/.exec(text);
  if (!share) return undefined;
  const percent = Number(share[1]);
  return percent <= 100 ? { kind: 'share', percent } : undefined;
}

export function hasGates(gates: RecordGates): boolean {
  return gates.minRecords !== undefined || gates.maxFailedRecords !== undefined;
}

/**
 * The first gate the run breaks, or undefined when it passes them all. Only for a run that ended
 * success or partialSuccess: a gate that cannot be checked (its counts missing) does not pass.
 */
export function judgeGates(run: Run, gates: RecordGates, subject = `Run ${run.id}`): GateBreach | undefined {
  const records = run.metrics?.recordSummary;
  const recordsIn = records?.inputRecordCount;
  const recordsFailed = records?.failedRecordCount;
  const status = run.status ?? 'unknown';
  const figures = { recordsIn, recordsFailed };
  const { minRecords, maxFailedRecords } = gates;
  if (minRecords !== undefined) {
    if (recordsIn === undefined) {
      return {
        gate: 'min-records',
        ...figures,
        countsMissing: true,
        message:
          `${subject} ended ${status}, but its metrics show no input record count, so 'min-records' ` +
          `(${num(minRecords)}) cannot be checked: a gate that cannot be checked does not pass.`,
      };
    }
    if (recordsIn < minRecords) {
      return {
        gate: 'min-records',
        ...figures,
        countsMissing: false,
        message:
          `${subject} ended ${status} having read ${num(recordsIn)} input records, fewer than 'min-records' ` +
          `(${num(minRecords)})${recordsIn === 0 ? ': it ingested nothing' : ''}.`,
      };
    }
  }
  if (maxFailedRecords !== undefined) {
    const needsInput = maxFailedRecords.kind === 'share';
    if (recordsFailed === undefined || (needsInput && recordsIn === undefined)) {
      const what = recordsFailed === undefined ? 'failed record count' : 'input record count';
      return {
        gate: 'max-failed-records',
        ...figures,
        countsMissing: true,
        message:
          `${subject} ended ${status}, but its metrics show no ${what}, so 'max-failed-records' ` +
          `(${limitText(maxFailedRecords)}) cannot be checked: a gate that cannot be checked does not pass.`,
      };
    }
    const over =
      maxFailedRecords.kind === 'count'
        ? recordsFailed > maxFailedRecords.count
        : recordsFailed * 100 > maxFailedRecords.percent * recordsIn!;
    if (over) {
      const share = recordsIn ? ` (${shareText(recordsFailed, recordsIn)})` : '';
      return {
        gate: 'max-failed-records',
        ...figures,
        countsMissing: false,
        message:
          `${subject} ended ${status} with ${num(recordsFailed)}${recordsIn === undefined ? '' : ` of ${num(recordsIn)} input`} records failed${share}, ` +
          `more than 'max-failed-records' (${limitText(maxFailedRecords)}).`,
      };
    }
  }
  return undefined;
}

/** "6%", "0.25%": a share with at most two decimals. */
function shareText(part: number, whole: number): string {
  return `${Number(((part * 100) / whole).toFixed(2))}%`;
}
