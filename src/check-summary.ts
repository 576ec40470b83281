// The check's job summary, as a pure renderer: a health table with one row per flow, then a section
// per unhealthy flow with its newest errors. Service text goes through quiet(): no HTML, link, mention
// or reference of the service's reaches the page.
import type { ServiceErrorEntry } from './answers.js';
import { findingsOf, isUnhealthy, type FlowHealth } from './health.js';
import { capital, code, num, quiet } from './markdown.js';
import { runUrl, type LinkContext } from './outcome.js';
import { classifyStatus } from './status.js';
import { formatDuration, isoSeconds } from './time.js';

/** What the summary shows beside the flows: the rules they were judged by. */
export interface CheckView {
  link: LinkContext;
  nowMs: number;
  lookbackMs: number;
  maxAgeMs: number | undefined;
  /** Issue links per flow ID, when `issues` kept some. */
  issueUrls?: ReadonlyMap<string, string>;
  /** Set when `wait` ended at its timeout. */
  waitedOut?: boolean;
}

/** The dataflow in the Platform UI (the run link without its activity part). */
export function dataflowUrl(link: LinkContext, flowId: string): string {
  return `https://experience.adobe.com/#/@${link.tenant}/sname:${link.sandboxName}/platform/source/dataflows/${flowId}`;
}

/** ✅ healthy, ❌ newest finished run failed, 🕒 stale, ❓ could not be read. */
export function healthIcon(health: FlowHealth): string {
  if (health.unreadable !== undefined) return '❓';
  if (health.failing) return '❌';
  if (health.stale) return '🕒';
  return '✅';
}

/** Markdown for the job summary of a check. */
export function renderCheckSummary(healths: readonly FlowHealth[], view: CheckView): string {
  const unhealthy = healths.filter(isUnhealthy);
  const icon = unhealthy.length === 0 ? '✅' : '❌';
  const title =
    unhealthy.length === 0
      ? `${healths.length} ${plural(healths.length, 'dataflow')} healthy`
      : `${unhealthy.length} of ${healths.length} ${plural(healths.length, 'dataflow')} unhealthy`;
  const rules = [
    `Sandbox ${quiet(view.link.sandboxName)}`,
    `runs of the last ${formatDuration(view.lookbackMs)}`,
    view.maxAgeMs === undefined ? 'no max-age' : `max-age ${formatDuration(view.maxAgeMs)}`,
    `as of ${isoSeconds(Math.floor(view.nowMs / 1000))}`,
  ];
  const head = [
    '',
    'Flow',
    'Data through',
    'Age',
    'Newest run',
    'Succeeded',
    'Median',
    'Records in · failed',
    'Errors',
  ];
  const lines = [
    `### ${icon} ${title}`,
    '',
    rules.join(' · '),
    '',
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...healths.map((h) => `| ${[healthIcon(h), flowCell(h, view), ...facts(h, view)].join(' | ')} |`),
    '',
  ];
  if (view.waitedOut) {
    const stale = healths.filter((h) => h.stale || h.unreadable !== undefined);
    lines.push(`**Still not fresh at the timeout:** ${stale.map((h) => code(h.flowId)).join(', ')}`, '');
  }
  for (const health of unhealthy) lines.push(...section(health, view));
  return lines.join('\n');
}

/** The columns of a flow's figures, after its icon and name. */
export const FACTS = ['Data through', 'Age', 'Newest run', 'Succeeded', 'Median', 'Records in · failed', 'Errors'];

function flowCell(h: FlowHealth, view: CheckView): string {
  return `[${linkText(h.flow?.name ?? h.flowId)}](${dataflowUrl(view.link, h.flowId)})`;
}

/** A flow's figures, one cell per FACTS column. */
export function facts(h: FlowHealth, view: CheckView): string[] {
  if (h.unreadable !== undefined) return ['—', '—', 'could not be read', '—', '—', '—', '—'];
  const age =
    h.ageSeconds === undefined
      ? '—'
      : `${formatDuration(h.ageSeconds * 1000)}${view.maxAgeMs === undefined ? '' : ` / ${formatDuration(view.maxAgeMs)}`}`;
  return [
    h.dataThrough === undefined ? 'no success' : isoSeconds(h.dataThrough),
    age,
    newestRunCell(h, view),
    `${h.succeeded} / ${h.runCount}`,
    h.medianDurationSeconds === undefined ? '—' : formatDuration(h.medianDurationSeconds * 1000),
    `${num(h.recordsIn)} · ${num(h.recordsFailed)}`,
    h.topErrors.length === 0 ? '—' : h.topErrors.map((e) => `${code(e.code)} ×${e.count}`).join(' '),
  ];
}

function newestRunCell(h: FlowHealth, view: CheckView): string {
  const newest = h.newest;
  if (!newest) return 'none';
  const status = quiet(newest.status ?? 'unknown');
  const when = newest.at === undefined ? '' : ` ${ago(view.nowMs - newest.at)}`;
  return `[${status}](${runUrl(view.link, h.flowId, newest.id)})${when}`;
}

/** An unhealthy flow: what is wrong, in words, and its newest errors. */
function section(h: FlowHealth, view: CheckView): string[] {
  const name = h.flow?.name ? ` ${quiet(h.flow.name)}` : '';
  const lines = [`#### ${healthIcon(h)} Flow ${code(h.flowId)}${name}`, ''];
  for (const why of reasons(h, view)) lines.push(`- ${why}`);
  for (const problem of h.problems) lines.push(`- ${capital(quiet(problem))}`);
  const issue = view.issueUrls?.get(h.flowId);
  if (issue) lines.push(`- Incident: ${issue}`);
  const errors = h.newestErrors;
  if (errors.length > 0) lines.push('', '**Newest errors**', '', ...errors.map((e) => `- ${errorLine(e)}`));
  lines.push('');
  return lines;
}

/** How reasons() sets IDs and service text: Markdown (the default) or plain text for the log. */
export interface Wording {
  id: (text: string) => string;
  text: (text: string) => string;
}

const MARKDOWN: Wording = { id: code, text: quiet };

/** Why a flow is unhealthy, in our words (service text through `wording.text`). */
export function reasons(
  h: FlowHealth,
  view: Pick<CheckView, 'nowMs' | 'lookbackMs' | 'maxAgeMs'>,
  wording: Wording = MARKDOWN,
): string[] {
  if (h.unreadable !== undefined) return [`Could not be read: ${wording.text(h.unreadable)}`];
  const out: string[] = [];
  for (const finding of findingsOf(h)) {
    if (finding === 'stale' && h.dataThrough === undefined) {
      out.push(`Stale: no successful run in the last ${formatDuration(view.lookbackMs)}.`);
    } else if (finding === 'stale') {
      out.push(
        `Stale: its data ends ${isoSeconds(h.dataThrough!)}, ${formatDuration((h.ageSeconds ?? 0) * 1000)} ago, more than the max-age of ${formatDuration(view.maxAgeMs ?? 0)}.`,
      );
    } else {
      // lastRunDetails may name a finished run newer than any listed: then it is the one that failed.
      const fromFlow = h.newest && !h.newest.run && classifyStatus(h.newest.status) === 'failure';
      const id = fromFlow ? h.newest!.id : h.newestFinished?.id;
      const status = fromFlow ? h.newest!.status : h.newestFinished?.status;
      out.push(
        `Failing: its newest finished run ${id ? `${wording.id(id)} ` : ''}ended ${wording.text(status ?? 'failed')}.`,
      );
    }
  }
  return out;
}

/** One service error, quieted. */
export function errorLine(e: ServiceErrorEntry): string {
  const records = e.recordCount !== undefined ? ` (${num(e.recordCount)} record${e.recordCount === 1 ? '' : 's'})` : '';
  return `${e.code ? `${code(e.code)} ` : ''}${quiet(e.message)}${records}`;
}

/** Link text: quieted, and no `]` to end the link early. */
function linkText(text: string): string {
  return quiet(text).replaceAll(']', '&#93;');
}

function ago(ms: number): string {
  return ms < 60_000 ? 'just now' : `${formatDuration(ms)} ago`;
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}
