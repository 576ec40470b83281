import { describe, expect, it } from 'vitest';
import type { Run } from '../../src/answers.ts';
import { overallStatus } from '../../src/outcome.ts';
import { renderBadInput } from '../../src/bad-input.ts';
import { renderSummary, renderSummaryOfMany } from '../../src/summary.ts';
import type { StepContext } from '../../src/summary.ts';
import { aRun } from '../builders.ts';

const FLOW = '3abea21c-7e36-4be1-bec1-d3bad0e3e0de';
/** Create mode with a window given: what the summary says of the step as a whole. */
const context: StepContext = {
  sandboxName: 'prod',
  link: { tenant: 'o@AdobeOrg', sandboxName: 'prod' },
  startTime: 1700000000,
  window: { start: 1699913600, end: 1700000000 },
};

const finished: Run = aRun({
  id: 'run-1',
  etag: '"e"',
  status: 'failed',
  flowId: FLOW,
  createdAt: 0,
  params: {},
  metrics: {
    statusSummary: { status: 'failed' },
    durationSummary: { startedAtUTC: 1000, completedAtUTC: 62_000 },
    recordSummary: {
      inputRecordCount: 5000,
      createdRecordCount: 4000,
      updatedRecordCount: 900,
      failedRecordCount: 100,
    },
    fileSummary: { inputFileCount: 2, outputFileCount: 1, failedFileCount: 1 },
    sizeSummary: { inputBytes: -1 },
  },
  errors: [{ code: 'CONNECTOR-2001-500', message: 'Bad <b>row</b> | here' }],
});

describe('renderSummary', () => {
  it('shows a waited run at a glance', () => {
    const md = renderSummary(
      {
        flowId: FLOW,
        run: finished,
        wait: { end: 'final', run: finished, reads: 3 },
        waitedMs: 90_000,
      },
      context,
    );
    expect(md).toContain('### ❌ Flow run failed');
    expect(md).toContain('| Run ID | <code>run-1</code> |');
    expect(md).toContain('| Window | 2023-11-13T22:13:20Z → 2023-11-14T22:13:20Z |');
    expect(md).toContain('| Duration | 1m 1s |');
    expect(md).toContain('| Records | 5,000 in · 4,900 written · 100 failed |');
    expect(md).toContain('| Files | 2 in · 1 written · 1 failed |');
    expect(md).toContain('- <code>CONNECTOR-2001-500</code> Bad &lt;b&gt;row&lt;/b&gt; &#124; here');
  });

  it('shows what is known of a run it did not wait for, and no metrics rows', () => {
    const created: Run = { ...finished, status: undefined, metrics: undefined, errors: [] };
    const md = renderSummary({ flowId: FLOW, run: created }, context);
    expect(md).toContain('### ⏳ Flow run scheduled');
    expect(md).toContain('| Status | scheduled |');
    expect(md).not.toContain('Records');
  });

  it('shows unknown counts as a dash, not as -1 or 0', () => {
    const run: Run = { ...finished, metrics: { statusSummary: { status: 'success' } }, errors: [] };
    const md = renderSummary(
      {
        flowId: FLOW,
        run,
        wait: { end: 'final', run, reads: 1 },
        waitedMs: 5000,
      },
      context,
    );
    expect(md).toContain('| Records | — in · — written · — failed |');
    expect(md).toContain('| Duration | 5s (waited) |');
  });
});

describe('several flows', () => {
  const ok: Run = { ...finished, id: 'run-ok', status: 'success', errors: [] };
  const partial: Run = { ...finished, id: 'run-partial', status: 'PARTIAL_SUCCESS', errors: [] };
  const pending: Run = { ...finished, id: 'run-pending', status: 'inProgress', errors: [] };

  it('takes the worst status: failed, then partialSuccess, then unfinished, then success', () => {
    expect(
      overallStatus([
        { flowId: 'a', run: ok },
        { flowId: 'b', run: ok },
      ]),
    ).toBe('success');
    expect(
      overallStatus([
        { flowId: 'a', run: ok },
        { flowId: 'b', run: pending },
      ]),
    ).toBe('inProgress');
    expect(
      overallStatus([
        { flowId: 'a', run: partial },
        { flowId: 'b', run: pending },
      ]),
    ).toBe('partialSuccess');
    expect(
      overallStatus([
        { flowId: 'a', run: partial },
        { flowId: 'b', run: finished },
      ]),
    ).toBe('failed');
    expect(
      overallStatus([
        { flowId: 'a', run: ok },
        { flowId: 'b', failure: 'HTTP 400' },
      ]),
    ).toBe('failed');
  });

  it('shows one row per flow, and each failure under it', () => {
    const md = renderSummaryOfMany(
      [
        { flowId: 'a', run: ok, wait: { end: 'final', run: ok, reads: 2 }, waitedMs: 1000 },
        { flowId: 'b', failure: 'Flow Service could not create a run: HTTP 400 FLOW-1430-400' },
        {
          flowId: 'c',
          run: finished,
          wait: { end: 'final', run: finished, reads: 2 },
          waitedMs: 1000,
          failure: 'Run run-1 ended failed',
        },
      ],
      context,
    );
    expect(md).toContain('### ❌ 3 flow runs: 1 succeeded, 2 failed');
    expect(md).toContain(
      '| <code>a</code> | <code>run-ok</code> | success | 1m 1s | 5,000 in · 4,900 written · 100 failed |',
    );
    expect(md).toContain('| <code>b</code> | — | ❌ not started | — |');
    expect(md).toContain('- Flow Service could not create a run: HTTP 400 FLOW-1430-400');
    expect(md).toContain('- <code>CONNECTOR-2001-500</code>');
  });
});

describe('renderSummary, each kind of end', () => {
  const flowId = FLOW;
  const ok: Run = { ...finished, id: 'run-ok', status: 'success', errors: [] };

  it('a success: a green title, the link to the run, and no diagnosis', () => {
    const md = renderSummary({ flowId, run: ok, wait: { end: 'final', run: ok, reads: 2 }, waitedMs: 1 }, context);
    expect(md).toMatch(/^### ✅ Flow run succeeded\n/);
    expect(md).toContain(
      `| In Platform | [Dataflow activity of this run](https://experience.adobe.com/#/@o@AdobeOrg/sname:prod/platform/source/dataflows/${flowId}/activity/run-ok) |`,
    );
    expect(md).toContain('| Status | success |');
    expect(md).not.toMatch(/Why the step failed|Warning|What to do|Errors reported/);
  });

  it("a step that failed beside a run that succeeded says the step failed, never only 'succeeded' (issue #16)", () => {
    // A re-trigger refused for a run that had succeeded: the run is read, the step fails.
    const refused = 'Flow Service could not re-trigger run run-ok: HTTP 400: only failed runs can be re-triggered';
    const md = renderSummary({ flowId, run: ok, failure: refused }, context);
    expect(md).toMatch(/^### ❌ The step failed \(the flow run is success\)\n/);
    expect(md).toContain('**Why the step failed:** Flow Service could not re-trigger run run-ok');
    const stillGoing: Run = { ...ok, status: 'inProgress' };
    expect(renderSummary({ flowId, run: stillGoing, failure: 'reading it failed' }, context)).toMatch(
      /^### ❌ The step failed \(the flow run is inProgress\)\n/,
    );
  });

  it('a failure: why in a sentence, then every fact of the run, one section each', () => {
    const failed: Run = {
      ...finished,
      errors: [
        { code: 'CONNECTOR-1001-500', message: 'Copy failed' },
        { code: 'MAPPER-3700-400', message: 'Bad DOB', recordCount: 1200 },
        { code: 'CONNECTOR-9999-500', message: 'Something new' },
      ],
      diagnostics: {
        failedInfo: [{ code: 'INGEST-1212-400', message: 'Required field missing' }],
        batchIds: ['01HBATCH1'],
        sampleLinks: [{ name: 'failedRecords', url: 'https://platform.adobe.io/b/meta?path=row_errors' }],
      },
    };
    const md = renderSummary(
      {
        flowId,
        run: failed,
        wait: { end: 'final', run: failed, reads: 2 },
        waitedMs: 1,
        failure: `Run run-1 of flow ${flowId} ended failed: … a long line for the annotation`,
        notRetried: 'data error (another try would fail the same way)',
      },
      context,
    );
    expect(md).toContain(
      '**Why the step failed:** the run failed; it was not re-triggered: data error (another try would fail the same way).',
    );
    expect(md).not.toContain('a long line for the annotation');
    expect(md).toContain(
      [
        '**Errors reported by the service**',
        '',
        '- <code>CONNECTOR-1001-500</code> Copy failed',
        '- <code>MAPPER-3700-400</code> Bad DOB (1,200 records)',
        '- <code>CONNECTOR-9999-500</code> Something new',
        '',
        '**What to do**',
        '',
        "- <code>CONNECTOR-1001-500</code> means copying from the source failed: check the source connection and its credentials; another try may succeed (see 'retries').",
        '- <code>MAPPER-3700-400</code>, <code>INGEST-1212-400</code> mean processing the data failed: fix the data or the mapping; another try fails the same way.',
        '',
        '**Errors in the failed records**',
        '',
        '- <code>INGEST-1212-400</code> Required field missing',
        '',
        '**Batches**',
        '',
        '- <code>01HBATCH1</code>',
        '',
        '**Failed-record files (Data Access API)**',
        '',
        '- failed records: `https://platform.adobe.io/b/meta?path=row_errors`',
        '',
      ].join('\n'),
    );
    // An unknown code gets no advice.
    expect(md).not.toMatch(/CONNECTOR-9999-500<\/code> means/);
  });

  it('a partial success: a warning with how many records failed, and the failed-record files', () => {
    const partial = aRun({
      ...finished,
      status: 'partialSuccess',
      errors: [],
      diagnostics: { sampleLinks: [{ name: 'sampleErrors', url: 'https://platform.adobe.io/s' }] },
    });
    const md = renderSummary(
      {
        flowId,
        run: partial,
        wait: { end: 'final', run: partial, reads: 1 },
        waitedMs: 1,
        warning: 'Run run-1 partially succeeded; 100 records failed (sample: https://platform.adobe.io/s).',
      },
      context,
    );
    expect(md).toMatch(/^### ⚠️ Flow run partially succeeded\n/);
    expect(md).toContain('**Warning:** the run partially succeeded: 100 of 5,000 records failed.');
    expect(md).toContain('**Failed-record files (Data Access API)**\n\n- sample errors: `https://platform.adobe.io/s`');
  });

  it('a partial success that fails the step with fail-on-partial says so', () => {
    const partial: Run = { ...finished, status: 'PARTIAL_SUCCESS', errors: [] };
    const md = renderSummary(
      {
        flowId,
        run: partial,
        wait: { end: 'final', run: partial, reads: 1 },
        waitedMs: 1,
        failure: "… (failing because 'fail-on-partial' is true)",
      },
      context,
    );
    expect(md).toMatch(/^### ❌ Flow run partially succeeded\n/);
    expect(md).toContain("**Why the step failed:** the run partially succeeded, and 'fail-on-partial' is true.");
  });

  it('a timeout: the failure as the annotation says it', () => {
    const running: Run = { ...finished, status: 'inProgress', errors: [] };
    const md = renderSummary(
      {
        flowId,
        run: running,
        wait: { end: 'timeout', run: running, reads: 9 },
        waitedMs: 3_600_000,
        failure: 'Run run-1 did not finish within 1h (last status: inProgress). The run goes on in Platform.',
      },
      context,
    );
    expect(md).toMatch(/^### ❌ Flow run still running \(timed out\)\n/);
    expect(md).toContain('**Why the step failed:** Run run-1 did not finish within 1h (last status: inProgress).');
  });

  it('a dry run: the request that would be sent, and no run', () => {
    const request = {
      flowId,
      params: { startTime: 1700000000, windowStartTime: 1699913600, windowEndTime: 1700000000 },
    };
    const md = renderSummary({ flowId, dryRunRequest: request }, context);
    expect(md).toMatch(/^### 🧪 Dry run: no flow run was started\n/);
    expect(md).toContain('| Run ID | — |');
    expect(md).toContain('```json\n' + JSON.stringify(request, null, 2) + '\n```');
  });

  it('a skipped flow: why no run was needed, and no failure', () => {
    const md = renderSummary({ flowId, skipped: 'A run of this flow is in progress: r0.' }, context);
    expect(md).toMatch(/^### ⏭️ No flow run was needed\n/);
    expect(md).toContain('| Status | skipped |');
    expect(md).toContain('\nA run of this flow is in progress: r0.\n');
  });

  it('a run that may have been started: a warning to check before running again', () => {
    const md = renderSummary(
      {
        flowId,
        unsure: true,
        failure: 'A run may exist. Running this step again may start a second ingestion of the same window.',
      },
      context,
    );
    expect(md).toMatch(/^### ⚠️ A flow run may have been started: check before running again\n/);
    expect(md).toContain('**Why the step failed:** A run may exist. Running this step again may start a second');
  });

  it('no run at all: the service error', () => {
    const md = renderSummary({ flowId, failure: 'Flow Service could not create a run: HTTP 400' }, context);
    expect(md).toMatch(/^### ❌ No flow run was started\n/);
    expect(md).toContain('**Why the step failed:** Flow Service could not create a run: HTTP 400');
  });

  it('several attempts: each run ID and how it ended, oldest first', () => {
    const first: Run = { ...finished, id: 'run-a', status: 'failed' };
    const md = renderSummary(
      {
        flowId,
        run: ok,
        earlier: [first],
        wait: { end: 'final', run: ok, reads: 1 },
      },
      context,
    );
    expect(md).toContain('| Attempts | 1. <code>run-a</code> failed · 2. <code>run-ok</code> success |');
  });

  it('a window after the last success names the run it follows', () => {
    const md = renderSummary(
      {
        flowId,
        run: ok,
        window: {
          start: 1699913600,
          end: 1700000000,
          origin: { kind: 'last success', runId: 'run-0', status: 'success', endedAt: 1699913700_000, capped: true },
        },
      },
      { ...context, window: undefined },
    );
    expect(md).toContain(
      '| Window | 2023-11-13T22:13:20Z → 2023-11-14T22:13:20Z (after run <code>run-0</code>, which succeeded at 2023-11-13T22:15:00Z; capped by max-window) |',
    );
  });

  it('keeps hostile service text inert: no HTML, no table break, no line break, no command', () => {
    const hostile = '::error::x ##[error]y <script>alert(1)</script> a|b `c` [l](javascript:1)\r\nz\u2028w';
    const bad = aRun({
      ...finished,
      status: 'failed',
      errors: [{ code: 'X|1', message: hostile }],
      diagnostics: { failedInfo: [{ code: '', message: hostile }] },
    });
    for (const md of [
      renderSummary({ flowId, run: bad, wait: { end: 'final', run: bad, reads: 1 }, failure: hostile }, context),
      renderSummary({ flowId, failure: hostile, flowName: hostile }, context),
      renderSummaryOfMany(
        [{ flowId, run: bad, failure: hostile, wait: { end: 'timeout', run: bad, reads: 1 } }],
        context,
      ),
    ]) {
      expect(md).not.toMatch(/<script|<\/script|\r|\u2028|##\[|\[[^\]]*\]\(javascript/);
      expect(md).not.toContain('a|b');
      for (const line of md.split('\n').filter((l) => l.includes('alert'))) {
        expect(line).toContain('&lt;script&gt;alert(1)&lt;/script&gt; a&#124;b &#96;c&#96; &#91;l](javascript:1) z w');
      }
    }
  });
});

describe('renderSummaryOfMany, details under the table', () => {
  const ok: Run = { ...finished, id: 'run-ok', status: 'success', errors: [] };

  it("lists each troubled flow's diagnosis, skips the untroubled ones, and counts skipped flows", () => {
    const failed: Run = {
      ...finished,
      id: 'run-bad',
      errors: [{ code: 'CONNECTOR-1001-500', message: 'Copy failed' }],
      diagnostics: {
        failedInfo: [{ code: 'INGEST-1212-400', message: 'Required field missing' }],
        batchIds: ['01HBATCH1'],
        sampleLinks: [{ name: 'failedRecords', url: 'https://platform.adobe.io/f' }],
      },
    };
    const md = renderSummaryOfMany(
      [
        { flowId: 'a', run: ok, wait: { end: 'final', run: ok, reads: 1 }, waitedMs: 1 },
        {
          flowId: 'b',
          flowName: 'Orders',
          run: failed,
          wait: { end: 'final', run: failed, reads: 1 },
          failure: 'long',
        },
        { flowId: 'c', skipped: 'Nothing new to ingest.' },
      ],
      context,
    );
    expect(md).toContain('### ❌ 3 flow runs: 1 succeeded, 1 failed, 1 skipped');
    expect(md).not.toContain('Flow <code>a</code>');
    expect(md).toContain(
      [
        '#### ❌ Flow <code>b</code> Orders',
        '',
        '- The run failed.',
        '- <code>CONNECTOR-1001-500</code> Copy failed',
        "- What to do: <code>CONNECTOR-1001-500</code> means copying from the source failed: check the source connection and its credentials; another try may succeed (see 'retries').",
        '- What to do: <code>INGEST-1212-400</code> means processing the data failed: fix the data or the mapping; another try fails the same way.',
        '- In the failed records: <code>INGEST-1212-400</code> Required field missing',
        '- Batch <code>01HBATCH1</code>',
        '- Failed records: `https://platform.adobe.io/f`',
        '',
        '#### ⏭️ Flow <code>c</code>',
        '',
        '- Nothing new to ingest.',
        '',
      ].join('\n'),
    );
  });

  it('shows a flow whose run may exist, and the attempts of a re-triggered one', () => {
    const first: Run = { ...finished, id: 'run-a' };
    const md = renderSummaryOfMany(
      [
        { flowId: 'a', unsure: true, failure: 'A run may exist.' },
        { flowId: 'b', run: ok, earlier: [first], wait: { end: 'final', run: ok, reads: 1 }, waitedMs: 1 },
      ],
      context,
    );
    expect(md).toContain('| <code>a</code> | — | ❌ may exist |');
    expect(md).toContain('- A run may exist.');
    expect(md).toContain('- Attempts: 1. <code>run-a</code> failed · 2. <code>run-ok</code> success');
  });
});

describe('renderSummaryOfMany, partial successes', () => {
  it('counts them in the title and marks their row', () => {
    const ok: Run = { ...finished, id: 'run-ok', status: 'success', errors: [] };
    const partial: Run = { ...finished, id: 'run-p', status: 'partialSuccess', errors: [] };
    const md = renderSummaryOfMany(
      [
        { flowId: 'a', run: ok, wait: { end: 'final', run: ok, reads: 1 }, waitedMs: 1 },
        { flowId: 'b', run: partial, wait: { end: 'final', run: partial, reads: 1 }, waitedMs: 1, warning: 'w' },
      ],
      context,
    );
    expect(md).toContain('### ⚠️ 2 flow runs: 1 succeeded, 1 partially succeeded, 0 failed');
    expect(md).toContain('| <code>b</code> | <code>run-p</code> | ⚠️ partialSuccess |');
    expect(md).toContain('#### ⚠️ Flow <code>b</code>\n\n- The run partially succeeded: 100 of 5,000 records failed.');
  });
});

describe('failed-record file addresses', () => {
  it('are code spans that no backtick or pipe in the address can end', () => {
    // What safeLink lets through: a backtick and a pipe stay as they are in a query.
    const url = 'https://platform.adobe.io/x?q=`|*_[]()';
    const run = aRun({ ...finished, diagnostics: { sampleLinks: [{ name: 'failedRecords', url }] } });
    const md = renderSummary({ flowId: 'a', run, wait: { end: 'final', run, reads: 1 } }, context);
    expect(md).toContain('- failed records: `https://platform.adobe.io/x?q=%60%7C*_[]()`\n');
  });
});

describe('renderBadInput', () => {
  it('names each bad input, escaped, and says nothing was sent', () => {
    const md = renderBadInput([
      "Input 'flow-id' must be dataflow IDs; got 'x|<b>'",
      "Input 'wait' must be true or false; got 'maybe'",
    ]);
    expect(md).toBe(
      [
        '### ❌ No flow run was started: the inputs are not right',
        '',
        "- Input 'flow-id' must be dataflow IDs; got 'x&#124;&lt;b&gt;'",
        "- Input 'wait' must be true or false; got 'maybe'",
        '',
        'Nothing was sent to Adobe. Correct the inputs in the workflow file and run it again.',
        '',
      ].join('\n'),
    );
  });
});

describe('the windows of a catch-up', () => {
  const T = 1_700_000_000;
  const windows = [0, 1, 2, 3].map((i) => ({ start: T + i * 3600, end: T + (i + 1) * 3600 }));
  const ok = aRun({
    id: 'w1',
    status: 'success',
    flowId: FLOW,
    metrics: { recordSummary: { inputRecordCount: 1200, createdRecordCount: 1190, failedRecordCount: 10 } },
  });
  const hostile = aRun({ id: 'w2', status: 'fai|led <b>', flowId: FLOW });
  const story = {
    flowId: FLOW,
    run: hostile,
    wait: { end: 'final' as const, run: hostile, reads: 1 },
    failure: 'Run w2 ended badly. The first window not ingested is …',
    catchUp: { windows, passed: [[ok]], origin: { kind: 'inputs' as const } },
  };
  const row1 =
    `| 1 | 2023-11-14T22:13:20Z | 2023-11-14T23:13:20Z | [<code>w1</code>](https://experience.adobe.com/#/@o@AdobeOrg/` +
    `sname:prod/platform/source/dataflows/${FLOW}/activity/w1) | success | 1,200 in · 1,190 written · 10 failed |`;

  it('lists each window that had a run in one table, then the windows not started in one line', () => {
    const md = renderSummary(story, context);
    expect(md).toContain('| Windows | 2 of 4 sent, 2 not started |');
    expect(md).toContain('| Window | Start | End | Run | Status | Records |');
    expect(md).toContain(row1);
    // Service text in a cell is escaped: no cell break, no HTML.
    expect(md).toMatch(/\| 2 \| 2023-11-14T23:13:20Z \| 2023-11-15T00:13:20Z \| .* \| fai&#124;led &lt;b&gt; \| — in/);
    expect(md).toContain('2 windows not started: 2023-11-15T00:13:20Z → 2023-11-15T02:13:20Z.');
    expect(md).toContain('**Why the step failed:** Run w2 ended badly. The first window not ingested is …');
  });

  it('gives each flow of several its own table', () => {
    const other = { ...story, flowId: '5b0f3c1e-9a4d-4e2b-8c6a-1d2e3f4a5b6c' };
    const md = renderSummaryOfMany([story, other], context);
    expect(md.match(/\| Window \| Start \| End \| Run \| Status \| Records \|/g)).toHaveLength(2);
    expect(md).toContain('- Windows: 2 of 4 sent, 2 not started');
  });
});
