// The rejected records of a run, told: Markdown lines for the job summary and one plain line for the
// step's error. Pure renderers over what data-access.ts found; every text in it is scrubbed and inert
// already, and is escaped again here for Markdown.
import { TURN_ON, type Problem, type RejectedRecords } from './data-access.js';
import { adviceFor } from './diagnosis.js';
import type { RowErrorCount } from './row-errors.js';
import { code, num, quiet } from './markdown.js';
import { inert } from './untrusted.js';

/** At most this many lines say what could not be read; the rest are counted. */
const MAX_PROBLEM_LINES = 5;

/** Problems that mean the run has no diagnostics to read: the summary says how to turn them on. */
const UNAVAILABLE = new Set<Problem['kind']>(['no-batch', 'not-found']);

/** TURN_ON, with its API names as code. */
const TURN_ON_MARKDOWN =
  "turn on the dataflow's error diagnostics (partial ingestion in the Platform UI, or " +
  '<code>options.errorDiagnosticsEnabled</code> with <code>PATCH /flows/{id}</code>): they apply to runs after that, and are kept 30 days';

/** A section for one run's summary: the most frequent row errors, advice, files, and what could not be read. */
export function renderRejected(result: RejectedRecords): string[] {
  const items: string[] = [];
  for (const entry of result.top) items.push(countLine(entry));
  for (const line of adviceLines(result.top)) items.push(`What to do: ${line}`);
  if (result.rows > 0) items.push(totalsLine(result));
  if (result.dir) {
    items.push(
      `${num(result.written.files)} row-error file${result.written.files === 1 ? '' : 's'} (${size(result.written.bytes)}) written under ${code(result.dir)}, for \`actions/upload-artifact\` (the output \`failed-records-dir\`)`,
    );
  }
  items.push(...problemLines(result));
  if (items.length === 0) items.push('No row errors in the batches’ error diagnostics.');
  return ['**Rejected records (row errors in the error diagnostics)**', '', ...items.map((i) => `- ${i}`), ''];
}

/** One plain line for the step's error: "row errors: 1401 Row is corrupted… (7 records); …". */
export function rejectedLine(result: RejectedRecords): string {
  const parts = result.top.map(
    (e) => `${e.code || '(no code)'} ${e.message || '(message withheld)'} (${plural(e.count, 'record')})`,
  );
  if (parts.length === 0) {
    if (!unavailable(result)) return '';
    return inert(`row errors not available (${result.problems[0]!.text}); ${TURN_ON}`, 1000);
  }
  const more = result.distinct > result.top.length ? `; ${result.distinct - result.top.length} more kinds` : '';
  return inert(`row errors: ${parts.join(', ')}${more}`, 1500);
}

/** True when nothing could be read because the run has no diagnostics (warn, and say how to turn them on). */
export function unavailable(result: RejectedRecords): boolean {
  return result.rows === 0 && result.problems.some((p) => UNAVAILABLE.has(p.kind));
}

function countLine(e: RowErrorCount): string {
  const codePart = e.code ? `${code(e.code)} ` : '';
  const message = e.message ? quiet(e.message) : '(message withheld: it quoted the record)';
  return `${codePart}${message}: ${plural(e.count, 'record')}`;
}

/** Advice once per documented class among the codes (the row-error codes Adobe documents). */
function adviceLines(top: RowErrorCount[]): string[] {
  const groups = new Map<string, string[]>();
  for (const { code } of top) {
    const advice = code ? adviceFor(code) : undefined;
    if (!advice) continue;
    const codes = groups.get(advice) ?? [];
    if (!codes.includes(code)) codes.push(code);
    groups.set(advice, codes);
  }
  return [...groups].map(
    ([advice, codes]) => `${codes.map(code).join(', ')} ${codes.length === 1 ? 'means' : 'mean'} ${quiet(advice)}.`,
  );
}

function totalsLine(result: RejectedRecords): string {
  const shown =
    result.distinct > result.top.length
      ? ` (the ${result.top.length} most frequent of ${result.distinct} kinds shown)`
      : '';
  const batches = result.batchIds.map(code).join(', ');
  return `${plural(result.rows, 'rejected record')} counted in ${plural(result.filesRead, 'file')} of batch${result.batchIds.length === 1 ? '' : 'es'} ${batches}${shown}; their contents are not shown (they may hold personal data)`;
}

function problemLines(result: RejectedRecords): string[] {
  const lines = result.problems.slice(0, MAX_PROBLEM_LINES).map((p) => `Not shown: ${quiet(p.text)}`);
  const more = result.problems.length - MAX_PROBLEM_LINES;
  if (more > 0) lines.push(`Not shown: ${more} more (see the log)`);
  if (result.problems.some((p) => UNAVAILABLE.has(p.kind))) {
    lines.push(`To see why records were rejected, ${TURN_ON_MARKDOWN}.`);
  }
  return lines;
}

function plural(n: number, word: string): string {
  return `${num(n)} ${word}${n === 1 ? '' : 's'}`;
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 102.4) / 10} KiB`;
  return `${Math.round(bytes / 1024 / 102.4) / 10} MiB`;
}
