// The entry point the runner starts. It reads and checks the inputs with nothing loaded but what
// that needs (zod and our own code), so that a step with bad input fails in about the time Node
// takes to start. Only good inputs load the rest of the action (@actions/core, undici, the client),
// from a chunk this path never parses.
import './zod-config.js';
import { command, appendSummary, getInput, V8_FLAGS } from './entry-io.js';
import { Secrets } from './secrets.js';
import { InputError, readSettings, type Settings } from './settings.js';
import { messageOf } from './step.js';
import { renderBadInput } from './summary.js';

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
