// Run-id mode (adopt the given runs, or re-trigger them) and following runs to their end, with
// failed runs re-triggered while `retries` allow and another try could help.
import { ServiceError } from './answers.js';
import { onlyDataErrors } from './diagnosis.js';
import { describeRequests, UnknownOutcomeError } from './flow-service.js';
import { stepContext, type Mode } from './mode.js';
import { attemptsOf, type FlowStory } from './outcome.js';
import { forEachLimited } from './pool.js';
import { classifyStatus } from './status.js';
import type { FollowSettings } from './settings.js';
import { failureText, type Step } from './step.js';
import { waitForRun } from './wait.js';

/** What run-id mode does with a given run once it is read (re-trigger it, say); nothing by default. */
export type GivenRunStage = (step: Step, story: FlowStory) => Promise<void>;

/** Run-id mode: read each given run (its flow comes from the run itself), then the stages asked for. */
export async function adoptRuns(step: Step<FollowSettings>, then: GivenRunStage[] = []): Promise<void> {
  await forEachLimited(step.report.stories, step.settings.maxConcurrency, async (story) => {
    try {
      step.report.started(story, await readGivenRun(step, story.givenRunId!), 'adopted');
      for (const stage of then) await stage(step, story);
    } catch (error) {
      step.report.notStarted(story, failureText(error, step), error instanceof UnknownOutcomeError);
    }
  });
}

/** `re-trigger`: re-trigger the run just read, and follow the new run instead. */
export async function retrigger(step: Step, story: FlowStory): Promise<void> {
  const fresh = await step.service.retrigger(story.run!, new Set(attemptsOf(story)), step.signal);
  step.report.started(story, fresh, 'retriggered');
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
export async function followRuns(step: Step): Promise<void> {
  // A catch-up has followed its flow's runs already, window by window.
  const started = step.report.stories.filter((s) => s.run && !s.failure && !s.wait);
  await Promise.all(
    started.map((story, index) =>
      followToEnd(step, story, (step.settings.pollIntervalMs * (index + 1)) / started.length),
    ),
  );
}

/**
 * Follows one flow's newest run to its end (re-triggered while `retries` allow), judged and told
 * through the report; a read that fails for good ends the flow's story. A catch-up's window is one such follow.
 */
export async function followToEnd(step: Step, story: FlowStory, firstReadAfterMs: number): Promise<void> {
  try {
    await followRun(step, story, firstReadAfterMs);
  } catch (error) {
    step.report.notFollowed(story, failureText(error, step), error instanceof UnknownOutcomeError);
  }
}

/** Waits for one flow's run; a run that ends failed is re-triggered while `retries` allow and it could help. */
async function followRun(step: Step, story: FlowStory, firstReadAfterMs: number): Promise<void> {
  const { settings, service, report, signal } = step;
  let retriesLeft = settings.retries;
  for (;;) {
    const run = story.run!;
    const before = story.earlier?.at(-1);
    const result = await waitForRun({
      run,
      readRun: (s) => service.getRun(run.id, s),
      // A re-trigger answered with the failed run's own ID: that run restarting (see waitForRun).
      earlierEnd: before?.id === run.id ? before : undefined,
      pollIntervalMs: settings.pollIntervalMs,
      firstReadAfterMs: (story.earlier?.length ?? 0) === 0 ? firstReadAfterMs : undefined,
      deadline: step.deadline,
      signal,
      onStatusChange: (next, previous) => report.statusChanged(story, next, previous),
    });
    const failed = result.end === 'final' && classifyStatus(result.run.status) === 'failure';
    if (!failed || retriesLeft === 0) return report.waited(story, result);
    report.read(story, result.run);
    if (onlyDataErrors(result.run)) {
      report.notRetried(story, 'data error (another try would fail the same way)');
      return report.waited(story, result);
    }
    retriesLeft -= 1;
    try {
      await retrigger(step, story);
    } catch (error) {
      if (error instanceof UnknownOutcomeError) throw error;
      report.notRetried(story, `re-triggering it failed: ${failureText(error, step)}`);
      return report.waited(story, result);
    }
  }
}

/** Follow mode (`run-id`) as the entry composes it: a story per given run, adopted, maybe re-triggered. */
export function followMode(settings: FollowSettings): Mode {
  const urls = describeRequests(settings.platformUrl);
  return {
    stories: settings.runIds.map((givenRunId) => ({ flowId: '', givenRunId })),
    context: stepContext(settings),
    start: (step) => adoptRuns({ ...step, settings }, settings.retrigger ? [retrigger] : []),
    dryRun: () => ({
      requests: [],
      plans: settings.runIds.map((runId) =>
        settings.retrigger
          ? `Run ${runId} would be read, then re-triggered with POST ${urls.retrigger(runId)}.`
          : `Run ${runId} would be read with GET ${urls.readRun(runId)}.`,
      ),
    }),
  };
}
