// The little of the runner's protocol that failing on bad input needs, so that this path loads
// neither @actions/core nor what it drags in (its HTTP client, undici, exec). Once the inputs are
// good, @actions/core does all of this instead.

// Taken from Node itself rather than imported: bundled, an import of a Node module becomes a
// createRequire() call, which resolves paths on the way (about 1 ms each on this path).
const { appendFileSync, writeSync } = process.getBuiltinModule('node:fs');
const { EOL } = process.getBuiltinModule('node:os');

/** An input as the runner passes it: INPUT_<NAME> (upper case, spaces as underscores), trimmed; '' when unset. */
export function getInput(name: string): string {
  return (process.env[`INPUT_${name.replaceAll(' ', '_').toUpperCase()}`] ?? '').trim();
}

/** A workflow command on stdout. Its data is escaped so that it stays one line the runner reads whole. */
export function command(name: 'error' | 'add-mask' | 'debug', data: string): void {
  const escaped = data.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
  writeOut(`::${name}::${escaped}${EOL}`);
}

/**
 * Writes to stdout (fd 1) at once. process.stdout would first build a stream and load Node's stream
 * modules (about 2.5 ms), and this path writes two or three lines before it exits.
 */
function writeOut(text: string): void {
  const bytes = Buffer.from(text);
  for (let done = 0; done < bytes.length;) {
    try {
      done += writeSync(1, bytes, done);
    } catch (error) {
      // A pipe someone else made non-blocking may be full for a moment: try again.
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
    }
  }
}

/** Appends Markdown to the job summary, when the runner gives a summary file. */
export function appendSummary(markdown: string): void {
  const file = process.env.GITHUB_STEP_SUMMARY;
  if (file) appendFileSync(file, `${markdown}${EOL}`);
}
