// The one fixture of the end-to-end tests: it starts emulators for a test, runs the bundled action
// against them, and after every test closes them and checks, by itself, every run the test made:
// no secret anywhere (the client secret and every token of the emulator the run went to, and the
// values of the run's own secret inputs), no log line the runner would take for a command but the
// action's own, no `##[` anywhere in a line, no stack trace (`cleanliness()` in harness.ts). A test
// says nothing about cleanliness; it cannot forget to check it.
//
//   const e2e = useEmulator();                 // once, at the top of a test file
//
//   it('polls to success', async () => {
//     const emulator = await e2e.start({ flows: { [FLOW_ID]: { statuses: ['inProgress', 'success'] } } });
//     const result = await e2e.run(baseInputs(emulator, { wait: 'true' }));
//     expect(result.code).toBe(0);             // the run is checked for leaks after the test
//   });
//
// A test may start more than one emulator and make more than one run: each run is checked against the
// secrets of every emulator of the test. A test that feeds the action hostile text expects it defused,
// so the check stays as it is; such a test may assert more (say, that no `::warning::` line at all was
// written), never less.
// Not for tests that run child processes of their own (dev-tools), nor for the campaign's cases, which
// hold their own invariants (with the same allow-list, `OWN_COMMANDS`).
import { afterEach, expect } from 'vitest';
import { startEmulator, type Emulator, type EmulatorOptions } from '../emulator/emulator.ts';
import { cleanliness, runAction, type ActionResult, type RunOptions } from './harness.ts';

/** The inputs whose values are secrets, whatever the test gave them (a wrong one included). */
const SECRET_INPUTS = ['client-secret', 'access-token', 'github-token'];

/** What `cleanliness()` answers for a clean run. */
export const CLEAN = { leaked: [], stray: [], markers: [], stack: false };

export interface E2e {
  /** Starts an emulator on a free 127.0.0.1 port; it is closed after the test. */
  start(options?: EmulatorOptions): Promise<Emulator>;
  /** Runs the bundled action as the runner does (`runAction`); the run is checked after the test. */
  run(inputs: Record<string, string>, options?: RunOptions): Promise<ActionResult>;
}

interface Made {
  result: ActionResult;
  emulator: Emulator;
  inputs: Record<string, string>;
}

/** Registers, for every test of the file, the closing of its emulators and the check of its runs. */
export function useEmulator(): E2e {
  let emulators: Emulator[] = [];
  let made: Made[] = [];

  afterEach(async () => {
    const runs = made;
    const started = emulators;
    made = [];
    emulators = [];
    try {
      runs.forEach(({ result, emulator, inputs }, i) => {
        // The secrets of every emulator of the test, not only the one the run went to.
        const others = started.filter((e) => e !== emulator).flatMap((e) => [e.clientSecret, ...e.tokensMintedList]);
        const given = SECRET_INPUTS.map((name) => inputs[name] ?? '').filter((value) => value !== '');
        const secrets = [...given, ...others];
        const what = `run ${i + 1} of ${runs.length} of this test (exit ${result.code}); its log:\n${result.stdout}`;
        expect(cleanliness(result, emulator, ...secrets), what).toEqual(CLEAN);
      });
    } finally {
      await Promise.all(started.map((emulator) => emulator.close()));
    }
  });

  return {
    async start(options = {}) {
      const emulator = await startEmulator(options);
      emulators.push(emulator);
      return emulator;
    },
    async run(inputs, options) {
      const emulator = emulators.at(-1);
      if (emulator === undefined) throw new Error('e2e.run: start an emulator first (e2e.start)');
      const result = await runAction(inputs, options);
      made.push({ result, emulator, inputs });
      return result;
    },
  };
}
