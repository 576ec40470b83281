// A week of hourly runs of two dataflows, as the check sees them: one healthy, one whose newest five
// runs failed. Shared by the demo and the README's pictures, so that both show the same story.
import { scheduledHistory, type ExistingRun } from './emulator.ts';

const HOUR = 3_600_000;

/** The history of `healthy` (every run succeeded) and `failing` (the newest five failed), up to `nowMs`. */
export function weekOfHourlyRuns(healthy: string, failing: string, nowMs: number): ExistingRun[] {
  const week = { fromMs: nowMs - 7 * 24 * HOUR + HOUR / 2, toMs: nowMs - HOUR / 2, everyMs: HOUR };
  return [
    ...scheduledHistory(healthy, { ...week, records: { input: 2_000, created: 1_998, failed: 2 } }),
    ...scheduledHistory(failing, {
      ...week,
      window: 'copy activity',
      status: (i) => (i >= 163 ? 'failed' : 'success'), // the newest five of 168 failed
      errors: (i) =>
        i >= 163 ? [{ code: 'CONNECTOR-1001-500', message: 'Connection to the source timed out' }] : undefined,
    }),
  ];
}
