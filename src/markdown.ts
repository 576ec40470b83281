// Markdown for the job summary and issues, in one place: the pure helpers every renderer shares.
// Service text goes through esc() (or code(), or quiet() where GitHub would link it) and nothing
// else: inert, one line, and nothing Markdown or HTML acts on.
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

/** An ID or code, escaped, in a code element. */
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

const ZWJ = '\u200d';

/**
 * esc(), and nothing GitHub links by itself: no mention (`@team`), no issue or pull request reference
 * (`#12`, `GH-12`, `owner/repo#12`, so no closing keyword either), no bare URL. A zero-width joiner
 * breaks each pattern while the text still reads the same.
 */
export function quiet(text: string): string {
  // After inert() (secrets are redacted whole, before a joiner could split one) and before esc() (its
  // entities, `&#91;`, hold a `#` and a digit that must stay whole).
  const broken = inert(text, 1000)
    .replace(/@(?=[A-Za-z0-9])/g, `@${ZWJ}`)
    .replace(/#(?=\d)/g, `#${ZWJ}`)
    .replace(/\b(GH)-(?=\d)/gi, `$1${ZWJ}-`)
    .replace(/:\/\//g, `:${ZWJ}//`)
    .replace(/\bwww\./gi, (m) => `${m.slice(0, 3)}${ZWJ}.`);
  return esc(broken);
}
