// What the user sees: outputs (set as soon as they are known), log lines, annotations and the job
// summary. Text from the service arrives here already inert (see untrusted.ts); secrets are
// redacted once more on the way out. One flow reads as it always has; several get a log group, an
// output line and a summary row each.
import * as core from '@actions/core';
import type { Run } from './flow-service.js';
import { overallStatus, runEntry, storyStatus, type FlowStory } from './outcome.js';
import type { Secrets } from './secrets.js';
import type { Settings } from './settings.js';
import { classifyStatus } from './status.js';
import { renderSummary, renderSummaryOfMany } from './summary.js';
import { formatDuration } from './time.js';
import { inert } from './untrusted.js';
import type { WaitResult } from './wait.js';

export class Report {
  readonly stories: FlowStory[];
  private readonly several: boolean;
  private readonly logs = new Map<FlowStory, string[]>();

  constructor(
    private readonly settings: Settings,
    private readonly secrets: Secrets,
    private readonly startedAt: number,
  ) {
    this.stories = settings.flowIds.map((flowId) => ({ flowId }));
    this.several = this.stories.length > 1;
  }

  /** The run exists. With one flow its ID, etag and status are outputs from now on, whatever happens next. */
  created(story: FlowStory, run: Run): void {
    story.run = run;
    if (!this.several) {
      core.setOutput('run-id', run.id);
      core.setOutput('etag', run.etag ?? '');
      core.setOutput('status', run.status ?? 'scheduled');
    }
    this.log(story, `Created run ${run.id} of flow ${story.flowId} (status: ${inert(run.status ?? 'scheduled', 60)}).`);
  }

  /** The run could not be created. With several flows the others go on. */
  notCreated(story: FlowStory, message: string): void {
    story.failure = this.secrets.redact(message);
    if (this.several) this.log(story, `Could not start a run of flow ${story.flowId}: ${story.failure}`);
  }

  /** Reading the run failed for good (after retries): this flow fails, the others go on. */
  notFollowed(story: FlowStory, message: string): void {
    story.failure = this.secrets.redact(message);
    if (this.several) this.log(story, `Stopped following run ${story.run?.id ?? ''}: ${story.failure}`);
  }

  /** Every run request has been answered: with several flows, the outputs known so far. */
  allCreated(): void {
    if (this.several) this.setSeveralOutputs();
    else core.setOutput('runs', JSON.stringify(this.stories.map(runEntry)));
  }

  statusChanged(story: FlowStory, run: Run, previous: string | undefined): void {
    const elapsed = formatDuration(Date.now() - this.startedAt);
    this.log(
      story,
      `Run ${run.id}: ${inert(previous ?? 'unknown', 60)} → ${inert(run.status ?? 'unknown', 60)} (after ${elapsed})`,
    );
  }

  /** Waiting for one flow's run ended: say what happened, in words a user can act on. */
  waited(story: FlowStory, result: WaitResult): void {
    const { run } = result;
    story.run = run;
    story.wait = result;
    story.waitedMs = Date.now() - this.startedAt;
    const status = inert(run.status ?? 'unknown', 60);
    const goesOn = `The run goes on in Platform (Sources > Dataflows > ${story.flowId} > Dataflow activity); runs cannot be cancelled through the API.`;
    const outcome = classifyStatus(run.status);
    const errors =
      run.errors.length > 0
        ? `: ${run.errors.map((e) => (e.code ? `${e.code} ${e.message}` : e.message)).join('; ')}`
        : '';
    if (result.end === 'timeout') {
      story.failure = `Run ${run.id} did not finish within ${formatDuration(this.settings.timeoutMs)} (last status: ${status}). ${goesOn}`;
    } else if (result.end === 'cancelled') {
      story.failure = `The job was cancelled while waiting for run ${run.id} (last status: ${status}). ${goesOn}`;
    } else if (outcome === 'failure') {
      story.failure = `Run ${run.id} of flow ${story.flowId} ended ${status}${errors}`;
    } else if (outcome === 'partial') {
      const message = `Run ${run.id} of flow ${story.flowId} partially succeeded${errors}`;
      if (this.settings.failOnPartial) story.failure = `${message} (failing because 'fail-on-partial' is true)`;
      else story.warning = message;
    } else {
      this.log(story, `Run ${run.id} finished: ${status} after ${formatDuration(story.waitedMs)}.`);
    }
    if (story.failure) story.failure = this.secrets.redact(story.failure);
    if (story.warning) story.warning = this.secrets.redact(story.warning);
  }

  /** Every flow's story has ended: final outputs, one annotation per problem, the step's verdict. */
  finished(): void {
    if (this.several) {
      this.setSeveralOutputs();
      for (const story of this.stories) this.flushGroup(story);
    } else {
      const [story] = this.stories as [FlowStory];
      if (story.wait) {
        core.setOutput('status', story.run?.status ?? 'scheduled');
        core.setOutput('etag', story.run?.etag ?? '');
        core.setOutput('metrics', JSON.stringify(story.run?.metrics ?? {}));
      }
      core.setOutput('runs', JSON.stringify(this.stories.map(runEntry)));
      if (story.warning) core.warning(story.warning);
      if (story.failure) core.setFailed(story.failure);
      return;
    }
    for (const story of this.stories) {
      if (story.warning) core.warning(`Flow ${story.flowId}: ${story.warning}`);
      if (story.failure) core.error(`Flow ${story.flowId}: ${story.failure}`);
    }
    const failed = this.stories.filter((s) => s.failure);
    if (failed.length > 0) {
      core.setFailed(
        `${failed.length} of ${this.stories.length} flows did not succeed: ${failed.map((s) => s.flowId).join(', ')}.`,
      );
    }
  }

  /** The whole step failed outside any one flow's story. */
  fail(message: string): void {
    for (const story of this.stories) story.failure ??= this.secrets.redact(message);
    if (this.several) this.finished();
    else core.setFailed(this.secrets.redact(message));
  }

  async writeSummary(): Promise<void> {
    if (!process.env.GITHUB_STEP_SUMMARY) return;
    const text = this.several
      ? renderSummaryOfMany(this.settings, this.stories)
      : renderSummary({ settings: this.settings, ...this.stories[0]! });
    await core.summary.addRaw(this.secrets.redact(text), true).write();
  }

  /** With one flow, a log line now; with several, kept for that flow's group, printed when it ends. */
  private log(story: FlowStory, line: string): void {
    if (!this.several) return core.info(line);
    const lines = this.logs.get(story) ?? [];
    lines.push(line);
    this.logs.set(story, lines);
  }

  private flushGroup(story: FlowStory): void {
    const lines = this.logs.get(story);
    if (!lines) return;
    this.logs.delete(story);
    core.startGroup(`Flow ${story.flowId}: ${storyStatus(story)}`);
    for (const line of lines) core.info(line);
    core.endGroup();
  }

  private setSeveralOutputs(): void {
    core.setOutput('run-id', this.stories.map((s) => s.run?.id ?? '').join('\n'));
    core.setOutput('etag', this.stories.map((s) => s.run?.etag ?? '').join('\n'));
    core.setOutput('status', overallStatus(this.stories));
    core.setOutput('runs', JSON.stringify(this.stories.map(runEntry)));
  }
}
