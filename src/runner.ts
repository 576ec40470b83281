// The runner's interface (outputs, log lines, groups, annotations, the job summary) behind one small
// interface, so that what tells the story can be tested with a fake. Every text that leaves through
// it is redacted here, in one place: no secret reaches the log, an output or the summary.
import type * as Core from '@actions/core';
import type { Secrets } from './secrets.js';

export interface Runner {
  setOutput(name: string, value: string): void;
  info(line: string): void;
  notice(message: string): void;
  warning(message: string): void;
  /** An error annotation that does not by itself fail the step. */
  error(message: string): void;
  debug(message: string): void;
  /** A collapsible group of lines in the log. */
  group(title: string, lines: string[]): void;
  /** Fails the step with this message as its error annotation. */
  fail(message: string): void;
  /** Appends Markdown to the job summary (nothing when the runner gives no summary file). */
  summary(markdown: string): Promise<void>;
}

/** The runner as @actions/core speaks to it. */
export function actionsRunner(core: typeof Core, secrets: Secrets): Runner {
  const clean = (text: string) => secrets.redact(text);
  return {
    setOutput: (name, value) => core.setOutput(name, clean(value)),
    info: (line) => core.info(clean(line)),
    notice: (message) => core.notice(clean(message)),
    warning: (message) => core.warning(clean(message)),
    error: (message) => core.error(clean(message)),
    debug: (message) => core.debug(clean(message)),
    group(title, lines) {
      core.startGroup(clean(title));
      for (const line of lines) core.info(clean(line));
      core.endGroup();
    },
    fail: (message) => core.setFailed(clean(message)),
    async summary(markdown) {
      if (!process.env.GITHUB_STEP_SUMMARY) return;
      await core.summary.addRaw(clean(markdown), true).write();
    },
  };
}
