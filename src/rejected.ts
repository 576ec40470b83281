// The stage after following: what Adobe kept of the records a run rejected (`failed-records`). For each
// flow whose run did not end well (`wantsRejectedRecords`), its batches' row errors are read through
// one DataAccess for the whole step (one byte budget, so flows are read one after another), within the
// step's timeout and the cancel signal. Nothing here changes a flow's outcome: Report tells what was
// found, and what could not be read is a line in the summary and at most a warning.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataAccess, platformGet } from './data-access.js';
import { wantsRejectedRecords } from './outcome.js';
import type { SharedSettings } from './settings.js';
import type { Step } from './step.js';
import type { Transport } from './transport.js';

/** Where `files` writes, one folder per run: the runner's temporary folder, emptied after each job. */
export function failedRecordsDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.RUNNER_TEMP || tmpdir(), 'aep-failed-records');
}

/** The step's DataAccess for its `failed-records` level; undefined with `none` (nothing is sent). */
export function dataAccessFor(
  settings: Pick<SharedSettings, 'failedRecords' | 'platformUrl'>,
  transport: Pick<Transport, 'stream'>,
  signal: AbortSignal,
): DataAccess | undefined {
  const level = settings.failedRecords;
  if (level === 'none') return undefined;
  return new DataAccess({
    platformUrl: settings.platformUrl,
    get: platformGet({ transport }),
    level,
    dir: level === 'files' ? failedRecordsDir() : undefined,
    signal,
  });
}

/** Reads, flow by flow, the rejected records of each run that wants them, and tells each through Report. */
export async function readRejectedRecords(step: Step, access: Pick<DataAccess, 'readRun'>): Promise<void> {
  for (const story of step.report.stories.filter(wantsRejectedRecords)) {
    if (step.signal.aborted) return;
    step.report.readingRejected(story, step.settings.failedRecords === 'files' ? 'files' : 'codes');
    const started = Date.now();
    // readRun never throws: every fault is a Problem in its result.
    const result = await access.readRun(story.run!);
    step.report.rejectedRead(story, result, Date.now() - started);
  }
}
