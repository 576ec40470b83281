// One step, as a story: read the inputs, get a token, start the run, set its outputs at once,
// optionally wait for it, and report. Errors become one failed step, never a stack trace.
import * as core from '@actions/core';
import { buildRunRequest, FlowServiceClient } from './flow-service.js';
import { tokenSource } from './ims.js';
import { Report, renderSummary } from './report.js';
import { Secrets } from './secrets.js';
import { readSettings, type Settings } from './settings.js';
import { waitForRun } from './wait.js';

export async function run(): Promise<void> {
  const startedAt = Date.now();
  const secrets = new Secrets((value) => core.setSecret(value));

  let settings: Settings;
  try {
    settings = readSettings({ getInput: (name) => core.getInput(name), setSecret: (v) => secrets.add(v) }, startedAt);
  } catch (error) {
    core.setFailed(secrets.redact(messageOf(error)));
    return;
  }
  const request = buildRunRequest(settings);

  if (settings.dryRun) {
    core.info(
      `Dry run: nothing is sent. This request would go to ${settings.platformUrl}/data/foundation/flowservice/runs:`,
    );
    core.info(JSON.stringify(request, null, 2));
    if (process.env.GITHUB_STEP_SUMMARY)
      await core.summary.addRaw(renderSummary({ settings, dryRunRequest: request }), true).write();
    return;
  }

  // undici is the heaviest module: load it only now that the inputs are known to be good.
  const { HttpClient } = await import(/* webpackMode: "eager" */ './http.js');
  const cancel = cancelOnSignals();
  const http = new HttpClient({
    requestTimeoutMs: settings.requestTimeoutMs,
    deadline: startedAt + settings.timeoutMs,
    debug: core.debug,
  });
  const report = new Report(settings, secrets, startedAt);
  try {
    const tokens = tokenSource({ ...settings, http, addSecret: (v) => secrets.add(v) });
    const flowService = new FlowServiceClient({ ...settings, tokens, http, log: core });

    const created = await flowService.createRun(request, cancel.signal);
    report.created(created);

    if (settings.wait) {
      const result = await waitForRun({
        run: created,
        readRun: (signal) => flowService.getRun(created.id, signal),
        pollIntervalMs: settings.pollIntervalMs,
        deadline: startedAt + settings.timeoutMs,
        signal: cancel.signal,
        onStatusChange: (run, previous) => report.statusChanged(run, previous),
      });
      report.waited(result);
    }
    core.debug(`Tokens minted in this step: ${tokens.minted}`);
  } catch (error) {
    const cancelled = cancel.signal.aborted ? 'The job was cancelled. ' : '';
    report.fail(`${cancelled}${messageOf(error)}`);
  } finally {
    await report.writeSummary();
    cancel.dispose();
    await http.close();
  }
}

/** SIGINT/SIGTERM (the job was cancelled) abort whatever is in flight. */
function cancelOnSignals(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = (name: string) => controller.abort(new Error(`received ${name}`));
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

const USER_FACING = new Set(['InputError', 'AuthError', 'ServiceError', 'UnknownOutcomeError', 'NetworkError']);

/** Our errors carry messages written for users; anything else is a bug: its stack goes to the debug log only. */
function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (!USER_FACING.has(error.name) && error.stack) core.debug(error.stack);
  return error.message;
}
