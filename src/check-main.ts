// The check action's story once check-index.ts has read good inputs: plug the real client into the
// check's stages (check.ts: read each flow and its runs in lookback -> health -> [wait until fresh] ->
// [incidents] -> tell). Read-only: only GET requests reach the Flow Service. Errors become a failed
// step, never a stack trace.
import * as core from '@actions/core';
import { runCheck, type CheckReads } from './check.js';
import type { CheckStepSettings } from './check-settings.js';
import { FlowServiceClient } from './flow-service.js';
import type { HttpClient } from './http.js';
import { tokenSource } from './ims.js';
import { actionsRunner } from './runner.js';
import type { Secrets } from './secrets.js';
import { cancelOnSignals } from './signals.js';
import { failureText } from './step.js';

/** Runs per page asked of GET /runs: a week of hourly runs in two pages. */
const RUNS_PER_PAGE = 100;
/**
 * The wait's last round of reads starts just before the timeout; the HTTP stack lets it finish this
 * long after, so that a flow still stale at the timeout is told as stale, not as unreadable.
 */
const LAST_ROUND_GRACE_MS = 10_000;

/** The check once its inputs are known to be good. */
export async function runWith(settings: CheckStepSettings, startedAt: number, secrets: Secrets): Promise<void> {
  const io = actionsRunner(core, secrets);
  for (const warning of settings.warnings) io.warning(warning);

  // Listening for a cancel first: the job may be cancelled while the HTTP stack loads.
  const cancel = cancelOnSignals();
  const { HttpClient } = await import(/* webpackMode: "eager" */ './http.js');
  const deadline = startedAt + settings.timeoutMs;
  const http: HttpClient = new HttpClient({
    requestTimeoutMs: settings.connection.requestTimeoutMs,
    deadline: deadline + LAST_ROUND_GRACE_MS,
    log: (line) => io.info(line),
  });
  try {
    // One token serves every flow: the token source mints it on first use and shares it.
    const tokens = tokenSource({ ...settings.connection, http, addSecret: (v) => secrets.add(v) });
    const service = new FlowServiceClient({
      ...settings.connection,
      tokens,
      http,
      log: io,
      deadline: deadline + LAST_ROUND_GRACE_MS,
    });
    const reads: CheckReads = {
      getFlow: (flowId, signal) => service.getFlow(flowId, signal),
      async listRuns(flowId, sinceMs, signal) {
        const { runs, complete } = await service.listBriefRuns(flowId, signal, {
          startedAfterMs: sinceMs,
          limit: RUNS_PER_PAGE,
        });
        if (!complete) io.warning(`Flow ${flowId}: only the first ${runs.length} runs listed were read.`);
        return runs;
      },
    };
    // @actions/github is loaded only when issues are kept: a check without them pays nothing for it.
    const keepIncidents = settings.issues
      ? (await import(/* webpackMode: "eager" */ './incidents.js')).keepIncidents
      : undefined;
    await runCheck(settings, { reads, runner: io, signal: cancel.signal, deadline, keepIncidents });
    io.debug(`Tokens minted in this step: ${tokens.minted}`);
  } catch (error) {
    io.fail(failureText(error, { signal: cancel.signal, debug: (m) => io.debug(m) }));
  } finally {
    cancel.dispose();
    await http.close();
  }
}
