// What every stage of a step works with, and how an error becomes words for the user.
import type { FlowServiceClient } from './flow-service.js';
import type { Report } from './report.js';
import type { SharedSettings } from './settings.js';

/** What every stage of a step works with; a mode's stages see that mode's settings. */
export interface Step<S extends SharedSettings = SharedSettings> {
  settings: S;
  service: FlowServiceClient;
  report: Report;
  /** Aborted when the job is cancelled. */
  signal: AbortSignal;
  /** Epoch ms: the step's timeout. */
  deadline: number;
  /** The debug log, for what only a developer needs (the stack of an unexpected error). */
  debug: (message: string) => void;
}

/** What went wrong, in words for the user, saying so when the job was cancelled meanwhile. */
export function failureText(error: unknown, step: Pick<Step, 'signal' | 'debug'>): string {
  return `${step.signal.aborted ? 'The job was cancelled. ' : ''}${messageOf(error, step.debug)}`;
}

const USER_FACING = new Set(['InputError', 'AuthError', 'ServiceError', 'UnknownOutcomeError', 'NetworkError']);

/** Our errors carry messages written for users; anything else is a bug: its stack goes to the debug log only. */
export function messageOf(error: unknown, debug: (message: string) => void): string {
  if (!(error instanceof Error)) return String(error);
  if (!USER_FACING.has(error.name) && error.stack) debug(error.stack);
  return error.message;
}
