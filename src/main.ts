// One step, as a story told in named stages, once index.ts has read good inputs: start runs (create
// mode) or adopt or re-trigger given ones (run-id mode); set the outputs at once; optionally follow
// each run to its end, re-triggering failed ones when asked; report. A mode is a choice of stages; no
// stage asks which mode it is in. Errors become a failed step, never a stack trace.
import * as core from '@actions/core';
import { startRuns } from './create.js';
import { buildRunRequest, describeRequests, FlowServiceClient } from './flow-service.js';
import { adoptRuns, followRuns, retrigger } from './follow.js';
import type { HttpClient } from './http.js';
import { tokenSource } from './ims.js';
import { Report } from './report.js';
import { actionsRunner, type Runner } from './runner.js';
import type { Secrets } from './secrets.js';
import type { Settings } from './settings.js';
import { failureText, type Step } from './step.js';
import { renderDryRunPlans, renderSummary } from './summary.js';

/** The step once its inputs are known to be good. */
export async function runWith(settings: Settings, startedAt: number, secrets: Secrets): Promise<void> {
  const io = actionsRunner(core, secrets);
  for (const warning of settings.warnings) io.warning(warning);
  if (settings.dryRun) return tellDryRun(settings, io);

  // Listening for a cancel first: the job may be cancelled while the HTTP stack loads.
  const cancel = cancelOnSignals();
  const { HttpClient } = await import(/* webpackMode: "eager" */ './http.js');
  const deadline = startedAt + settings.timeoutMs;
  const http: HttpClient = new HttpClient({
    requestTimeoutMs: settings.requestTimeoutMs,
    deadline,
    log: (line) => io.info(line),
  });
  const report = new Report(settings, io, startedAt);
  try {
    // One token serves every flow: the token source mints it on first use and shares it.
    const tokens = tokenSource({ ...settings, http, addSecret: (v) => secrets.add(v) });
    const service = new FlowServiceClient({ ...settings, tokens, http, log: io, deadline });
    const step: Step = { settings, service, report, signal: cancel.signal, deadline, debug: (m) => io.debug(m) };

    if (settings.runIds.length === 0) await startRuns(step);
    else await adoptRuns(step, settings.retrigger ? [retrigger] : []);
    report.allStarted();

    if (settings.wait) await followRuns(step);
    io.debug(`Tokens minted in this step: ${tokens.minted}`);
    report.finished();
  } catch (error) {
    report.fail(failureText(error, { signal: cancel.signal, debug: (m) => io.debug(m) }));
  } finally {
    await report.writeSummary();
    cancel.dispose();
    await http.close();
  }
}

/** Dry run: print what would be sent, send nothing; the summary says the same. */
async function tellDryRun(settings: Settings, io: Runner): Promise<void> {
  const api = describeRequests(settings.platformUrl);
  const plans: string[] = [];
  for (const runId of settings.runIds) {
    plans.push(
      settings.retrigger
        ? `Run ${runId} would be read, then re-triggered with POST ${api.retrigger(runId)}.`
        : `Run ${runId} would be read with GET ${api.readRun(runId)}.`,
    );
  }
  for (const flowId of settings.flowIds) {
    if (typeof settings.windowStart !== 'number') {
      plans.push(`The window of flow ${flowId} would start where its last successful run's window ended.`);
      continue;
    }
    const request = buildRunRequest({ ...settings, flowId, windowStart: settings.windowStart });
    io.info(`Dry run: nothing is sent. This request would go to ${api.createRun}:`);
    io.info(JSON.stringify(request, null, 2));
    await io.summary(renderSummary({ settings, flowId, dryRunRequest: request }));
  }
  for (const plan of plans) io.info(`Dry run: nothing is sent. ${plan}`);
  if (plans.length > 0) await io.summary(renderDryRunPlans(plans));
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
