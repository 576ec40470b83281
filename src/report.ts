// Telling each event of the step once, through the runner: outputs (set as soon as they are known),
// log lines, annotations and the job summary. `Report` is the one writer of each flow's story; how the
// story is laid out is chosen once, by the entry: `OneFlowReport` reads as a single run always has,
// `SeveralFlowsReport` gives each flow a log group, an output line and a summary row. What each end
// means is decided by the pure functions in outcome.ts. Service text arrives already inert.
import { dirname } from 'node:path';
import type { Flow, Run } from './answers.js';
import type { Problem, RejectedRecords } from './data-access.js';
import { originText, type Span } from './history.js';
import {
  attemptsOf,
  judgeWithGates,
  notIngestedText,
  windowsLeft,
  windowText,
  overallStatus,
  runEntry,
  storyStatus,
  storyUrl,
  unsureText,
  whereToLook,
  type FlowStory,
  type JudgeRules,
  type WindowOrigin,
} from './outcome.js';
import { rejectedLine } from './rejected-summary.js';
import type { Runner } from './runner.js';
import { renderSummary, renderSummaryOfMany, type StepContext } from './summary.js';
import { formatDuration, isoSeconds } from './time.js';
import type { WaitResult } from './wait.js';

/** Problems that only mean the run keeps no diagnostics: said in the summary and the error, not warned. */
const NO_DIAGNOSTICS = new Set<Problem['kind']>(['no-batch', 'not-found']);

/** How a run came to be followed. */
export type Arrival = 'created' | 'adopted' | 'retriggered';

/**
 * How a catch-up ended: every window ingested; stopped at a window that did not end well (a failed
 * run, a broken gate, a cancel); or the timeout with windows left, which the next step resumes
 * (`last-success`) or which fails the step (a given range).
 */
export type CatchUpEnd = 'caught up' | 'stopped' | 'timeout, resumable' | 'timeout';

export interface ReportOptions {
  /** What the summary says of the step as a whole. */
  context: StepContext;
  /** How an ended run is judged: `fail-on-partial`, the timeout, where to look. */
  rules: Omit<JudgeRules, 'link'>;
  /** Epoch ms: when the step started, for "after 2m" in the log. */
  startedAt: number;
}

export abstract class Report {
  constructor(
    readonly stories: FlowStory[],
    protected readonly io: Runner,
    protected readonly options: ReportOptions,
  ) {}

  get link() {
    return this.options.context.link;
  }

  /** Preflight read the flow: its name goes in the log and the summary. */
  flowRead(story: FlowStory, flow: Flow): void {
    story.flowName = flow.name;
    this.log(
      story,
      `Flow ${story.flowId}${flow.name ? ` (${flow.name})` : ''}: ${flow.state ?? 'state unknown'}, scheduled ${flow.frequency ?? 'unknown'}.`,
    );
  }

  /** A line about one flow's preparation (window, runs in progress), for its log. */
  note(story: FlowStory, line: string): void {
    this.log(story, line);
  }

  /** A warning about one flow that does not stop it. */
  warn(story: FlowStory, message: string): void {
    this.io.warning(this.about(story, message));
  }

  /** The window the flow's run request carries, and where it came from. */
  windowChosen(story: FlowStory, window: { start: number; end: number; origin: WindowOrigin }): void {
    story.window = window;
  }

  /** `catch-up`: the windows of the range, oldest first, and where the range came from. */
  windowsPlanned(story: FlowStory, windows: Span[], origin: WindowOrigin): void {
    story.catchUp = { windows, passed: [], origin };
    const range = { start: windows[0]!.start, end: windows.at(-1)!.end };
    const from = origin.kind === 'inputs' ? '' : ` (${originText(origin)})`;
    this.log(
      story,
      `Catching up ${windows.length} window${windows.length === 1 ? '' : 's'}, ${windowText(range)}${from}.`,
    );
  }

  /** `catch-up`: the window whose run is requested next; the previous window's warning is told now. */
  windowStarting(story: FlowStory, index: number): void {
    const { windows } = story.catchUp!;
    const window = windows[index]!;
    if (story.warning) this.io.warning(this.about(story, story.warning));
    story.warning = undefined;
    // The window outputs: the first window's start and the last window's end sent.
    story.window = { start: windows[0]!.start, end: window.end, origin: story.catchUp!.origin };
    this.log(story, `Window ${index + 1} of ${windows.length}: ${windowText(window)}.`);
  }

  /**
   * `catch-up`: how the flow's windows ended; `firstLeft` is the first window not ingested (the one
   * whose run did not end well, or the first not started). The failure, or the notice, names it.
   */
  catchUpEnded(story: FlowStory, end: CatchUpEnd, firstLeft: number): void {
    const { windows } = story.catchUp!;
    if (end === 'caught up') {
      this.log(story, `Caught up: ${windows.length} windows ingested, up to ${isoSeconds(windows.at(-1)!.end)}.`);
      return;
    }
    const notIngested = notIngestedText(story, firstLeft);
    if (end === 'stopped') {
      story.failure = `${story.failure ?? ''} ${notIngested}`.trim();
      return;
    }
    const left = windowsLeft(story) ?? 0;
    const run = story.run;
    const still =
      run && story.wait?.end === 'timeout'
        ? ` Run ${run.id} was still ${run.status ?? 'running'}; it goes on in Platform.`
        : '';
    const reached =
      `The step's timeout (${formatDuration(this.options.rules.timeoutMs)}) came with ${left} ` +
      `window${left === 1 ? '' : 's'} not started.${still} ${notIngested}`;
    if (end === 'timeout') {
      story.failure = `${reached} Run the step again with 'window-start' at that window's start, or raise 'timeout'.`;
      return;
    }
    story.failure = undefined;
    story.paused = `${reached} The next step resumes after the newest successful window ('window-start: last-success').`;
    this.io.notice(this.about(story, story.paused));
  }

  /** The run exists. Its ID, etag, status and link are outputs from now on, whatever happens next. */
  started(story: FlowStory, run: Run, arrival: Arrival): void {
    const previous = story.run;
    if (previous && arrival === 'retriggered') (story.earlier ??= []).push(previous);
    // A catch-up's next window: the runs of the window before it are behind now.
    if (previous && arrival === 'created' && story.catchUp) {
      story.catchUp.passed.push([...(story.earlier ?? []), previous]);
      story.earlier = undefined;
    }
    story.run = run;
    if (!story.flowId && run.flowId) story.flowId = run.flowId;
    this.runKnown(story);
    const status = run.status ?? 'scheduled';
    const flow = story.flowId ? ` of flow ${story.flowId}` : '';
    if (arrival === 'created') this.log(story, `Created run ${run.id}${flow} (status: ${status}).`);
    else if (arrival === 'adopted') this.log(story, `Following run ${run.id}${flow} (status: ${status}).`);
    else {
      const attempt = attemptsOf(story).length;
      // Adobe's OpenAPI file answers a re-trigger with the same run, restarted; the tutorial with a new one.
      const which = previous?.id === run.id ? 'it restarts' : `new run ${run.id}`;
      this.log(story, `Re-triggered run ${previous?.id ?? ''}: ${which} (attempt ${attempt}, status: ${status}).`);
    }
  }

  /** The newest read of the flow's run (its end, before a re-trigger). */
  read(story: FlowStory, run: Run): void {
    story.run = run;
  }

  /** The run could not be started (or read, for one given by ID). The other flows go on. */
  notStarted(story: FlowStory, message: string, unsure = false): void {
    story.unsure = unsure || undefined;
    // A catch-up's newest run is the window before's: where to look is the flow's activity, not that run.
    const about = story.catchUp ? { ...story, run: undefined } : story;
    story.failure = unsure ? unsureText(message, about, this.link) : message;
    this.flowFailed(story, `Could not start a run of flow ${story.flowId}: ${story.failure}`);
  }

  /** No run is needed (nothing new to ingest, or one is in progress): not a failure. */
  skipped(story: FlowStory, reason: string): void {
    story.skipped = reason;
    this.io.notice(this.about(story, reason));
  }

  /** Reading the run failed for good (after retries): this flow fails, the others go on. */
  notFollowed(story: FlowStory, message: string, unsure = false): void {
    story.unsure = unsure || undefined;
    const where = whereToLook(story, this.link);
    story.failure = unsure ? unsureText(message, story, this.link) : `${message} ${where}`;
    this.flowFailed(story, `Stopped following run ${story.run?.id ?? ''}: ${story.failure}`);
  }

  statusChanged(story: FlowStory, run: Run, previous: string | undefined): void {
    const elapsed = formatDuration(Date.now() - this.options.startedAt);
    this.log(story, `Run ${run.id}: ${previous ?? 'unknown'} → ${run.status ?? 'unknown'} (after ${elapsed})`);
  }

  /** A run ended failed and is not re-triggered, for this reason. */
  notRetried(story: FlowStory, reason: string): void {
    story.notRetried = reason;
    this.log(story, `Run ${story.run?.id ?? ''} is not re-triggered: ${reason}.`);
  }

  /** Waiting for one flow's run ended: say what happened, in words a user can act on. */
  waited(story: FlowStory, result: WaitResult): void {
    story.run = result.run;
    story.wait = result;
    story.waitedMs = Date.now() - this.options.startedAt;
    const judgement = judgeWithGates(story, { ...this.options.rules, link: this.link });
    story.failure = judgement.failure;
    story.warning = judgement.warning;
    story.gateBreach = judgement.breach;
    if (judgement.info) this.log(story, judgement.info);
  }

  /** The rejected records of the flow's run are about to be read (`failed-records`). */
  readingRejected(story: FlowStory, level: 'codes' | 'files'): void {
    this.log(story, `Reading the rejected records of run ${story.run?.id ?? ''} (failed-records: ${level}).`);
  }

  /**
   * What the run's error diagnostics say: counts on the story (the summary renders them), the most
   * frequent row errors added to the flow's error or warning, the files' folder as an output, and at
   * most one warning for what could not be read. The flow's outcome stays what it was. Everything in
   * `result` is ours or scrubbed (data-access.ts, row-errors.ts): no record contents.
   */
  rejectedRead(story: FlowStory, result: RejectedRecords, ms: number): void {
    story.rejected = result;
    const files = result.written.files > 0 ? `; ${result.written.files} written under ${result.dir ?? ''}` : '';
    this.log(
      story,
      `Rejected records of run ${result.runId}: ${result.rows} counted in ${result.filesRead} of ${result.filesListed} ` +
        `row-error files${files} (${result.requests} requests, ${formatDuration(ms)}).`,
    );
    for (const problem of result.problems) this.log(story, `Rejected records: ${problem.text}`);
    const line = rejectedLine(result);
    if (line) {
      const told = `${line.charAt(0).toUpperCase()}${line.slice(1)}${/[.]$/.test(line) ? '' : '.'}`;
      if (story.failure) story.failure = `${story.failure} ${told}`;
      else if (story.warning) story.warning = `${story.warning} ${told}`;
    }
    const trouble = result.problems.filter((p) => !NO_DIAGNOSTICS.has(p.kind));
    if (trouble.length > 0) {
      const more = trouble.length > 1 ? ` (and ${trouble.length - 1} more: see the summary)` : '';
      this.warn(
        story,
        `Not every rejected record of run ${result.runId} could be read: ${trouble[0]!.text}${more}. The step's outcome does not depend on it.`,
      );
    }
    if (result.dir) this.io.setOutput('failed-records-dir', dirname(result.dir));
  }

  /** Following has ended: the outputs known now (status, metrics), before anything slower. */
  abstract followed(): void;
  /** Every run request has been answered: the outputs known so far. */
  abstract allStarted(): void;
  /** Every flow's story has ended: final outputs, one annotation per problem, the step's verdict. */
  abstract finished(): void;
  /** The whole step failed outside any one flow's story. */
  abstract fail(message: string): void;
  abstract writeSummary(): Promise<void>;

  /** A line of one flow's log. */
  protected abstract log(story: FlowStory, line: string): void;
  /** A message about one flow, as an annotation says it. */
  protected abstract about(story: FlowStory, message: string): string;
  /** A flow's run is known (created, adopted, re-triggered). */
  protected abstract runKnown(story: FlowStory): void;
  /** A flow failed before its end was judged; `line` says so in its log. */
  protected abstract flowFailed(story: FlowStory, line: string): void;

  protected runsOutput(): void {
    this.io.setOutput('runs', JSON.stringify(this.stories.map((s) => runEntry(s, this.link))));
  }

  protected windowOutputs(stories: FlowStory[]): void {
    if (!stories.some((s) => s.window)) return;
    this.io.setOutput('window-start', stories.map((s) => s.window?.start ?? '').join('\n'));
    this.io.setOutput('window-end', stories.map((s) => s.window?.end ?? '').join('\n'));
    if (stories.some((s) => s.catchUp)) {
      this.io.setOutput('windows-left', stories.map((s) => windowsLeft(s) ?? '').join('\n'));
    }
  }
}

/** One flow: log lines as they happen, outputs as single values, the run's own summary. */
export class OneFlowReport extends Report {
  private get story(): FlowStory {
    return this.stories[0]!;
  }

  allStarted(): void {
    this.runsOutput();
  }

  followed(): void {
    this.finalOutputs();
  }

  finished(): void {
    const { story } = this;
    this.finalOutputs();
    if (story.warning) this.io.warning(story.warning);
    if (story.failure) this.io.fail(story.failure);
  }

  fail(message: string): void {
    this.story.failure ??= message;
    this.io.fail(message);
  }

  async writeSummary(): Promise<void> {
    await this.io.summary(renderSummary(this.story, this.options.context));
  }

  protected log(_story: FlowStory, line: string): void {
    this.io.info(line);
  }

  protected about(_story: FlowStory, message: string): string {
    return message;
  }

  protected runKnown(): void {
    this.outputs();
  }

  protected flowFailed(): void {}

  private finalOutputs(): void {
    this.outputs();
    if (this.story.wait) this.io.setOutput('metrics', JSON.stringify(this.story.run?.metrics ?? {}));
    this.runsOutput();
  }

  private outputs(): void {
    const { story } = this;
    if (story.run) {
      this.io.setOutput('run-id', story.run.id);
      this.io.setOutput('etag', story.run.etag ?? '');
      this.io.setOutput('run-url', storyUrl(this.link, story) ?? '');
    }
    if (story.run || story.skipped) this.io.setOutput('status', storyStatus(story));
    this.windowOutputs([story]);
  }
}

/** Several flows: a log group per flow when it ends, one output line per flow, a summary row per flow. */
export class SeveralFlowsReport extends Report {
  private readonly logs = new Map<FlowStory, string[]>();

  allStarted(): void {
    this.outputs();
  }

  followed(): void {
    this.outputs();
  }

  finished(): void {
    this.outputs();
    for (const story of this.stories) this.flushGroup(story);
    for (const story of this.stories) {
      if (story.warning) this.io.warning(`Flow ${this.name(story)}: ${story.warning}`);
      if (story.failure) this.io.error(`Flow ${this.name(story)}: ${story.failure}`);
    }
    const failed = this.stories.filter((s) => s.failure);
    if (failed.length > 0) {
      this.io.fail(
        `${failed.length} of ${this.stories.length} flows did not succeed: ${failed.map((s) => this.name(s)).join(', ')}.`,
      );
    }
  }

  fail(message: string): void {
    for (const story of this.stories) story.failure ??= message;
    this.finished();
  }

  async writeSummary(): Promise<void> {
    await this.io.summary(renderSummaryOfMany(this.stories, this.options.context));
  }

  /** Kept for that flow's group, printed when it ends. */
  protected log(story: FlowStory, line: string): void {
    const lines = this.logs.get(story) ?? [];
    lines.push(line);
    this.logs.set(story, lines);
  }

  protected about(story: FlowStory, message: string): string {
    return `Flow ${story.flowId}: ${message}`;
  }

  protected runKnown(): void {}

  protected flowFailed(story: FlowStory, line: string): void {
    this.log(story, line);
  }

  private name(story: FlowStory): string {
    return story.flowId || `of run ${story.givenRunId ?? ''}`;
  }

  private flushGroup(story: FlowStory): void {
    const lines = this.logs.get(story);
    if (!lines) return;
    this.logs.delete(story);
    this.io.group(`Flow ${this.name(story)}: ${storyStatus(story)}`, lines);
  }

  private outputs(): void {
    this.io.setOutput('run-id', this.stories.map((s) => s.run?.id ?? '').join('\n'));
    this.io.setOutput('etag', this.stories.map((s) => s.run?.etag ?? '').join('\n'));
    this.io.setOutput('run-url', this.stories.map((s) => storyUrl(this.link, s) ?? '').join('\n'));
    this.io.setOutput('status', overallStatus(this.stories));
    this.runsOutput();
    this.windowOutputs(this.stories);
  }
}
