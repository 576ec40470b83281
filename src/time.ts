// Times and durations as users write them in workflow inputs.
// A time is unix seconds or ISO 8601 with a zone; a duration is `90s`, `1h30m`, `500ms` and so on.

/** Earliest and latest unix second accepted: anything outside is a typo (milliseconds, an extra digit). */
export const EARLIEST_TIME = Date.UTC(2000, 0, 1) / 1000;
export const LATEST_TIME = Date.UTC(2100, 0, 1) / 1000;

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type Unit = keyof typeof UNIT_MS;

const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/i;

/** Thrown with a message that completes the sentence "Input 'x' ..." */
export class TimeFormatError extends Error {}

/** Parses a time (unix seconds, ISO 8601 with a zone) into unix seconds. `now` is in milliseconds. */
export function parseTime(text: string, nowMs: number): number {
  const value = text.trim();
  if (value.toLowerCase() === 'now') return Math.floor(nowMs / 1000);
  let seconds: number;
  if (/^\d+$/.test(value)) {
    seconds = Number(value);
  } else if (ISO_8601.test(value)) {
    // Date.parse rolls 2023-02-30 over into March: check the calendar first.
    const fields = (ISO_8601.exec(value) ?? []).slice(1, 7).map((f) => Number(f ?? 0));
    const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = fields;
    const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
    if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) {
      throw new TimeFormatError(`is not a real date and time: '${value}'`);
    }
    seconds = Math.floor(Date.parse(value) / 1000);
  } else {
    throw new TimeFormatError(
      `must be unix seconds (1700000000), ISO 8601 with a zone (2023-11-14T22:13:20Z) or 'now'; got '${value}'`,
    );
  }
  if (seconds < EARLIEST_TIME || seconds >= LATEST_TIME) {
    const hint = seconds >= LATEST_TIME * 100 ? ' (it looks like milliseconds; give seconds)' : '';
    throw new TimeFormatError(`is out of range: ${value} is not between the years 2000 and 2100${hint}`);
  }
  return seconds;
}

/** Parses a duration such as `90s`, `30m`, `1h30m` or `500ms` into milliseconds. */
export function parseDuration(text: string): number {
  const value = text.trim().toLowerCase();
  const parts = [...value.matchAll(/(\d+)(ms|s|m|h|d)/g)];
  const covered = parts.map((p) => p[0]).join('');
  if (parts.length === 0 || covered !== value) {
    const hint = /^\d+$/.test(value) ? ` (add a unit, such as ${value}s)` : '';
    throw new TimeFormatError(
      `must be a duration such as 90s, 30m, 2h or 1h30m (units ms, s, m, h, d); got '${text.trim()}'${hint}`,
    );
  }
  const seen = new Set<string>();
  let total = 0;
  for (const [, amount, unit] of parts) {
    if (seen.has(unit!)) throw new TimeFormatError(`names the unit '${unit}' twice: '${text.trim()}'`);
    seen.add(unit!);
    total += Number(amount) * UNIT_MS[unit as Unit];
  }
  return total;
}

/** `1h 2m 3s` style text for people; whole seconds unless under ten seconds. */
export function formatDuration(ms: number): string {
  if (ms < 10_000) return `${Math.round(ms / 100) / 10}s`;
  let seconds = Math.round(ms / 1000);
  const units: Array<[string, number]> = [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ];
  const out: string[] = [];
  for (const [name, size] of units) {
    const n = Math.floor(seconds / size);
    seconds -= n * size;
    if (n > 0) out.push(`${n}${name}`);
  }
  return out.join(' ');
}

/** ISO 8601 in UTC, to the second, for logs and the summary. */
export function isoSeconds(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace('.000Z', 'Z');
}
