// Create mode: each flow goes through the stages the inputs ask for (read the flow, list its runs,
// guard against a run in progress, take its window) and then its run request. The stages are chosen
// once, from the settings; no stage asks which mode it is in.
import { ServiceError, type Flow, type Run } from './answers.js';
import { buildRunRequest, describeRequests, UnknownOutcomeError } from './flow-service.js';
import { stepContext, type DryRunPlan, type Mode } from './mode.js';
import { followToEnd } from './follow.js';
import {
  nextWindow,
  originText,
  runsInFlight,
  splitWindows,
  windowsToCatchUp,
  withReads,
  type NoWindow,
  type Span,
} from './history.js';
import { windowText, type FlowStory } from './outcome.js';
import { limiter } from './pool.js';
import type { CreateSettings } from './settings.js';
import { failureText, type Step as AnyStep } from './step.js';
import { formatDuration, isoSeconds } from './time.js';
import { waitForRun } from './wait.js';

type Step = AnyStep<CreateSettings>;

/** What one flow's stages work out, in turn, before its run request. */
interface FlowPlan {
  story: FlowStory;
  /** The delta column the run request carries: the input's, unless the flow already holds it. */
  deltaColumn: string | undefined;
  /** The flow's runs, listed once, when a stage needs them; runs waited for are replaced by their last read. */
  history?: Run[];
  /** A place among the `max-concurrency` requests in flight, for a stage that waits and also sends. */
  slot: <T>(task: () => Promise<T>) => Promise<T>;
}

/**
 * One stage of a flow's way to its run request. It answers whether the flow goes on: a stage that
 * ends the flow (a failure, or nothing to do) has told the report why. `waits` marks a stage that
 * may wait for minutes: it holds no place among the `max-concurrency` requests in flight meanwhile.
 */
interface FlowStage {
  (step: Step, plan: FlowPlan): boolean | Promise<boolean>;
  waits?: boolean;
}

/**
 * Create mode: each flow goes through the stages the inputs ask for (read the flow, list its runs,
 * guard against a run in progress, take its window, create its run). The stages are chosen once
 * here; each flow goes its own way, and one failing does not stop the others.
 */
export async function startRuns(step: Step): Promise<void> {
  const { settings, report } = step;
  const stages = createStages(settings);
  const slots = limiter(settings.maxConcurrency);
  await Promise.all(
    report.stories.map(async (story) => {
      const plan: FlowPlan = { story, deltaColumn: settings.deltaColumn, slot: slots };
      try {
        for (const stage of stages) {
          const goOn = stage.waits ? await stage(step, plan) : await slots(async () => stage(step, plan));
          if (!goOn) return;
        }
      } catch (error) {
        report.notStarted(story, failureText(error, step), error instanceof UnknownOutcomeError);
      }
    }),
  );
}

/** The stages of create mode for these inputs: nothing is asked of the service that is not needed. */
function createStages(settings: CreateSettings): FlowStage[] {
  const given = settings.windowStart === 'last-success' ? undefined : settings.windowStart;
  const guard = { start: undefined, wait: waitForRunsInFlight, skip: skipIfRunning, fail: failIfRunning }[
    settings.ifRunning
  ];
  return [
    ...(settings.preflight ? [preflight] : []),
    // One list serves both the guard and the window.
    ...(guard || given === undefined ? [listHistory] : []),
    ...(guard ? [guard] : []),
    // `catch-up` is its own pair of stages: every window of the range, each run followed to its end.
    ...(settings.catchUp
      ? [given === undefined ? windowsFromHistory : windowsFromInputs(given), catchUpRuns(given === undefined)]
      : [given === undefined ? windowFromHistory : windowFromInputs(given), createRun]),
  ];
}

/** GET /flows/{id}: fail before the run request when the flow cannot take one. */
async function preflight(step: Step, plan: FlowPlan): Promise<boolean> {
  const { settings, service, report, signal } = step;
  const { story } = plan;
  let flow: Flow | undefined;
  let answer = ''; // what the service said, when it said "no such flow" with an error body
  try {
    flow = await service.getFlow(story.flowId, signal);
  } catch (error) {
    if (error instanceof ServiceError && error.status === 403) {
      report.warn(
        story,
        `Could not read flow ${story.flowId} to check it before its run (${error.message}). ` +
          "Starting its run without the check; give the credential's product profile permission to read " +
          "dataflows, or set 'preflight: false'.",
      );
      return true;
    }
    // Adobe documents FLOW-1430-400 for an unknown flow, besides 404 and an empty list.
    if (!(error instanceof ServiceError && error.code?.startsWith('FLOW-1430'))) throw error;
    answer = ` ${error.message}`;
  }
  const problem = flow ? flowProblem(flow, settings) : notFound(story.flowId, settings.sandboxName) + answer;
  if (flow) report.flowRead(story, flow);
  if (problem) {
    report.notStarted(story, problem);
    return false;
  }
  if (plan.deltaColumn !== undefined && flow?.deltaColumn === plan.deltaColumn) {
    report.note(story, `Flow ${story.flowId} already holds delta column '${flow.deltaColumn}': not sent again.`);
    plan.deltaColumn = undefined;
  }
  return true;
}

function notFound(flowId: string, sandboxName: string): string {
  return (
    `Flow ${flowId} was not found in sandbox '${sandboxName}': check 'flow-id' (the dataflow's ID, from ` +
    `Sources > Dataflows, not its source connection's or dataset's) and 'sandbox-name'. No run was started.`
  );
}

/** Why this flow cannot take the run request, in words a user acts on; undefined when it can. */
function flowProblem(flow: Flow, settings: CreateSettings): string | undefined {
  const name = `Flow ${flow.id}${flow.name ? ` (${flow.name})` : ''}`;
  if (flow.state && flow.state.toLowerCase() !== 'enabled') {
    return `${name} is ${flow.state}: enable it in Platform (Sources > Dataflows) before starting a run. No run was started.`;
  }
  if (flow.frequency && flow.frequency.toLowerCase() !== 'once') {
    return (
      `${name} is scheduled '${flow.frequency}', not 'once': on-demand runs are only for a dataflow scheduled ` +
      'for one-time ingestion, and a schedule cannot be changed to one-time. Create a one-time dataflow for ' +
      "this source and give its ID in 'flow-id'. No run was started."
    );
  }
  if (
    settings.deltaColumn !== undefined &&
    flow.deltaColumn !== undefined &&
    flow.deltaColumn !== settings.deltaColumn
  ) {
    return (
      `Input 'delta-column' is '${settings.deltaColumn}', but ${name} already holds delta column ` +
      `'${flow.deltaColumn}', and a flow's delta column cannot change: remove 'delta-column' (or set it to ` +
      `'${flow.deltaColumn}'). No run was started.`
    );
  }
  return undefined;
}

/** GET /runs of the flow, every page, once: the guard and the window both read it. */
async function listHistory(step: Step, plan: FlowPlan): Promise<boolean> {
  const { runs, complete } = await step.service.listRuns(plan.story.flowId, step.signal);
  if (!complete) {
    step.report.warn(
      plan.story,
      `Flow ${plan.story.flowId} has more runs than the action lists (${runs.length} read): the window and the ` +
        'check for runs in progress use those only.',
    );
  }
  plan.history = runs;
  return true;
}

/** `if-running: wait`: follow the flow's runs in progress to their end before going on. */
async function waitForRunsInFlight(step: Step, plan: FlowPlan): Promise<boolean> {
  const { settings, service, report, signal } = step;
  const { story } = plan;
  const running = runsInFlight(plan.history ?? [], Date.now());
  if (running.length === 0) return true;
  for (const run of running) {
    report.note(story, `${inFlightText(story, run)}: waiting for it to end before starting the next run.`);
  }
  const results = await Promise.all(
    running.map((run) =>
      waitForRun({
        run,
        readRun: (s) => service.getRun(run.id, s),
        pollIntervalMs: settings.pollIntervalMs,
        deadline: step.deadline,
        signal,
        onStatusChange: (next, previous) => report.statusChanged(story, next, previous),
      }),
    ),
  );
  const unfinished = results.find((r) => r.end !== 'final');
  if (unfinished) {
    const { run } = unfinished;
    report.notStarted(
      story,
      unfinished.end === 'cancelled'
        ? `The job was cancelled while waiting for run ${run.id} of flow ${story.flowId} to end. No run was started.`
        : `Run ${run.id} of flow ${story.flowId} was still ${run.status ?? 'running'} when the step's timeout ` +
            `(${formatDuration(settings.timeoutMs)}) came. No run was started, so that two do not overlap: raise ` +
            "'timeout', or set 'if-running' to skip or start.",
    );
    return false;
  }
  for (const { run } of results) report.note(story, `Run ${run.id} ended ${run.status ?? ''}.`);
  // What waiting read is the newest word on those runs: no second list is needed.
  plan.history = withReads(
    plan.history ?? [],
    results.map((r) => r.run),
  );
  return true;
}
waitForRunsInFlight.waits = true;

/** `if-running: skip`: no run while one is in progress; the step succeeds. */
function skipIfRunning(step: Step, plan: FlowPlan): boolean {
  const [run] = runsInFlight(plan.history ?? [], Date.now());
  if (!run) return true;
  step.report.skipped(plan.story, `${inFlightText(plan.story, run)}: no run was started ('if-running: skip').`);
  return false;
}

/** `if-running: fail`: a run in progress fails the flow. */
function failIfRunning(step: Step, plan: FlowPlan): boolean {
  const [run] = runsInFlight(plan.history ?? [], Date.now());
  if (!run) return true;
  step.report.notStarted(
    plan.story,
    `${inFlightText(plan.story, run)}, and 'if-running' is fail: no run was started. Let it end first, or set ` +
      "'if-running' to wait, skip or start.",
  );
  return false;
}

/** "Run X of flow F is still inProgress (created T)". */
function inFlightText(story: FlowStory, run: Run): string {
  const created = run.createdAt === undefined ? '' : ` (created ${isoSeconds(Math.floor(run.createdAt / 1000))})`;
  return `Run ${run.id} of flow ${story.flowId} is still ${run.status ?? 'scheduled'}${created}`;
}

/** The window the inputs give. */
function windowFromInputs(start: number) {
  return (step: Step, plan: FlowPlan): boolean => {
    step.report.windowChosen(plan.story, { start, end: step.settings.windowEnd, origin: { kind: 'inputs' } });
    return true;
  };
}

/** `window-start: last-success`: the window starts where the newest successful one ended. */
function windowFromHistory(step: Step, plan: FlowPlan): boolean {
  const next = nextWindow(plan.history ?? [], step.settings);
  if (next.kind !== 'window') return noWindow(step, plan.story, next);
  step.report.windowChosen(plan.story, { start: next.start, end: next.end, origin: next.origin });
  step.report.note(plan.story, `Window ${windowText(next)}: ${originText(next.origin)}.`);
  return true;
}

/** Why a flow takes no window after its last success: none to start after, or nothing new. */
function noWindow(step: Step, story: FlowStory, next: NoWindow): false {
  const { settings, report } = step;
  if (next.kind === 'unreadable') {
    const ids = next.runs.slice(0, 5).map((r) => r.id);
    const more = next.runs.length > ids.length ? ` and ${next.runs.length - ids.length} more` : '';
    report.notStarted(
      story,
      `Flow ${story.flowId} has successful runs whose windows cannot be read (${ids.join(', ')}${more}): ` +
        "'window-start: last-success' cannot tell where they ended, and starting from an earlier window would " +
        "ingest their data a second time. Give 'window-start' as a time (where the data not yet ingested " +
        'starts) for this run. No run was started.',
    );
    return false;
  }
  if (next.kind === 'no success') {
    report.notStarted(
      story,
      `Flow ${story.flowId} has no successful run to start the window after, so 'window-start: ` +
        "last-success' cannot tell where to start. Set 'first-window-start' to where its first window starts " +
        '(a time, or a duration before window-end such as 7d). No run was started.',
    );
    return false;
  }
  report.skipped(
    story,
    `Nothing new to ingest for flow ${story.flowId}: run ${next.after.run.id} already took the window up to ` +
      `${isoSeconds(next.after.window.end)}, and 'window-end' is ${isoSeconds(settings.windowEnd)}. No run was started.`,
  );
  return false;
}

/** `catch-up` with a given window: the range, split into windows of at most `max-window`. */
function windowsFromInputs(start: number) {
  return (step: Step, plan: FlowPlan): boolean => {
    const windows = splitWindows({ start, end: step.settings.windowEnd }, step.settings.maxWindowMs!);
    step.report.windowsPlanned(plan.story, windows, { kind: 'inputs' });
    return true;
  };
}

/** `catch-up` with `last-success`: from where the newest success ended up to `window-end`, split. */
function windowsFromHistory(step: Step, plan: FlowPlan): boolean {
  const { settings } = step;
  const next = windowsToCatchUp(plan.history ?? [], { ...settings, maxWindowMs: settings.maxWindowMs! });
  if (next.kind !== 'windows') return noWindow(step, plan.story, next);
  step.report.windowsPlanned(plan.story, next.windows, next.origin);
  return true;
}

/**
 * `catch-up`: each window in turn, never two of a flow at once: its run requested (at most once, as
 * any run request), followed to its end as any run is (re-triggers included), judged with the gates.
 * The first window that does not end well stops the flow; so does the timeout, which the next step
 * resumes from with `last-success`. A window's run is not started when less than one poll interval is
 * left: its end could not be seen.
 */
function catchUpRuns(resumable: boolean): FlowStage {
  const stage: FlowStage = async (step, plan) => {
    const { settings, report, signal } = step;
    const { story } = plan;
    const { windows } = story.catchUp!;
    const timedOut = resumable ? 'timeout, resumable' : 'timeout';
    for (const [index, window] of windows.entries()) {
      if (signal.aborted) {
        report.notFollowed(story, `The job was cancelled before window ${index + 1}'s run was requested.`);
        report.catchUpEnded(story, 'stopped', index);
        return false;
      }
      if (Date.now() + settings.pollIntervalMs >= step.deadline) {
        report.catchUpEnded(story, timedOut, index);
        return false;
      }
      report.windowStarting(story, index);
      try {
        await plan.slot(() => requestRun(step, plan, window));
      } catch (error) {
        report.notStarted(story, failureText(error, step), error instanceof UnknownOutcomeError);
        report.catchUpEnded(story, 'stopped', index);
        return false;
      }
      await followToEnd(step, story, settings.pollIntervalMs);
      if (story.wait?.end === 'timeout') {
        report.catchUpEnded(story, timedOut, index);
        return false;
      }
      if (story.failure) {
        report.catchUpEnded(story, 'stopped', index);
        return false;
      }
    }
    report.catchUpEnded(story, 'caught up', windows.length);
    return true;
  };
  stage.waits = true;
  return stage;
}

/** POST /runs with the flow's window. */
async function createRun(step: Step, plan: FlowPlan): Promise<boolean> {
  await requestRun(step, plan, plan.story.window!);
  return true;
}

/** POST /runs for one window: the run exists from its answer on (or the request's outcome is unknown). */
async function requestRun(step: Step, plan: FlowPlan, window: Span): Promise<void> {
  const { story } = plan;
  const request = buildRunRequest({
    ...step.settings,
    flowId: story.flowId,
    windowStart: window.start,
    windowEnd: window.end,
    deltaColumn: plan.deltaColumn,
  });
  step.report.started(story, await step.service.createRun(request, step.signal), 'created');
}

/** Create mode as the entry composes it: a story per flow, what the summary says of the step, the stages. */
export function createMode(settings: CreateSettings): Mode {
  const given = settings.windowStart === 'last-success' ? undefined : settings.windowStart;
  return {
    stories: settings.flowIds.map((flowId) => ({ flowId })),
    context: {
      ...stepContext(settings),
      startTime: settings.startTime,
      ...(given === undefined ? {} : { window: { start: given, end: settings.windowEnd } }),
    },
    start: (step) => startRuns({ ...step, settings }),
    dryRun(): DryRunPlan {
      const urls = describeRequests(settings.platformUrl);
      const every = settings.catchUp ? ` (${formatDuration(settings.maxWindowMs!)})` : '';
      if (given === undefined) {
        return {
          requests: [],
          plans: settings.flowIds.map((flowId) =>
            settings.catchUp
              ? `Flow ${flowId} would catch up from where its last successful run's window ended up to ` +
                `${isoSeconds(settings.windowEnd)}, one window of at most max-window${every} after another.`
              : `The window of flow ${flowId} would start where its last successful run's window ended.`,
          ),
        };
      }
      // With `catch-up`, every window the range splits into, in the order they would be sent.
      const windows = settings.catchUp
        ? splitWindows({ start: given, end: settings.windowEnd }, settings.maxWindowMs!)
        : [{ start: given, end: settings.windowEnd }];
      const requests = settings.flowIds.flatMap((flowId) =>
        windows.map((w) => ({
          flowId,
          url: urls.createRun,
          body: buildRunRequest({ ...settings, flowId, windowStart: w.start, windowEnd: w.end }),
        })),
      );
      return { requests, plans: [] };
    },
  };
}
