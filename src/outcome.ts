// What happened to each flow in this step, as plain data: its run, how waiting ended, or why it
// failed. Pure functions over that data decide the step's outputs; nothing here does I/O.
import type { Run } from './flow-service.js';
import { classifyStatus } from './status.js';
import type { WaitResult } from './wait.js';

/** One flow's story: its run if it was created, how waiting ended, or why it failed. */
export interface FlowStory {
  flowId: string;
  run?: Run;
  wait?: WaitResult;
  waitedMs?: number;
  /** Why this flow failed, if it did (already safe to show). */
  failure?: string;
  /** Set when the flow only partially succeeded and that is not a failure. */
  warning?: string;
}

/** The status a flow ends with, as the outputs say it. */
export function storyStatus(story: FlowStory): string {
  if (!story.run) return 'not started';
  return story.run.status ?? 'scheduled';
}

/** One entry of the `runs` output. */
export function runEntry(story: FlowStory) {
  return {
    flowId: story.flowId,
    runId: story.run?.id ?? null,
    etag: story.run?.etag ?? null,
    status: story.run ? (story.run.status ?? 'scheduled') : null,
    error: story.failure ?? null,
  };
}

/** The worst of several: failed, then partialSuccess, then a status not yet final, then success. */
export function overallStatus(stories: FlowStory[]): string {
  const outcomes = stories.map((s) => (s.failure || !s.run ? 'failure' : classifyStatus(s.run.status)));
  if (outcomes.includes('failure')) return 'failed';
  if (outcomes.includes('partial')) return 'partialSuccess';
  const pending = stories.find((s) => classifyStatus(s.run?.status) === 'pending');
  if (pending) return pending.run?.status ?? 'scheduled';
  return 'success';
}
