// Telling each event of the step once, through the runner: outputs (set as soon as they are known),
// log lines, annotations and the job summary. One flow reads as it always has; several get a log
// group, an output line and a summary row each. The layout is chosen once, here; what each end
// means is decided by the pure functions in outcome.ts. Service text arrives already inert.
import type { Flow, Run } from './answers.js';
import {
  attemptsOf,
  judgeWaited,
  linkFor,
  overallStatus,
  runEntry,
  storyStatus,
  storyUrl,
  unsureText,
  whereToLook,
  type FlowStory,
  type LinkContext,
} from './outcome.js';
import type { Runner } from './runner.js';
import type { Settings } from './settings.js';
import { renderSummary, renderSummaryOfMany } from './summary.js';
import { formatDuration } from './time.js';
import type { WaitResult } from './wait.js';

/** How a run came to be followed. */
export type Arrival = 'created' | 'adopted' | 'retriggered';

export class Report {
  readonly stories: FlowStory[];
  readonly link: LinkContext;
  private readonly several: boolean;
  private readonly logs = new Map<FlowStory, string[]>();

  constructor(
    private readonly settings: Settings,
    private readonly io: Runner,
    private readonly startedAt: number,
  ) {
    this.stories =
      settings.runIds.length > 0
        ? settings.runIds.map((givenRunId) => ({ flowId: '', givenRunId }))
        : settings.flowIds.map((flowId) => ({ flowId }));
    this.several = this.stories.length > 1;
    this.link = linkFor(settings);
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
    if (this.several) this.io.warning(`Flow ${story.flowId}: ${message}`);
    else this.io.warning(message);
  }

  /** The run exists. With one flow its ID, etag, status and link are outputs from now on, whatever happens next. */
  started(story: FlowStory, run: Run, arrival: Arrival): void {
    const previous = story.run;
    if (previous && arrival === 'retriggered') (story.earlier ??= []).push(previous);
    story.run = run;
    if (!story.flowId && run.flowId) story.flowId = run.flowId;
    if (!this.several) this.setOneFlowOutputs(story);
    const status = run.status ?? 'scheduled';
    const flow = story.flowId ? ` of flow ${story.flowId}` : '';
    if (arrival === 'created') this.log(story, `Created run ${run.id}${flow} (status: ${status}).`);
    else if (arrival === 'adopted') this.log(story, `Following run ${run.id}${flow} (status: ${status}).`);
    else {
      const attempt = attemptsOf(story).length;
      this.log(
        story,
        `Re-triggered run ${previous?.id ?? ''}: new run ${run.id} (attempt ${attempt}, status: ${status}).`,
      );
    }
  }

  /** The run could not be started (or read, for one given by ID). With several flows the others go on. */
  notStarted(story: FlowStory, message: string, unsure = false): void {
    story.unsure = unsure || undefined;
    story.failure = unsure ? unsureText(message, story, this.link) : message;
    if (this.several) this.log(story, `Could not start a run of flow ${story.flowId}: ${story.failure}`);
  }

  /** No run is needed (nothing new to ingest, or one is in progress): not a failure. */
  skipped(story: FlowStory, reason: string): void {
    story.skipped = reason;
    this.io.notice(this.several ? `Flow ${story.flowId}: ${reason}` : reason);
  }

  /** Reading the run failed for good (after retries): this flow fails, the others go on. */
  notFollowed(story: FlowStory, message: string, unsure = false): void {
    story.unsure = unsure || undefined;
    const where = whereToLook(story, this.link);
    story.failure = unsure ? unsureText(message, story, this.link) : `${message} ${where}`;
    if (this.several) this.log(story, `Stopped following run ${story.run?.id ?? ''}: ${story.failure}`);
  }

  /** Every run request has been answered: the outputs known so far. */
  allStarted(): void {
    if (this.several) this.setSeveralOutputs();
    else this.io.setOutput('runs', JSON.stringify(this.stories.map((s) => runEntry(s, this.link))));
  }

  statusChanged(story: FlowStory, run: Run, previous: string | undefined): void {
    const elapsed = formatDuration(Date.now() - this.startedAt);
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
    story.waitedMs = Date.now() - this.startedAt;
    const judgement = judgeWaited(story, {
      failOnPartial: this.settings.failOnPartial,
      timeoutMs: this.settings.timeoutMs,
      link: this.link,
    });
    story.failure = judgement.failure;
    story.warning = judgement.warning;
    if (judgement.info) this.log(story, judgement.info);
  }

  /** Every flow's story has ended: final outputs, one annotation per problem, the step's verdict. */
  finished(): void {
    if (this.several) {
      this.setSeveralOutputs();
      for (const story of this.stories) this.flushGroup(story);
    } else {
      const [story] = this.stories as [FlowStory];
      this.setOneFlowOutputs(story);
      if (story.wait) this.io.setOutput('metrics', JSON.stringify(story.run?.metrics ?? {}));
      this.io.setOutput('runs', JSON.stringify(this.stories.map((s) => runEntry(s, this.link))));
      if (story.warning) this.io.warning(story.warning);
      if (story.failure) this.io.fail(story.failure);
      return;
    }
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

  /** The whole step failed outside any one flow's story. */
  fail(message: string): void {
    for (const story of this.stories) story.failure ??= message;
    if (this.several) this.finished();
    else this.io.fail(message);
  }

  async writeSummary(): Promise<void> {
    const text = this.several
      ? renderSummaryOfMany(this.settings, this.stories, this.link)
      : renderSummary({ settings: this.settings, ...this.stories[0]! }, this.link);
    await this.io.summary(text);
  }

  private name(story: FlowStory): string {
    return story.flowId || `of run ${story.givenRunId ?? ''}`;
  }

  /** With one flow, a log line now; with several, kept for that flow's group, printed when it ends. */
  private log(story: FlowStory, line: string): void {
    if (!this.several) return this.io.info(line);
    const lines = this.logs.get(story) ?? [];
    lines.push(line);
    this.logs.set(story, lines);
  }

  private flushGroup(story: FlowStory): void {
    const lines = this.logs.get(story);
    if (!lines) return;
    this.logs.delete(story);
    this.io.group(`Flow ${this.name(story)}: ${storyStatus(story)}`, lines);
  }

  private setOneFlowOutputs(story: FlowStory): void {
    if (story.run) {
      this.io.setOutput('run-id', story.run.id);
      this.io.setOutput('etag', story.run.etag ?? '');
      this.io.setOutput('run-url', storyUrl(this.link, story) ?? '');
    }
    if (story.run || story.skipped) this.io.setOutput('status', storyStatus(story));
    this.setWindowOutputs([story]);
  }

  private setSeveralOutputs(): void {
    this.io.setOutput('run-id', this.stories.map((s) => s.run?.id ?? '').join('\n'));
    this.io.setOutput('etag', this.stories.map((s) => s.run?.etag ?? '').join('\n'));
    this.io.setOutput('run-url', this.stories.map((s) => storyUrl(this.link, s) ?? '').join('\n'));
    this.io.setOutput('status', overallStatus(this.stories));
    this.io.setOutput('runs', JSON.stringify(this.stories.map((s) => runEntry(s, this.link))));
    this.setWindowOutputs(this.stories);
  }

  private setWindowOutputs(stories: FlowStory[]): void {
    if (!stories.some((s) => s.window)) return;
    this.io.setOutput('window-start', stories.map((s) => s.window?.start ?? '').join('\n'));
    this.io.setOutput('window-end', stories.map((s) => s.window?.end ?? '').join('\n'));
  }
}
