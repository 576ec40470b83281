// Text that comes from the service (error messages, statuses, file names) is untrusted. The runner
// reads a log line starting with `::` as a workflow command, and `##[error]` (its older form, and the
// other `##[word]`s) anywhere in a line, so such text is folded onto one line, loses both markers, and
// is only ever printed after words of our own; it is also kept short.

// Control characters (C0, DEL, C1) and the Unicode line separators: anything that could end a line.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

/**
 * The step's secrets, as service text may echo them (a gateway quoting the Authorization header, IMS
 * quoting the form). The runner masks whole values only: a secret must be redacted here, before the
 * text is cut to length, or the cut leaves half of it to be printed.
 */
const secrets = new Set<string>();

/** Marks a value as secret for every later inert(): it becomes `***` before any cut. */
export function redactFromServiceText(value: string): void {
  if (value) secrets.add(value);
}

/** One line of at most `max` characters, with no control characters and no secret of the step. */
export function inert(text: unknown, max = 500): string {
  let raw = asText(text);
  for (const secret of secrets) raw = raw.replaceAll(secret, '***');
  const line = defuse(raw.replace(CONTROL, ' ').trim());
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** `##[` becomes `## [` and a leading `::` becomes `: :`: read as text, never as a command. */
function defuse(line: string): string {
  return line.replace(/##\s*\[/g, '## [').replace(/^:\s*:/, ': :');
}

function asText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value) ?? '';
}

/** A short excerpt of a body, for errors about answers we could not read. */
export function excerpt(body: string, max = 200): string {
  const line = inert(body, max);
  return line === '' ? '(empty)' : `'${line}'`;
}

/** JSON.parse that answers undefined for a body that is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
