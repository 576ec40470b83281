// What both entries (index.ts, check-index.ts) need before their chunks load: the V8 flags they set,
// and the little of the runner's protocol that failing on bad input needs, so that this path loads
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

/**
 * The step spends its life waiting on the network, so V8's optimizing tiers buy it nothing and their
 * code and compiler memory cost it plenty (`npm run bench`). Set only once the action's code has
 * loaded, which does gain from the optimizing tiers: set first thing, these flags made creating a run
 * 20% slower (+25 ms). Each one, measured over 200 status reads:
 * - --no-opt --no-maglev: no optimizing JIT for JavaScript; RSS stopped growing with every read.
 * - --no-wasm-tier-up --no-wasm-dynamic-tiering: undici's HTTP parser (llhttp, WebAssembly) stays on
 *   the baseline compiler. Its TurboFan tier-up cost about 15 MiB of peak RSS, and 45 ms when
 *   creating a run. (--liftoff-only would say the same, but its implications apply only at start.)
 * - --wasm-wrapper-tiering-budget: the JS-to-WebAssembly call wrappers are never recompiled either
 *   (they were after 1000 calls, about 165 reads: +2.4 MiB of compiler code paged in).
 * - --minor-gc-task-trigger=10: young objects are collected when 10% of the young generation is
 *   used, not 80%: between reads almost nothing survives, and RSS stays flat instead of growing as
 *   each read writes into young-generation pages not touched before.
 */
export const V8_FLAGS = [
  '--no-opt',
  '--no-maglev',
  '--no-wasm-tier-up',
  '--no-wasm-dynamic-tiering',
  '--wasm-wrapper-tiering-budget=2147483647',
  '--minor-gc-task-trigger=10',
].join(' ');
