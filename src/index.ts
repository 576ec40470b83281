// The entry point the runner starts. It reads and checks the inputs with nothing loaded but what
// that needs (zod and our own code), so that a step with bad input fails in about the time Node
// takes to start. Only good inputs load the rest of the action (@actions/core, undici, the client),
// from a chunk this path never parses.
import './zod-config.js';
import { command, appendSummary, getInput } from './entry-io.js';
import { Secrets } from './secrets.js';
import { InputError, readSettings, type Settings } from './settings.js';
import { messageOf } from './step.js';
import { renderBadInput } from './bad-input.js';

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
const V8_FLAGS = [
  '--no-opt',
  '--no-maglev',
  '--no-wasm-tier-up',
  '--no-wasm-dynamic-tiering',
  '--wasm-wrapper-tiering-budget=2147483647',
  '--minor-gc-task-trigger=10',
].join(' ');

const startedAt = Date.now();
const secrets = new Secrets((value) => command('add-mask', value));

let settings: Settings | undefined;
try {
  settings = readSettings({ getInput, setSecret: (value) => secrets.add(value) }, startedAt);
} catch (error) {
  failOnInputs(error);
}

if (settings) {
  const [{ runWith }, core, v8] = await Promise.all([import('./main.js'), import('@actions/core'), import('node:v8')]);
  secrets.maskWith((value) => core.setSecret(value));
  v8.setFlagsFromString(V8_FLAGS);
  await runWith(settings, startedAt, secrets);
}
// Exit as soon as the story ends: an idle keep-alive socket or a stray timer must not hold the step open.
process.exit();

/** The step fails before any request: one error annotation, and the bad-input summary. */
function failOnInputs(error: unknown): void {
  process.exitCode = 1;
  // A bug, not the user's doing, sends its stack to the debug log only.
  command('error', secrets.redact(messageOf(error, (stack) => command('debug', secrets.redact(stack)))));
  if (error instanceof InputError) appendSummary(secrets.redact(renderBadInput(error.problems)));
}
