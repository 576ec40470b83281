// Why a run failed, and what to do about it: Adobe's documented error classes, a line of advice for
// each, and whether another try could help. Pure functions over a run's errors.
import type { Run, ServiceErrorEntry } from './answers.js';

/** Processing and data errors: the data or mapping is wrong, and another try fails the same way. */
export function isDataError(code: string): boolean {
  return code.toUpperCase() === 'CONNECTOR-2001-500' || /^(MAPPER|INGEST)-/i.test(code);
}

/** True when the run failed and every error it names is a data error (so a re-trigger cannot help). */
export function onlyDataErrors(run: Run): boolean {
  const codes = allErrors(run)
    .map((e) => e.code)
    .filter(Boolean);
  return codes.length > 0 && codes.every(isDataError);
}

/** One line of advice for the error classes Adobe documents (what it means: what to do); none for others. */
export function adviceFor(code: string): string | undefined {
  const upper = code.toUpperCase();
  if (upper === 'CONNECTOR-1001-500') {
    return "copying from the source failed: check the source connection and its credentials; another try may succeed (see 'retries')";
  }
  if (isDataError(upper)) {
    return 'processing the data failed: fix the data or the mapping; another try fails the same way';
  }
  if (upper === 'CONNECTOR-3001-500') {
    return 'the batch could not be created in Platform: check the target dataset, then try again';
  }
  return undefined;
}

/** The run's errors and the failed-record details, each once. */
function allErrors(run: Run): ServiceErrorEntry[] {
  return [...run.errors, ...failedRecordsOf(run)];
}

/** The failed-record details (run and activities) not already among the run's errors, each once. */
export function failedRecordsOf(run: Run): ServiceErrorEntry[] {
  const seen = new Set(run.errors.map(key));
  return run.diagnostics.failedInfo.filter((e) => (seen.has(key(e)) ? false : (seen.add(key(e)), true)));
}

function key(e: ServiceErrorEntry): string {
  return `${e.code}\u0000${e.message}`;
}

/** One piece of advice and the run's codes it answers. */
export interface Advice {
  /** Distinct codes of the run in this class, in the order they first appear. */
  codes: string[];
  advice: string;
}

/** Advice for each distinct documented class among the run's errors, once per class, in order. */
export function adviceOf(run: Run): Advice[] {
  const groups: Advice[] = [];
  for (const { code } of allErrors(run)) {
    const advice = code ? adviceFor(code) : undefined;
    if (!advice) continue;
    const group = groups.find((g) => g.advice === advice);
    if (!group) groups.push({ codes: [code], advice });
    else if (!group.codes.includes(code)) group.codes.push(code);
  }
  return groups;
}

/** "CODE-1 and CODE-2 mean processing the data failed: …". */
export function adviceText(group: Advice): string {
  const codes =
    group.codes.length === 1 ? group.codes[0]! : `${group.codes.slice(0, -1).join(', ')} and ${group.codes.at(-1)!}`;
  return `${codes} ${group.codes.length === 1 ? 'means' : 'mean'} ${group.advice}`;
}

/** "CODE message (n records)". */
export function errorText(e: ServiceErrorEntry): string {
  const records = e.recordCount !== undefined ? ` (${e.recordCount} record${e.recordCount === 1 ? '' : 's'})` : '';
  return `${e.code ? `${e.code} ` : ''}${e.message}${records}`;
}

/** The facts of a failed run on one line, for an error annotation (its errors are told beside it). */
export function diagnosisLine(run: Run): string {
  const parts: string[] = [];
  const r = run.metrics?.recordSummary;
  const f = run.metrics?.fileSummary;
  // Only counts that say something failed: "0 of 3 files failed" is noise in an error.
  if (r?.failedRecordCount !== undefined && r.failedRecordCount > 0) {
    parts.push(`${r.failedRecordCount} of ${r.inputRecordCount ?? '?'} records failed`);
  }
  if (f?.failedFileCount !== undefined && f.failedFileCount > 0) {
    parts.push(`${f.failedFileCount} of ${f.inputFileCount ?? '?'} files failed`);
  }
  const failedInfo = failedRecordsOf(run);
  if (failedInfo.length > 0) parts.push(`failed records: ${failedInfo.map(errorText).join(', ')}`);
  if (run.diagnostics.batchIds.length > 0) parts.push(`batches ${run.diagnostics.batchIds.join(', ')}`);
  for (const link of run.diagnostics.sampleLinks) parts.push(`${link.name}: ${link.url}`);
  for (const group of adviceOf(run)) parts.push(adviceText(group));
  return parts.join('; ');
}
