// Markdown for the job summary, in one place: service text escaped so that it stays text (no HTML,
// no links, no table breaks, no emphasis), IDs as code, numbers grouped. Pure.
import { inert } from './untrusted.js';

/** Text as Markdown that shows it as written: inert, with every character Markdown acts on escaped. */
export function esc(text: string): string {
  return inert(text, 1000)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('|', '&#124;')
    .replaceAll('`', '&#96;')
    .replaceAll('*', '&#42;')
    .replaceAll('_', '&#95;')
    .replaceAll('[', '&#91;');
}

/** An ID or code, set as code. */
export function code(text: string): string {
  return `<code>${esc(text)}</code>`;
}

/** A URL as a code span: shown as written, never a link, never a table cell break. */
export function address(url: string): string {
  return `\`${url.replaceAll('`', '%60').replaceAll('|', '%7C')}\``;
}

export function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** 1,234,567: grouped by hand, because the first toLocaleString loads ICU's data (about 8 MiB). */
export function num(n: number | undefined): string {
  if (n === undefined || n < 0 || !Number.isFinite(n)) return '—';
  return String(Math.round(n)).replace(/\B(?=(\d{3})+$)/g, ',');
}

/** A table: a header row, its rule, and one row per entry. */
export function table(head: string[], rows: string[][]): string[] {
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
}
