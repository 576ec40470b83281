// What a mode of the main action is to the entry: the flows' stories it starts with, what the summary
// says of the step as a whole, its first stage (start or adopt runs), and what a dry run would send.
// main.ts picks one mode, once; the stages below it never ask which mode they are in.
import type { RunRequest } from './flow-service.js';
import { linkFor, type FlowStory } from './outcome.js';
import type { SharedSettings } from './settings.js';
import type { Step } from './step.js';
import type { StepContext } from './summary.js';

/** What a dry run says it would send: run requests with their bodies, and other requests in words. */
export interface DryRunPlan {
  requests: Array<{ flowId: string; url: string; body: RunRequest }>;
  plans: string[];
}

export interface Mode {
  stories: FlowStory[];
  context: StepContext;
  /** Starts (or adopts) each flow's run; each flow's end is told through the report. */
  start(step: Step): Promise<void>;
  dryRun(): DryRunPlan;
}

/** What every mode's summary says: the sandbox and where runs are linked. */
export function stepContext(settings: SharedSettings): StepContext {
  return { sandboxName: settings.sandboxName, link: linkFor(settings) };
}
