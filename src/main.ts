// One step, as a story: read the inputs, get a token, start each flow's run, set the outputs at once,
// optionally wait for the runs, and report. Errors become a failed step, never a stack trace.
import * as core from '@actions/core';
import { buildRunRequest, FlowServiceClient } from './flow-service.js';
import { tokenSource } from './ims.js';
import { forEachLimited } from './pool.js';
import { Report } from './report.js';
import { renderSummary } from './summary.js';
import { Secrets } from './secrets.js';
import type { Settings } from './settings.js';
import { waitForRun } from './wait.js';

/** The step once its inputs are known to be good. */
export async function runWith(settings: Settings, startedAt: number, secrets: Secrets): Promise<void> {
  if (settings.dryRun) {
    for (const flowId of settings.flowIds) {
      const request = buildRunRequest({ ...settings, flowId });
      core.info(
        `Dry run: nothing is sent. This request would go to ${settings.platformUrl}/data/foundation/flowservice/runs:`,
      );
      core.info(JSON.stringify(request, null, 2));
      if (process.env.GITHUB_STEP_SUMMARY) {
        await core.summary.addRaw(renderSummary({ settings, flowId, dryRunRequest: request }), true).write();
      }
    }
    return;
  }

  // undici is the heaviest module: load it only now that the inputs are known to be good.
  const { HttpClient } = await import(/* webpackMode: "eager" */ './http.js');
  const deadline = startedAt + settings.timeoutMs;
  const cancel = cancelOnSignals();
  const http = new HttpClient({ requestTimeoutMs: settings.requestTimeoutMs, deadline, debug: core.debug });
  const report = new Report(settings, secrets, startedAt);
  try {
    // One token serves every flow: the token source mints it on first use and shares it.
    const tokens = tokenSource({ ...settings, http, addSecret: (v) => secrets.add(v) });
    const flowService = new FlowServiceClient({ ...settings, tokens, http, log: core });

    // A run that cannot be created does not stop the others.
    await forEachLimited(report.stories, settings.maxConcurrency, async (story) => {
      try {
        report.created(
          story,
          await flowService.createRun(buildRunRequest({ ...settings, flowId: story.flowId }), cancel.signal),
        );
      } catch (error) {
        report.notCreated(story, failureText(error, cancel.signal));
      }
    });
    report.allCreated();

    if (settings.wait) {
      const started = report.stories.filter((s) => s.run);
      await Promise.all(
        started.map(async (story, index) => {
          try {
            const result = await waitForRun({
              run: story.run!,
              readRun: (signal) => flowService.getRun(story.run!.id, signal),
              pollIntervalMs: settings.pollIntervalMs,
              // Several flows' reads are spread across the interval, never in a burst.
              firstReadAfterMs: (settings.pollIntervalMs * (index + 1)) / started.length,
              deadline,
              signal: cancel.signal,
              onStatusChange: (run, previous) => report.statusChanged(story, run, previous),
            });
            report.waited(story, result);
          } catch (error) {
            report.notFollowed(story, failureText(error, cancel.signal));
          }
        }),
      );
    }
    core.debug(`Tokens minted in this step: ${tokens.minted}`);
    report.finished();
  } catch (error) {
    report.fail(failureText(error, cancel.signal));
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

/** What went wrong, in words for the user, saying so when the job was cancelled meanwhile. */
function failureText(error: unknown, signal: AbortSignal): string {
  return `${signal.aborted ? 'The job was cancelled. ' : ''}${messageOf(error)}`;
}

const USER_FACING = new Set(['InputError', 'AuthError', 'ServiceError', 'UnknownOutcomeError', 'NetworkError']);

/** Our errors carry messages written for users; anything else is a bug: its stack goes to the debug log only. */
function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (!USER_FACING.has(error.name) && error.stack) core.debug(error.stack);
  return error.message;
}
