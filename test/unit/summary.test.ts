import { describe, expect, it } from 'vitest';
import type { Run } from '../../src/answers.ts';
import { overallStatus } from '../../src/outcome.ts';
import { renderSummary, renderSummaryOfMany } from '../../src/summary.ts';
import type { Settings } from '../../src/settings.ts';

const settings: Settings = {
  flowIds: ['3abea21c-7e36-4be1-bec1-d3bad0e3e0de'],
  runIds: [],
  retrigger: false,
  retries: 0,
  uiTenant: 'o@AdobeOrg',
  ifRunning: 'start',
  preflight: false,
  firstWindowStart: undefined,
  maxWindowMs: undefined,
  warnings: [],
  maxConcurrency: 5,
  clientId: 'c',
  credentials: { kind: 'access-token', accessToken: 't' },
  orgId: 'o@AdobeOrg',
  sandboxName: 'prod',
  sourceType: 'file',
  deltaColumn: undefined,
  startTime: 1700000000,
  windowStart: 1699913600,
  windowEnd: 1700000000,
  wait: true,
  timeoutMs: 3_600_000,
  requestTimeoutMs: 30_000,
  pollIntervalMs: 30_000,
  failOnPartial: false,
  dryRun: false,
  platformUrl: 'https://platform.adobe.io',
  imsUrl: 'https://ims-na1.adobelogin.com',
};

const finished: Run = {
  id: 'run-1',
  etag: '"e"',
  status: 'failed',
  flowId: settings.flowIds[0],
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
  window: undefined,
  diagnostics: { failedInfo: [], batchIds: [], sampleLinks: [] },
};

describe('renderSummary', () => {
  it('shows a waited run at a glance', () => {
    const md = renderSummary({
      settings,
      flowId: settings.flowIds[0]!,
      run: finished,
      wait: { end: 'final', run: finished, reads: 3 },
      waitedMs: 90_000,
    });
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
    const md = renderSummary({ settings, flowId: settings.flowIds[0]!, run: created });
    expect(md).toContain('### ⏳ Flow run scheduled');
    expect(md).toContain('| Status | scheduled |');
    expect(md).not.toContain('Records');
  });

  it('shows unknown counts as a dash, not as -1 or 0', () => {
    const run: Run = { ...finished, metrics: { statusSummary: { status: 'success' } }, errors: [] };
    const md = renderSummary({
      settings,
      flowId: settings.flowIds[0]!,
      run,
      wait: { end: 'final', run, reads: 1 },
      waitedMs: 5000,
    });
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
    const md = renderSummaryOfMany({ ...settings, flowIds: ['a', 'b', 'c'] }, [
      { flowId: 'a', run: ok, wait: { end: 'final', run: ok, reads: 2 }, waitedMs: 1000 },
      { flowId: 'b', failure: 'Flow Service could not create a run: HTTP 400 FLOW-1430-400' },
      {
        flowId: 'c',
        run: finished,
        wait: { end: 'final', run: finished, reads: 2 },
        waitedMs: 1000,
        failure: 'Run run-1 ended failed',
      },
    ]);
    expect(md).toContain('### ❌ 3 flow runs: 1 succeeded, 2 failed');
    expect(md).toContain(
      '| <code>a</code> | <code>run-ok</code> | success | 1m 1s | 5,000 in · 4,900 written · 100 failed |',
    );
    expect(md).toContain('| <code>b</code> | — | ❌ not started | — |');
    expect(md).toContain('- Flow Service could not create a run: HTTP 400 FLOW-1430-400');
    expect(md).toContain('- <code>CONNECTOR-2001-500</code>');
  });
});
