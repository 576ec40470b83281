// What each flow's end means: its verdict, the words for it, its `runs` entry, the step's status and
// the link to the run in Platform. Pure functions over a story, no child process.
import { describe, expect, it } from 'vitest';
import type { Run } from '../../src/answers.ts';
import {
  judgeWaited,
  overallStatus,
  attemptsOf,
  judgeWithGates,
  notIngestedText,
  runEntry,
  runUrl,
  windowsLeft,
  verdictOf,
  type FlowStory,
  type JudgeRules,
  type LinkContext,
} from '../../src/outcome.ts';
import { readSettings, type InputName } from '../../src/settings.ts';
import type { WaitEnd } from '../../src/wait.ts';
import { aRun, type RunFields } from '../builders.ts';

const FLOW = '3abea21c-7e36-4be1-bec1-d3bad0e3e0de';
const LINK: LinkContext = { tenant: 'acme', sandboxName: 'dev-2' };
const RULES: JudgeRules = { failOnPartial: false, timeoutMs: 3_600_000, link: LINK };

const run = (id: string, status: string | undefined, extra: RunFields = {}): Run =>
  aRun({
    id,
    etag: `"etag-${id}"`,
    status,
    flowId: FLOW,
    createdAt: 1_700_000_000_000,
    params: {},
    metrics: status ? { statusSummary: { status } } : undefined,
    ...extra,
  });

/** A story whose run waiting followed to `end`. */
function waited(r: Run, end: WaitEnd = 'final', extra: Partial<FlowStory> = {}): FlowStory {
  return { flowId: FLOW, run: r, wait: { end, run: r, reads: 2 }, waitedMs: 5000, ...extra };
}

const urlOf = (runId: string) =>
  `https://experience.adobe.com/#/@acme/sname:dev-2/platform/source/dataflows/${FLOW}/activity/${runId}`;

describe('verdictOf', () => {
  it.each<[string, FlowStory, string]>([
    ['a run that succeeded', waited(run('r', 'success')), 'success'],
    ['a run spelled COMPLETED', waited(run('r', 'COMPLETED')), 'success'],
    ['a run that failed', waited(run('r', 'failed')), 'failure'],
    ['a run cancelled in Platform', waited(run('r', 'cancelled')), 'failure'],
    ['a partial success', waited(run('r', 'PARTIAL_SUCCESS')), 'partial'],
    ['a run not waited for', { flowId: FLOW, run: run('r', undefined) }, 'started'],
    ['a run in an unknown status', waited(run('r', 'somethingNew')), 'started'],
    ['waiting that timed out', waited(run('r', 'inProgress'), 'timeout'), 'timeout'],
    ['waiting that was cancelled', waited(run('r', 'inProgress'), 'cancelled'), 'cancelled'],
    ['a skipped flow', { flowId: FLOW, skipped: 'nothing new' }, 'skipped'],
    ['a flow with no run', { flowId: FLOW }, 'failure'],
    ['a run that succeeded but whose story failed', waited(run('r', 'success'), 'final', { failure: 'x' }), 'failure'],
  ])('%s: %s', (_name, story, verdict) => {
    expect(verdictOf(story)).toBe(verdict);
  });
});

describe('judgeWaited', () => {
  it('success: a line for the log, no failure, no warning', () => {
    expect(judgeWaited(waited(run('r1', 'success')), RULES)).toEqual({ info: 'Run r1 finished: success after 5s.' });
  });

  it('started (a status the action does not know): a line for the log', () => {
    expect(judgeWaited(waited(run('r1', 'somethingNew')), RULES)).toEqual({
      info: 'Run r1 finished: somethingNew after 5s.',
    });
  });

  it('skipped: a line for the log', () => {
    const story = waited(run('r1', 'success'), 'final', { skipped: 'a run is in progress' });
    expect(Object.keys(judgeWaited(story, RULES))).toEqual(['info']);
  });

  it('failure: the run, its errors, its facts, the advice and the link', () => {
    const failed = run('r2', 'failed', {
      errors: [{ code: 'CONNECTOR-1001-500', message: 'Copy failed', recordCount: 3 }],
      metrics: {
        statusSummary: { status: 'failed' },
        recordSummary: { inputRecordCount: 50, failedRecordCount: 3 },
      },
      diagnostics: {
        batchIds: ['B1'],
        sampleLinks: [{ name: 'failedRecords', url: 'https://platform.adobe.io/x?path=row_errors' }],
      },
    });
    const { failure, warning, info } = judgeWaited(waited(failed), RULES);
    expect(warning).toBeUndefined();
    expect(info).toBeUndefined();
    expect(failure).toBe(
      `Run r2 of flow ${FLOW} ended failed: CONNECTOR-1001-500 Copy failed (3 records) ` +
        '(3 of 50 records failed; batches B1; failedRecords: https://platform.adobe.io/x?path=row_errors; ' +
        "CONNECTOR-1001-500 means copying from the source failed: check the source connection and its credentials; another try may succeed (see 'retries')). " +
        `See the run in Platform: ${urlOf('r2')}`,
    );
  });

  it('failure after re-triggers: the attempt, and why it was not re-triggered again', () => {
    const story = waited(run('r3', 'failed'), 'final', {
      earlier: [run('r1', 'failed'), run('r2', 'failed')],
      notRetried: 'data error (another try would fail the same way)',
    });
    const { failure } = judgeWaited(story, RULES);
    expect(failure).toMatch(
      /^Run r3 of flow \S+ \(attempt 3\) ended failed; not re-triggered: data error \(another try would fail the same way\)\. See the run/,
    );
  });

  it('partial: a warning with how many records failed and the sample link', () => {
    const partial = run('r4', 'partialSuccess', {
      metrics: { statusSummary: { status: 'partialSuccess' }, recordSummary: { failedRecordCount: 10 } },
      diagnostics: { sampleLinks: [{ name: 'failedRecords', url: 'https://platform.adobe.io/f' }] },
    });
    const judgement = judgeWaited(waited(partial), RULES);
    expect(judgement.failure).toBeUndefined();
    expect(judgement.warning).toBe(
      `Run r4 of flow ${FLOW} partially succeeded; 10 records failed (sample: https://platform.adobe.io/f). ` +
        `See the run in Platform: ${urlOf('r4')}`,
    );

    const failing = judgeWaited(waited(partial), { ...RULES, failOnPartial: true });
    expect(failing.warning).toBeUndefined();
    expect(failing.failure).toBe(`${judgement.warning} (failing because 'fail-on-partial' is true)`);
  });

  it('timeout: the run goes on in Platform, and the last status', () => {
    const { failure } = judgeWaited(waited(run('r5', 'inProgress'), 'timeout'), { ...RULES, timeoutMs: 90_000 });
    expect(failure).toBe(
      'Run r5 did not finish within 1m 30s (last status: inProgress). The run goes on in Platform; ' +
        `runs cannot be cancelled through the API. See the run in Platform: ${urlOf('r5')}`,
    );
  });

  it('cancelled: the job was cancelled while waiting', () => {
    const { failure } = judgeWaited(waited(run('r6', undefined), 'cancelled'), RULES);
    expect(failure).toMatch(
      /^The job was cancelled while waiting for run r6 \(last status: unknown\)\. The run goes on/,
    );
  });
});

describe('runEntry', () => {
  it('tells a followed run, with its link, window and attempts', () => {
    const story = waited(run('r2', 'success'), 'final', {
      earlier: [run('r1', 'failed')],
      window: { start: 1_699_900_000, end: 1_700_000_000, origin: { kind: 'inputs' } },
    });
    expect(runEntry(story, LINK)).toEqual({
      flowId: FLOW,
      runId: 'r2',
      etag: '"etag-r2"',
      status: 'success',
      error: null,
      runUrl: urlOf('r2'),
      windowStart: 1_699_900_000,
      windowEnd: 1_700_000_000,
      attempts: ['r1', 'r2'],
      recordsIn: null,
      recordsFailed: null,
    });
  });

  it('says scheduled for a run whose status is not known yet, and no link without a link context', () => {
    expect(runEntry({ flowId: FLOW, run: run('r1', undefined) })).toMatchObject({
      status: 'scheduled',
      runUrl: null,
    });
  });

  it('tells a flow with no run, and one skipped', () => {
    expect(runEntry({ flowId: FLOW, failure: 'HTTP 400' }, LINK)).toEqual({
      flowId: FLOW,
      runId: null,
      etag: null,
      status: null,
      error: 'HTTP 400',
      runUrl: null,
      windowStart: null,
      windowEnd: null,
      attempts: [],
      recordsIn: null,
      recordsFailed: null,
    });
    expect(runEntry({ flowId: FLOW, skipped: 'a run is in progress' }, LINK).status).toBe('skipped');
    // With run-id, before the run is read, the flow is not known.
    expect(runEntry({ flowId: '', givenRunId: 'r9', failure: 'not found' }, LINK).flowId).toBeNull();
  });
});

describe('overallStatus', () => {
  it('leaves skipped flows out, and is skipped when every flow was', () => {
    expect(overallStatus([{ flowId: 'a', skipped: 'x' }])).toBe('skipped');
    expect(overallStatus([{ flowId: 'a', skipped: 'x' }, waited(run('r', 'success'))])).toBe('success');
  });

  it('counts a flow with no run as failed, and a run with no status yet as scheduled', () => {
    expect(overallStatus([{ flowId: 'a' }, waited(run('r', 'success'))])).toBe('failed');
    expect(overallStatus([{ flowId: 'a', run: run('r', undefined) }, waited(run('s', 'success'))])).toBe('scheduled');
  });

  it('counts a failed story as failed whatever its run says', () => {
    expect(overallStatus([waited(run('r', 'success'), 'timeout', { failure: 'timed out' })])).toBe('failed');
  });
});

describe('runUrl', () => {
  const NOW = Date.UTC(2023, 10, 14, 22, 13, 20);
  const settingsWith = (inputs: Partial<Record<InputName, string>>) => {
    const all: Partial<Record<InputName, string>> = {
      'flow-id': FLOW,
      'client-id': 'abc',
      'client-secret': 's',
      'org-id': '0123456789ABCDEF01234567@AdobeOrg',
      'sandbox-name': 'dev-2',
      'window-start': '1h',
      ...inputs,
    };
    return readSettings({ getInput: (n) => all[n] ?? '', setSecret: () => {} }, NOW);
  };
  const linkOf = (s: ReturnType<typeof settingsWith>): LinkContext => ({
    tenant: s.uiTenant,
    sandboxName: s.sandboxName,
  });

  it('uses the org ID, with its @AdobeOrg, when no ui-tenant is given (as Adobe alerts do)', () => {
    expect(runUrl(linkOf(settingsWith({})), FLOW, 'r1')).toBe(
      `https://experience.adobe.com/#/@0123456789ABCDEF01234567@AdobeOrg/sname:dev-2/platform/source/dataflows/${FLOW}/activity/r1`,
    );
  });

  it("uses the tenant's short name when ui-tenant is given", () => {
    expect(runUrl(linkOf(settingsWith({ 'ui-tenant': 'acme' })), FLOW, 'r1')).toBe(
      `https://experience.adobe.com/#/@acme/sname:dev-2/platform/source/dataflows/${FLOW}/activity/r1`,
    );
  });
});

describe('gates and catch-up in the story', () => {
  const counted = (id: string, status: string, input: number, failed: number) =>
    run(id, status, {
      metrics: { statusSummary: { status }, recordSummary: { inputRecordCount: input, failedRecordCount: failed } },
    });

  it('fails a run that ended success but broke a gate, leaving its status as spelled, and tells the breach', () => {
    const story = waited(counted('r1', 'success', 0, 0));
    const judgement = judgeWithGates(story, { ...RULES, gates: { minRecords: 1 } });
    expect(judgement.failure).toBe(
      `Run r1 of flow ${FLOW} ended success having read 0 input records, fewer than 'min-records' (1): it ingested nothing. ` +
        `See the run in Platform: ${urlOf('r1')}`,
    );
    expect(judgement.breach).toMatchObject({
      gate: 'min-records',
      recordsIn: 0,
      recordsFailed: 0,
      countsMissing: false,
    });
    expect(runEntry({ ...story, failure: judgement.failure }, LINK)).toMatchObject({
      status: 'success',
      error: judgement.failure,
      recordsIn: 0,
      recordsFailed: 0,
    });
  });

  it('judges no gate of a run that failed, or of a partial success that fail-on-partial already fails', () => {
    const gates = { minRecords: 1_000_000 };
    expect(judgeWithGates(waited(counted('r1', 'failed', 0, 0)), { ...RULES, gates }).breach).toBeUndefined();
    const partial = judgeWithGates(waited(counted('r1', 'partialSuccess', 5, 5)), {
      ...RULES,
      failOnPartial: true,
      gates,
    });
    expect(partial.breach).toBeUndefined();
    expect(partial.failure).toContain("'fail-on-partial' is true");
    // A partial success that is only a warning is judged: the breach is the failure.
    const judged = judgeWithGates(waited(counted('r1', 'partialSuccess', 5, 5)), { ...RULES, gates });
    expect(judged.breach?.gate).toBe('min-records');
    expect(judged.warning).toBeUndefined();
  });

  it('lists the windows that had a run, the runs of every window as attempts, and the windows left', () => {
    const windows = [0, 1, 2, 3].map((i) => ({ start: 1_700_000_000 + i * 3600, end: 1_700_003_600 + i * 3600 }));
    const story: FlowStory = {
      ...waited(counted('w2b', 'success', 10, 0)),
      earlier: [run('w2a', 'failed')],
      catchUp: { windows, passed: [[run('w1', 'success')]], origin: { kind: 'inputs' } },
    };
    expect(windowsLeft(story)).toBe(2);
    expect(attemptsOf(story)).toEqual(['w1', 'w2a', 'w2b']);
    expect(runEntry(story, LINK).windows).toEqual([
      { ...windows[0], runId: 'w1', status: 'success' },
      { ...windows[1], runId: 'w2b', status: 'success' },
    ]);
    expect(notIngestedText(story, 2)).toBe(
      'The first window not ingested is 2023-11-15T00:13:20Z → 2023-11-15T01:13:20Z (window 3 of 4) and the 1 ' +
        'window after it, up to 2023-11-15T02:13:20Z.',
    );
    // Without catch-up, no windows key at all: the entry stays as in v1.1.
    expect(runEntry(waited(run('r', 'success')), LINK)).not.toHaveProperty('windows');
  });
});
