// One step, as a story told in named stages: read the inputs; then start runs (create mode) or adopt
// or re-trigger given ones (run-id mode); set the outputs at once; optionally follow each run to its
// end, re-triggering failed ones when asked; report. A mode is a choice of stages; no stage asks
// which mode it is in. Errors become a failed step, never a stack trace.
import * as core from '@actions/core';
import { ServiceError } from './answers.js';
import { onlyDataErrors } from './diagnosis.js';
import { buildRunRequest, FlowServiceClient, UnknownOutcomeError } from './flow-service.js';
import type { HttpClient } from './http.js';
import { tokenSource } from './ims.js';
import { attemptsOf, type FlowStory } from './outcome.js';
import { forEachLimited } from './pool.js';
import { Report } from './report.js';
import { actionsRunner, type Runner } from './runner.js';
import { Secrets } from './secrets.js';
import { InputError, readSettings, type Settings } from './settings.js';
import { classifyStatus } from './status.js';
import { renderBadInput, renderSummary } from './summary.js';
import { waitForRun } from './wait.js';

export async function run(): Promise<void> {
  const startedAt = Date.now();
  const secrets = new Secrets((value) => core.setSecret(value));

  let settings: Settings;
  try {
    settings = readSettings({ getInput: (name) => core.getInput(name), setSecret: (v) => secrets.add(v) }, startedAt);
  } catch (error) {
    core.setFailed(secrets.redact(messageOf(error)));
    if (error instanceof InputError && process.env.GITHUB_STEP_SUMMARY) {
      await core.summary.addRaw(secrets.redact(renderBadInput(error.problems)), true).write();
    }
    return;
  }
  await runWith(settings, startedAt, secrets);
}

/** What every stage works with. */
interface Step {
  settings: Settings;
  service: FlowServiceClient;
  report: Report;
  signal: AbortSignal;
  deadline: number;
}

/** The step once its inputs are known to be good. */
export async function runWith(settings: Settings, startedAt: number, secrets: Secrets): Promise<void> {
  const io = actionsRunner(core, secrets);
  if (settings.dryRun) return tellDryRun(settings, io);

  // undici is the heaviest module: load it only now that the inputs are known to be good.
  const { HttpClient } = await import(/* webpackMode: "eager" */ './http.js');
  const deadline = startedAt + settings.timeoutMs;
  const cancel = cancelOnSignals();
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
    const step: Step = { settings, service, report, signal: cancel.signal, deadline };

    if (settings.runIds.length === 0) await startRuns(step);
    else if (settings.retrigger) await retriggerRuns(step);
    else await adoptRuns(step);
    report.allStarted();

    if (settings.wait) await followRuns(step);
    io.debug(`Tokens minted in this step: ${tokens.minted}`);
    report.finished();
  } catch (error) {
    report.fail(failureText(error, cancel.signal));
  } finally {
    await report.writeSummary();
    cancel.dispose();
    await http.close();
  }
}

/** Create mode: each flow's run, at most `max-concurrency` requests at once; one failing does not stop the others. */
async function startRuns(step: Step): Promise<void> {
  const { settings, service, report, signal } = step;
  await forEachLimited(report.stories, settings.maxConcurrency, async (story) => {
    try {
      if (typeof settings.windowStart !== 'number') throw new Error('last-success windows are not built yet');
      story.window = { start: settings.windowStart, end: settings.windowEnd, origin: { kind: 'inputs' } };
      const request = buildRunRequest({
        ...settings,
        flowId: story.flowId,
        windowStart: story.window.start,
        windowEnd: story.window.end,
      });
      report.started(story, await service.createRun(request, signal), 'created');
    } catch (error) {
      report.notStarted(story, failureText(error, signal), error instanceof UnknownOutcomeError);
    }
  });
}

/** Run-id mode: read each given run; its flow comes from the run itself. */
async function adoptRuns(step: Step): Promise<void> {
  await forEachLimited(step.report.stories, step.settings.maxConcurrency, async (story) => {
    try {
      step.report.started(story, await readGivenRun(step, story.givenRunId!), 'adopted');
    } catch (error) {
      step.report.notStarted(story, failureText(error, step.signal));
    }
  });
}

/** Run-id mode with `re-trigger`: read each given run, re-trigger it, follow the new run. */
async function retriggerRuns(step: Step): Promise<void> {
  const { report, service, signal } = step;
  await forEachLimited(report.stories, step.settings.maxConcurrency, async (story) => {
    try {
      report.started(story, await readGivenRun(step, story.givenRunId!), 'adopted');
      report.started(story, await service.retrigger(story.run!, new Set(attemptsOf(story)), signal), 'retriggered');
    } catch (error) {
      report.notStarted(story, failureText(error, signal), error instanceof UnknownOutcomeError);
    }
  });
}

/** GET /runs/{id}, saying which sandbox was searched when there is no such run. */
async function readGivenRun(step: Step, runId: string) {
  try {
    return await step.service.getRun(runId, step.signal);
  } catch (error) {
    if (error instanceof ServiceError && error.status === 404) {
      throw new ServiceError(
        `Run ${runId} was not found in sandbox '${step.settings.sandboxName}': check 'run-id', and 'sandbox-name' ` +
          `(a wrong sandbox is the usual cause). ${error.message}`,
        404,
        error.code,
      );
    }
    throw error;
  }
}

/** Follows every started run to its end; several flows' reads are spread across the interval. */
async function followRuns(step: Step): Promise<void> {
  const started = step.report.stories.filter((s) => s.run && !s.failure);
  await Promise.all(
    started.map((story, index) =>
      followRun(step, story, (step.settings.pollIntervalMs * (index + 1)) / started.length).catch((error) =>
        step.report.notFollowed(story, failureText(error, step.signal), error instanceof UnknownOutcomeError),
      ),
    ),
  );
}

/** Waits for one flow's run; a run that ends failed is re-triggered while `retries` allow and it could help. */
async function followRun(step: Step, story: FlowStory, firstReadAfterMs: number): Promise<void> {
  const { settings, service, report, signal } = step;
  let retriesLeft = settings.retries;
  for (;;) {
    const run = story.run!;
    const result = await waitForRun({
      run,
      readRun: (s) => service.getRun(run.id, s),
      pollIntervalMs: settings.pollIntervalMs,
      firstReadAfterMs: (story.earlier?.length ?? 0) === 0 ? firstReadAfterMs : undefined,
      deadline: step.deadline,
      signal,
      onStatusChange: (next, previous) => report.statusChanged(story, next, previous),
    });
    const failed = result.end === 'final' && classifyStatus(result.run.status) === 'failure';
    if (!failed || retriesLeft === 0) return report.waited(story, result);
    story.run = result.run;
    if (onlyDataErrors(result.run)) {
      report.notRetried(story, 'data error (another try would fail the same way)');
      return report.waited(story, result);
    }
    retriesLeft -= 1;
    try {
      report.started(story, await service.retrigger(result.run, new Set(attemptsOf(story)), signal), 'retriggered');
    } catch (error) {
      if (error instanceof UnknownOutcomeError) throw error;
      report.notRetried(story, `re-triggering it failed: ${failureText(error, signal)}`);
      return report.waited(story, result);
    }
  }
}

/** Dry run: print what would be sent, send nothing. */
async function tellDryRun(settings: Settings, io: Runner): Promise<void> {
  const api = `${settings.platformUrl}/data/foundation/flowservice`;
  for (const runId of settings.runIds) {
    io.info(
      settings.retrigger
        ? `Dry run: nothing is sent. Run ${runId} would be read, then re-triggered with POST ${api}/runs/${runId}/action?op=re-trigger.`
        : `Dry run: nothing is sent. Run ${runId} would be read with GET ${api}/runs/${runId}.`,
    );
  }
  for (const flowId of settings.flowIds) {
    if (typeof settings.windowStart !== 'number') {
      io.info(
        `Dry run: nothing is sent. The window of flow ${flowId} would start where its last successful run's window ended.`,
      );
      continue;
    }
    const request = buildRunRequest({ ...settings, flowId, windowStart: settings.windowStart });
    io.info(`Dry run: nothing is sent. This request would go to ${api}/runs:`);
    io.info(JSON.stringify(request, null, 2));
    await io.summary(renderSummary({ settings, flowId, dryRunRequest: request }));
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
