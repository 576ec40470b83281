// Why a run failed, and what to do about it: Adobe's documented error classes, a line of advice for
// each, and whether another try could help. Pure functions over a run's errors.
import type { Run, ServiceErrorEntry } from './answers.js';

/** Processing and data errors: the data or mapping is wrong, and another try fails the same way. */
export function isDataError(code: string): boolean {
  return code === 'CONNECTOR-2001-500' || /^(MAPPER|INGEST)-/i.test(code);
}

/** True when the run failed and every error it names is a data error (so a re-trigger cannot help). */
export function onlyDataErrors(run: Run): boolean {
  const codes = allErrors(run)
    .map((e) => e.code)
    .filter(Boolean);
  return codes.length > 0 && codes.every(isDataError);
}

/** One line of advice for the error classes Adobe documents; none for a code it does not. */
export function adviceFor(code: string): string | undefined {
  if (code === 'CONNECTOR-1001-500') {
    return "copying from the source failed: check the source connection and its credentials; this is worth another try (see 'retries').";
  }
  if (isDataError(code)) {
    return 'processing the data failed: fix the data or the mapping; another try fails the same way.';
  }
  if (code === 'CONNECTOR-3001-500') {
    return 'the batch could not be created in Platform: check the target dataset, then try again.';
  }
  return undefined;
}

/** The run's errors and the failed-record details, each once. */
export function allErrors(run: Run): ServiceErrorEntry[] {
  return [...run.errors, ...run.diagnostics.failedInfo];
}

/** Advice for each distinct documented class among the run's errors, in order. */
export function adviceOf(run: Run): string[] {
  const lines: string[] = [];
  for (const e of allErrors(run)) {
    const advice = e.code ? adviceFor(e.code) : undefined;
    if (advice && !lines.includes(advice)) lines.push(advice);
  }
  return lines;
}

/** "CODE message (n records)". */
export function errorText(e: ServiceErrorEntry): string {
  const records = e.recordCount !== undefined ? ` (${e.recordCount} records)` : '';
  return `${e.code ? `${e.code} ` : ''}${e.message}${records}`;
}

/** The facts of a failed run on one line, for an error annotation. */
export function diagnosisLine(run: Run): string {
  const parts: string[] = [];
  const r = run.metrics?.recordSummary;
  const f = run.metrics?.fileSummary;
  if (r?.failedRecordCount !== undefined && r.failedRecordCount >= 0) {
    parts.push(`${r.failedRecordCount} of ${r.inputRecordCount ?? '?'} records failed`);
  }
  if (f?.failedFileCount !== undefined && f.failedFileCount >= 0) {
    parts.push(`${f.failedFileCount} of ${f.inputFileCount ?? '?'} files failed`);
  }
  if (run.diagnostics.batchIds.length > 0) parts.push(`batches ${run.diagnostics.batchIds.join(', ')}`);
  for (const link of run.diagnostics.sampleLinks) parts.push(`${link.name}: ${link.url}`);
  for (const advice of adviceOf(run)) parts.push(`advice: ${advice}`);
  return parts.join('; ');
}
