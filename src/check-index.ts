// The check action's entry point (check/action.yml). Like index.ts, it reads and checks the inputs
// with nothing loaded but what that needs (zod and our own code), so that a step with bad input fails
// in about the time Node takes to start. Only good inputs load the rest (@actions/core, undici, the
// client; @actions/github only with `issues`), from chunks this path never parses.
import './zod-config.js';
import { readCheckSettings, type CheckStepSettings } from './check-settings.js';
import { command, appendSummary, getInput } from './entry-io.js';
import { InputError } from './inputs.js';
import { renderBadInput } from './bad-input.js';
import { Secrets } from './secrets.js';
import { messageOf } from './step.js';

const startedAt = Date.now();
const secrets = new Secrets((value) => command('add-mask', value));

let settings: CheckStepSettings | undefined;
try {
  settings = readCheckSettings({ getInput, setSecret: (value) => secrets.add(value) });
} catch (error) {
  failOnInputs(error);
}

if (settings) {
  // Unlike index.ts, no V8 flags that turn the optimizing compilers off: a check parses thousands of
  // runs (200 flows of a week of hourly runs: 33,600), and without them it took a third less CPU
  // (`npm run bench`, the check's rows).
  const [{ runWith }, core] = await Promise.all([import('./check-main.js'), import('@actions/core')]);
  secrets.maskWith((value) => core.setSecret(value));
  await runWith(settings, startedAt, secrets);
}
// Exit as soon as the story ends: an idle keep-alive socket or a stray timer must not hold the step open.
process.exit();

/** The step fails before any request: one error annotation, and a summary that names each bad input. */
function failOnInputs(error: unknown): void {
  process.exitCode = 1;
  // A bug, not the user's doing, sends its stack to the debug log only.
  command('error', secrets.redact(messageOf(error, (stack) => command('debug', secrets.redact(stack)))));
  if (error instanceof InputError)
    appendSummary(
      secrets.redact(renderBadInput(error.problems, { title: 'No dataflow was checked', sentTo: 'Adobe or GitHub' })),
    );
}
