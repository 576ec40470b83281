// Builders for what unit tests would otherwise write out field by field. `aRun` makes a `Run` as
// src/answers.ts hands it on: nothing known but its ID unless the test says so, so a test names only
// the fields its case is about.
//
//   aRun({ id: 'r1', status: 'failed', errors: [{ code: 'CONNECTOR-1001-500', message: 'Copy failed' }] })
//   aRun({ status: 'success', window: [1_700_000_000, 1_700_003_600] })     // a window from params
//   aRun({ diagnostics: { batchIds: ['01HBATCH1'] } })                      // the other lists stay empty
import type { Diagnostics, Run, RunWindow } from '../src/answers.ts';

export interface RunFields extends Partial<Omit<Run, 'window' | 'diagnostics'>> {
  /** A window as answers.ts reads it, or `[start, end]` in unix seconds, read from params. */
  window?: RunWindow | [number, number] | undefined;
  diagnostics?: Partial<Diagnostics>;
}

export function aRun(fields: RunFields = {}): Run {
  const { window, diagnostics, ...rest } = fields;
  return {
    id: 'run-1',
    etag: undefined,
    status: undefined,
    flowId: undefined,
    createdAt: undefined,
    params: undefined,
    metrics: undefined,
    errors: [],
    ...rest,
    window: Array.isArray(window) ? { start: window[0], end: window[1], from: 'params' } : window,
    diagnostics: { failedInfo: [], batchIds: [], sampleLinks: [], ...diagnostics },
  };
}
