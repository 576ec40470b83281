// One step, as a story told in named stages, once index.ts has read good inputs: start runs (create
// mode) or adopt or re-trigger given ones (run-id mode); set the outputs at once; optionally follow
// each run to its end, re-triggering failed ones when asked; read the rejected records of those that did
// not end well; report. A mode is a choice of stages; no stage asks which mode it is in. Errors become
// a failed step, never a stack trace.
import * as core from '@actions/core';
import { createMode } from './create.js';
import { FlowServiceClient } from './flow-service.js';
import { followMode, followRuns } from './follow.js';
import type { HttpClient } from './http.js';
import { tokenSource } from './ims.js';
import type { DryRunPlan, Mode } from './mode.js';
import { dataAccessFor, readRejectedRecords } from './rejected.js';
import { OneFlowReport, SeveralFlowsReport, type Report } from './report.js';
import { actionsRunner, type Runner } from './runner.js';
import type { Secrets } from './secrets.js';
import type { Settings } from './settings.js';
import { cancelOnSignals } from './signals.js';
import { failureText, type Step } from './step.js';
import { renderDryRunPlans, renderSummary, type StepContext } from './summary.js';
import { Transport } from './transport.js';

/** The step once its inputs are known to be good. */
export async function runWith(settings: Settings, startedAt: number, secrets: Secrets): Promise<void> {
  const io = actionsRunner(core, secrets);
  for (const warning of settings.warnings) io.warning(warning);
  const mode: Mode = settings.mode === 'create' ? createMode(settings) : followMode(settings);
  if (settings.dryRun) return tellDryRun(mode.dryRun(), mode.context, io);

  // Listening for a cancel first: the job may be cancelled while the HTTP stack loads.
  const cancel = cancelOnSignals();
  const { HttpClient } = await import(/* webpackMode: "eager" */ './http.js');
  const deadline = startedAt + settings.timeoutMs;
  const http: HttpClient = new HttpClient({
    requestTimeoutMs: settings.requestTimeoutMs,
    deadline,
    log: (line) => io.info(line),
  });
  // The layout is chosen once: one flow reads as a single run always has; several get a row each.
  const Layout = mode.stories.length > 1 ? SeveralFlowsReport : OneFlowReport;
  const report: Report = new Layout(mode.stories, io, {
    context: mode.context,
    rules: { failOnPartial: settings.failOnPartial, timeoutMs: settings.timeoutMs, gates: settings.gates },
    startedAt,
  });
  try {
    // One token serves every flow: the token source mints it on first use and shares it.
    const tokens = tokenSource({ ...settings, http, addSecret: (v) => secrets.add(v) });
    const service = new FlowServiceClient({ ...settings, tokens, http, log: io, deadline });
    const step: Step = { settings, service, report, signal: cancel.signal, deadline, debug: (m) => io.debug(m) };

    await mode.start(step);
    report.allStarted();
    if (settings.wait) {
      await followRuns(step);
      // The outputs known now are set before the slower reads of rejected records.
      report.followed();
      const access = dataAccessFor(settings, new Transport({ ...settings, tokens, http, log: io }), cancel.signal);
      if (access) await readRejectedRecords(step, access);
    }
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
async function tellDryRun(plan: DryRunPlan, context: StepContext, io: Runner): Promise<void> {
  for (const request of plan.requests) {
    io.info(`Dry run: nothing is sent. This request would go to ${request.url}:`);
    io.info(JSON.stringify(request.body, null, 2));
    await io.summary(renderSummary({ flowId: request.flowId, dryRunRequest: request.body }, context));
  }
  for (const line of plan.plans) io.info(`Dry run: nothing is sent. ${line}`);
  if (plan.plans.length > 0) await io.summary(renderDryRunPlans(plan.plans));
}
