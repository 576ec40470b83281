// `npm run demo`: the action at work, in one command and with nothing to set up (no .env, no second
// terminal). For each example below it starts the emulator of IMS and the Flow Service
// (test/emulator/emulator.ts) on a free 127.0.0.1 port, runs the bundled entry as the runner would
// (INPUT_* variables, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files in a temporary directory: the e2e
// tests' harness), prints its log, its outputs and its job summary, and stops the emulator. It exits 0
// when every example ended as it should (a failure example fails the step) and leaked nothing
// (`cleanliness()`: no secret, no stray workflow command, no `##[`, no stack trace).
//
//   npm run demo              # bundles src/ first, then runs node scripts/demo.ts
//
// An example is plain data: a title, the bundled entry, its inputs, the emulator's options and the exit
// code it should end with. The `check` action's example runs dist/check/index.js.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { startEmulator, type Emulator, type EmulatorOptions, type FlowScenario } from '../test/emulator/emulator.ts';
import { weekOfHourlyRuns } from '../test/emulator/examples.ts';
import { cleanliness, runAction, type ActionResult } from '../test/e2e/harness.ts';
import { formatOutput } from './outputs.ts';

const ROOT = resolve(import.meta.dirname, '..');

interface Example {
  title: string;
  /** The bundled entry, from the repository root. */
  entry: string;
  /** The step's inputs; the connection to the emulator (client, org, hosts) is added to them. */
  inputs: Record<string, string>;
  emulator: EmulatorOptions;
  /** How the step should end: 1 for an example of a failure. */
  exitCode: 0 | 1;
}

const ORDERS = '3abea21c-7e36-4be1-bec1-d3bad0e3e0de';
const CUSTOMERS = '7f6c2a10-94d3-4c55-9a0e-2b8d1e6f4c31';

/** A copy from the source that timed out: worth another try. */
const timedOut: FlowScenario = {
  statuses: ['inProgress', 'failed'],
  errors: [{ code: 'CONNECTOR-1001-500', message: 'Connection to the source timed out' }],
};

/** Bad data: another try would fail the same way. */
const badData: FlowScenario = {
  statuses: ['inProgress', 'failed'],
  errors: [{ code: 'CONNECTOR-2001-500', message: 'Processing of the copied data failed' }],
  activityErrors: [
    { code: 'MAPPER-3700-400', message: "Value '31/02/1990' of field birthDate is not a date", recordCount: 1204 },
    { code: 'INGEST-1212-400', message: 'Required field customerId is missing', recordCount: 37 },
  ],
  batchIds: ['01JXA7Q3M8V4K2N6R0T9W5Y1ZC'],
  manifest: true,
  records: { input: 48_210, created: 46_969, failed: 1241 },
  files: { input: 4, output: 3, failed: 1 },
};

const NOW = Date.now();

const EXAMPLES: Example[] = [
  {
    title: 'A run created and waited for to success',
    entry: 'dist/index.js',
    inputs: { 'flow-id': ORDERS, 'window-start': '24h', wait: 'true', 'poll-interval': '500ms' },
    emulator: {
      flows: {
        [ORDERS]: {
          sourceType: 'file',
          details: { name: 'Orders, daily files' },
          statuses: ['inProgress', 'inProgress', 'success'],
          records: { input: 48_210, created: 48_210, failed: 0 },
        },
      },
    },
    exitCode: 0,
  },
  {
    title: 'A run that fails: re-triggered once (retries: 1), then failing on bad data, with the diagnostics',
    entry: 'dist/index.js',
    inputs: { 'flow-id': CUSTOMERS, 'window-start': '24h', wait: 'true', 'poll-interval': '500ms', retries: '1' },
    emulator: {
      flows: {
        [CUSTOMERS]: { sourceType: 'file', details: { name: 'Customers, CRM' }, attempts: [timedOut, badData] },
      },
    },
    exitCode: 1,
  },
  {
    title: 'The check action: two hourly flows over a week, one fresh, one whose newest runs failed',
    entry: 'dist/check/index.js',
    inputs: { 'flow-id': `${ORDERS}\n${CUSTOMERS}`, 'max-age': '3h', lookback: '7d' },
    emulator: {
      flows: {
        [ORDERS]: { details: { name: 'Orders, hourly files', frequency: 'hour' } },
        [CUSTOMERS]: { details: { name: 'Customers, CRM', frequency: 'hour' } },
      },
      existingRuns: weekOfHourlyRuns(ORDERS, CUSTOMERS, NOW),
      startTimeFilter: 'applied',
    },
    exitCode: 1,
  },
];

/** What every example gets: the emulator's client, org and hosts. */
function connection(emulator: Emulator): Record<string, string> {
  return {
    'client-id': emulator.clientId,
    'client-secret': emulator.clientSecret,
    'org-id': emulator.orgId,
    'platform-url': emulator.url,
    'ims-url': emulator.url,
  };
}

/** Runs one example against its own emulator, prints what a user would see; answers what went wrong. */
async function show(example: Example, n: number): Promise<string[]> {
  const emulator = await startEmulator(example.emulator);
  try {
    const inputs = { ...connection(emulator), ...example.inputs };
    console.log(`\n=== ${n}. ${example.title} ===\n`);
    console.log(`node ${example.entry}, against the emulator on ${emulator.url}, with the inputs:`);
    for (const [name, value] of Object.entries(inputs)) {
      console.log(`  ${name}: ${name === 'client-secret' ? '***' : value}`);
    }
    const result = await runAction(inputs, { entry: resolve(ROOT, example.entry), timeoutMs: 60_000 });
    console.log(`\n--- log ---\n${logOf(result)}`);
    const outputs = Object.entries(result.outputs).map(([name, value]) => formatOutput(name, value));
    console.log(`\n--- outputs (exit code ${result.code}) ---\n${outputs.join('\n') || '(none)'}`);
    console.log(`\n--- job summary ---\n${result.summary.trim() || '(none)'}`);
    return problemsOf(example, result, emulator);
  } finally {
    await emulator.close();
  }
}

/**
 * The log as the runner shows it: without the add-mask commands, which the runner takes in and never
 * shows. Each line is set off by a bar, so that the demo's own output, read by a runner, holds no command.
 */
function logOf(result: ActionResult): string {
  return result.stdout
    .trimEnd()
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .map((line) => `│ ${line}`)
    .join('\n');
}

function problemsOf(example: Example, result: ActionResult, emulator: Emulator): string[] {
  const problems: string[] = [];
  if (result.code !== example.exitCode) problems.push(`ended with exit code ${result.code}, not ${example.exitCode}`);
  const { leaked, stray, markers, stack } = cleanliness(result, emulator);
  if (leaked.length > 0) problems.push(`leaked ${leaked.length} secret(s)`);
  for (const line of [...stray, ...markers]) problems.push(`wrote a line the runner would take for a command: ${line}`);
  if (stack) problems.push('printed a stack trace');
  if (result.stderr.trim() !== '') problems.push(`wrote to stderr: ${result.stderr.trim()}`);
  return problems;
}

for (const example of EXAMPLES) {
  if (!existsSync(resolve(ROOT, example.entry))) {
    console.error(`No ${example.entry}: run 'npm run demo' (it bundles first), or 'npm run bundle'.`);
    process.exit(2);
  }
}
const problems: string[] = [];
for (const [i, example] of EXAMPLES.entries()) {
  for (const problem of await show(example, i + 1)) problems.push(`${i + 1}. ${example.title}: ${problem}`);
}
if (problems.length > 0) {
  console.error(`\nThe demo did not go as it should:\n${problems.map((p) => `- ${p}`).join('\n')}`);
  process.exit(1);
}
console.log(`\n${EXAMPLES.length} examples, each ended as it should and leaked nothing.`);
