// The check action's inputs (CHECK_INPUTS in inputs.ts) read into check.ts's CheckSettings and the
// connection every action shares. Checks that read more than one input, or the runner's environment,
// are here. A bad input fails before any request, with one message that names every bad input.
import type { CheckSettings } from './check.js';
import { CHECK_INPUTS, defaultsOf, namesOf, readInputs, type InputSource } from './inputs.js';
import { connectionOf, type Connection } from './settings.js';

export type CheckInputName = keyof typeof CHECK_INPUTS;
/** Every input the check reads, in the order check/action.yml lists them. */
export const CHECK_INPUT_NAMES = namesOf(CHECK_INPUTS) as CheckInputName[];
/** The defaults the code applies to an empty input; check/action.yml declares the same ones. */
export const CHECK_INPUT_DEFAULTS = defaultsOf(CHECK_INPUTS) as Partial<Record<CheckInputName, string>>;

/** What the check's entry needs: the check's own settings, where it connects, and what to say first. */
export interface CheckStepSettings extends CheckSettings {
  connection: Connection;
  /** Things worth saying about the inputs that do not stop the step. */
  warnings: string[];
}

/** The runner's variables the check reads for `issues`. */
export interface GitHubEnv {
  GITHUB_REPOSITORY?: string;
  GITHUB_API_URL?: string;
}

/** Reads every input of the check, or throws one InputError that names each bad input. */
export function readCheckSettings(
  source: InputSource<CheckInputName>,
  env: GitHubEnv = process.env,
): CheckStepSettings {
  const { values, problems } = readInputs(CHECK_INPUTS, source);
  const connection = connectionOf(values, problems);
  const maxAgeMs = values['max-age'];
  const warnings: string[] = [];

  if (values.wait && maxAgeMs === undefined) {
    problems.add('wait', "needs 'max-age': the wait ends when every flow's data is younger than 'max-age'");
  }
  if (values.wait && values['poll-interval'] > values.timeout) {
    warnings.push(
      `'poll-interval' (${values['poll-interval'] / 1000}s) is longer than 'timeout' (${values.timeout / 1000}s): the flows are read again only once, at the timeout.`,
    );
  }
  if (maxAgeMs !== undefined && maxAgeMs > values.lookback) {
    warnings.push(
      `'max-age' is longer than 'lookback': a success older than 'lookback' is not read, so such a flow shows no successful run.`,
    );
  }

  let issues: CheckSettings['issues'];
  if (values.issues) {
    const repository = env.GITHUB_REPOSITORY ?? '';
    if (!values['github-token']) {
      problems.add(
        'github-token',
        "is required with 'issues: true': the runner passes the job's token by default; give one with 'issues: write' permission",
      );
    }
    if (!/^[\w.-]+\/[\w.-]+$/.test(repository)) {
      problems.add(
        'issues',
        'needs GITHUB_REPOSITORY (owner/name), which the runner sets: run the check in a workflow',
      );
    }
    issues = {
      token: values['github-token'],
      repository,
      apiUrl: env.GITHUB_API_URL || 'https://api.github.com',
      labels: values['issue-labels'],
    };
  }

  problems.throwIfAny();
  return {
    connection,
    warnings,
    flowIds: values['flow-id'],
    maxAgeMs,
    lookbackMs: values.lookback,
    failOn: values['fail-on'],
    wait: values.wait,
    timeoutMs: values.timeout,
    pollIntervalMs: values['poll-interval'],
    maxConcurrency: connection.maxConcurrency,
    link: { tenant: connection.uiTenant, sandboxName: connection.sandboxName },
    ...(issues ? { issues } : {}),
  };
}
