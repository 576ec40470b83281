// What a batch's row-error files say, counted without their contents. A row error is one rejected
// record: `{"_corrupt_record": "…", "_errors": [{"code", "message"}], "_filename"}`. The record is the
// customer's data and may hold personal data, so nothing of it leaves this module: codes are kept only
// in a code's form, and messages only after everything that could quote the record is cut out of them.
// Pure functions, no I/O.
import { inert, parseJson } from './untrusted.js';

/** One kind of row error: its code and scrubbed message, and how many rejected records had it. */
export interface RowErrorCount {
  /** '' when the service gave none, or one not in a code's form. */
  code: string;
  /** Scrubbed; '' when nothing could be kept. */
  message: string;
  count: number;
}

/** A row-error code as Adobe writes them (`1401`, `INGEST-1401-400`): never free text. */
const CODE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** The longest message kept, after scrubbing. */
export const MESSAGE_MAX = 160;
/** A record with more distinct words than this is too large to check messages against: they are withheld. */
const MAX_RECORD_TOKENS = 20_000;
/** The characters of a word, for comparing a message with its record. */
const WORD = /[\p{L}\p{N}_.+-]+/gu;
const PLACEHOLDER = '…';

/** Row errors counted by code and message, in the order each was first seen. */
export class Tally {
  private readonly counts = new Map<string, RowErrorCount>();
  /** Rejected records counted. */
  rows = 0;
  /** Lines or items that were not a row error (not JSON, not an object). */
  unreadable = 0;

  add(code: string, message: string): void {
    const key = `${code}\u0000${message}`;
    const entry = this.counts.get(key);
    if (entry) entry.count += 1;
    else this.counts.set(key, { code, message, count: 1 });
  }

  get distinct(): number {
    return this.counts.size;
  }

  /** The most frequent, at most `n`; ties keep the order they were first seen in. */
  top(n = 10): RowErrorCount[] {
    return [...this.counts.values()]
      .map((entry, order) => ({ entry, order }))
      .sort((a, b) => b.entry.count - a.entry.count || a.order - b.order)
      .slice(0, n)
      .map(({ entry }) => ({ ...entry }));
  }
}

/**
 * Counts the row errors of one file into `tally`. A file is JSON lines or one JSON array (the docs do
 * not say which); a single object is taken too. Answers false when nothing in it was a row error
 * (then its entries are not counted as unreadable one by one).
 */
export function countRowErrors(text: string, tally: Tally): boolean {
  const records = recordsOf(text);
  let counted = 0;
  let unreadable = 0;
  for (const record of records) {
    if (!record || typeof record !== 'object' || Array.isArray(record)) {
      unreadable += 1;
      continue;
    }
    counted += 1;
    tally.rows += 1;
    const words = wordsOf(record);
    const errors = (record as { _errors?: unknown })._errors;
    const list = Array.isArray(errors) && errors.length > 0 ? (errors as unknown[]) : [{}];
    // A record with the same error twice is one record with that error.
    const seen = new Set<string>();
    for (const e of list) {
      const entry = (e && typeof e === 'object' ? e : {}) as { code?: unknown; message?: unknown };
      const code = safeCode(entry.code, words);
      const message = scrubMessage(entry.message, words);
      const key = `${code}\u0000${message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      tally.add(code, message);
    }
  }
  // A file with no row error at all is malformed as a whole: its entries are not counted one by one.
  if (counted > 0) tally.unreadable += unreadable;
  return counted > 0;
}

/** The records of a file: one JSON array, one object, or JSON lines (a line that is not JSON is `undefined`). */
function recordsOf(text: string): unknown[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  if (trimmed.startsWith('[')) {
    const all = parseJson(trimmed);
    return Array.isArray(all) ? all : [undefined];
  }
  const lines = trimmed.split(/\r?\n/).filter((line) => line.trim() !== '');
  const parsed = lines.map((line) => parseJson(line));
  // A pretty-printed single object spans lines: read it whole when the lines do not parse.
  if (parsed.some((p) => p === undefined)) {
    const whole = parseJson(trimmed);
    if (whole && typeof whole === 'object' && !Array.isArray(whole)) return [whole];
  }
  return parsed;
}

/** A code, if it has a code's form and is not a word of the record; else ''. */
export function safeCode(code: unknown, words: RecordWords = EMPTY): string {
  const text = typeof code === 'number' && Number.isInteger(code) ? String(code) : code;
  if (typeof text !== 'string' || !CODE.test(text)) return '';
  return words.has(text) ? '' : text;
}

/** The words of a record's contents (every value but its `_errors`), lower case, to keep out of messages. */
export interface RecordWords {
  has(word: string): boolean;
  /** When the record was too large to know its words: nothing of a message can be kept. */
  readonly all: boolean;
}

const EMPTY: RecordWords = { has: () => false, all: false };

export function wordsOf(record: object): RecordWords {
  const words = new Set<string>();
  let all = false;
  const add = (text: string) => {
    for (const word of text.toLowerCase().match(WORD) ?? []) {
      if (word.length < 3) continue;
      words.add(word);
      // Also its parts around dots and signs: `john.smith` quoted as `smith`.
      for (const part of word.split(/[_.+-]+/)) if (part.length >= 3) words.add(part);
    }
    if (words.size > MAX_RECORD_TOKENS) all = true;
  };
  const visit = (value: unknown, depth: number) => {
    if (all || depth > 8) return;
    if (typeof value === 'string') add(value);
    else if (typeof value === 'number' || typeof value === 'bigint') add(String(value));
    else if (Array.isArray(value)) for (const v of value) visit(v, depth + 1);
    else if (value && typeof value === 'object') {
      for (const [key, v] of Object.entries(value)) {
        if (depth === 0 && key === '_errors') continue;
        // A corrupt record that is JSON after all: its values are the data, its keys are field names.
        const parsed = depth === 0 && key === '_corrupt_record' && typeof v === 'string' ? parseJson(v) : undefined;
        visit(parsed && typeof parsed === 'object' ? parsed : v, depth + 1);
      }
    }
  };
  visit(record, 0);
  return {
    all,
    has(word: string) {
      const w = word.toLowerCase();
      if (words.has(w)) return true;
      if (w.split(/[_.+-]+/).some((part) => part.length >= 3 && words.has(part))) return true;
      // A record word inside a longer word of the message (`smith` in `jsmith42`).
      for (const known of words) if (known.length >= 4 && w.includes(known)) return true;
      return false;
    },
  };
}

/**
 * A message with nothing of the record left in it, or '' when nothing could be kept. Cut out, each
 * becoming `…`: HTML tags; quoted spans (and everything after a quote left open); URL-like and
 * e-mail-like tokens, and any token with `@` (a mention); runs of 4 or more digits; any word that is
 * also a word of the record's own contents. Then folded onto one line, without `::`, at most
 * MESSAGE_MAX characters, and inert.
 */
export function scrubMessage(message: unknown, words: RecordWords = EMPTY): string {
  if (typeof message !== 'string' || words.all) return '';
  let text = message.slice(0, 4000);
  text = text.replace(/<[^>]*>?/g, ' ');
  text = cutQuotes(text);
  text = text.replace(/\b[a-z][a-z0-9+.-]*:\/\/\S*/gi, PLACEHOLDER);
  text = text.replace(/\bwww\.\S+/gi, PLACEHOLDER);
  text = text.replace(/\S*@\S*/g, PLACEHOLDER);
  text = text.replace(WORD, (word) => (words.has(word) ? PLACEHOLDER : word));
  text = text.replace(/\d{4,}/g, PLACEHOLDER);
  text = text.replace(/:{2,}/g, ':');
  text = text.replace(/\s+/g, ' ').replace(/…(?:[\s…]*…)?/g, PLACEHOLDER);
  const line = inert(text, MESSAGE_MAX);
  // Nothing of a sentence is left: withhold it rather than show punctuation.
  return /\p{L}{2}/u.test(line) ? line : '';
}

const OPEN_TO_CLOSE: Record<string, string> = { '"': '"', "'": "'", '`': '`', '“': '”', '‘': '’', '«': '»' };

/** Quoted spans become `…`; from a quote that is never closed, the rest of the text goes. */
function cutQuotes(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    const close = OPEN_TO_CLOSE[ch];
    // An apostrophe inside a word ("can't", "record's") is not a quote.
    const inWord = (ch === "'" || ch === '’') && /[\p{L}\p{N}]/u.test(text[i - 1] ?? '');
    if (close !== undefined && !inWord) {
      const end = text.indexOf(close, i + 1);
      out += PLACEHOLDER;
      if (end === -1) return out;
      i = end + 1;
      continue;
    }
    if ((ch === '”' || ch === '’' || ch === '»') && !inWord) {
      // A closing mark with no opening one: what came before it may be the quote.
      out = PLACEHOLDER;
      i += 1;
      continue;
    }
    out += ch;
    i += 1;
  }
  return out;
}
