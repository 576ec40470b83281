// Markdown for the job summary and issues: the pure helpers every renderer shares. Service text goes
// through esc() (or code()) and nothing else: inert, one line, and nothing Markdown or HTML acts on.
import { inert } from './untrusted.js';

/** Service text as plain Markdown text: no HTML, no link, no emphasis, no table cell break, no code span. */
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

export function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** An ID or code, escaped, in a code element. */
export function code(text: string): string {
  return `<code>${esc(text)}</code>`;
}

/** 1,234,567: grouped by hand, because the first toLocaleString loads ICU's data (about 8 MiB). */
export function num(n: number | undefined): string {
  if (n === undefined || n < 0 || !Number.isFinite(n)) return '—';
  return String(Math.round(n)).replace(/\B(?=(\d{3})+$)/g, ',');
}
