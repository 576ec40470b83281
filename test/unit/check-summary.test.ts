import { marked } from 'marked';
import { describe, expect, it } from 'vitest';
import type { Flow, Run, ServiceErrorEntry } from '../../src/answers.ts';
import { dataflowUrl, healthIcon, renderCheckSummary, type CheckView } from '../../src/check-summary.ts';
import { assessFlow, type FlowReading } from '../../src/health.ts';
import { quiet } from '../../src/markdown.ts';

const NOW = 1_700_000_000_000;
const HOUR = 3_600_000;
const A = 'aaaaaaaa-0000-4000-8000-000000000001';
const B = 'bbbbbbbb-0000-4000-8000-000000000002';
const C = 'cccccccc-0000-4000-8000-000000000003';
const link = { tenant: 'acme', sandboxName: 'prod' };
const view = (extra: Partial<CheckView> = {}): CheckView => ({
  link,
  nowMs: NOW,
  lookbackMs: 7 * 24 * HOUR,
  maxAgeMs: 26 * HOUR,
  ...extra,
});

function run(flowId: string, id: string, status: string, hoursAgo: number, errors: ServiceErrorEntry[] = []): Run {
  const started = NOW - hoursAgo * HOUR;
  return {
    id,
    etag: undefined,
    status,
    flowId,
    createdAt: started,
    params: undefined,
    metrics: {
      durationSummary: { startedAtUTC: started, completedAtUTC: started + 5 * 60_000 },
      recordSummary: { inputRecordCount: 1200, failedRecordCount: 12 },
    },
    errors,
    window: { start: started / 1000 - 3600, end: started / 1000, from: 'params' },
    diagnostics: { failedInfo: [], batchIds: [], sampleLinks: [] },
  };
}

const flow = (id: string, name: string): Flow => ({
  id,
  name,
  state: 'enabled',
  frequency: 'day',
  deltaColumn: undefined,
});

function health(reading: Partial<FlowReading> & { flowId: string }) {
  return assessFlow(
    { flow: flow(reading.flowId, 'Orders'), runs: [], problems: [], ...reading },
    { nowMs: NOW, lookbackMs: 7 * 24 * HOUR, maxAgeMs: 26 * HOUR },
  );
}

const healthy = () => health({ flowId: A, runs: [run(A, 'run-a1', 'success', 2)] });
const failing = (errors: ServiceErrorEntry[] = [{ code: 'CONNECTOR-1001-500', message: 'The source refused' }]) =>
  health({
    flowId: B,
    flow: flow(B, 'Customers'),
    runs: [run(B, 'run-b1', 'success', 5), run(B, 'run-b2', 'failed', 1, errors)],
  });
const stale = () => health({ flowId: C, flow: flow(C, 'Events'), runs: [run(C, 'run-c1', 'success', 30)] });

describe('renderCheckSummary', () => {
  it('has one row per flow, the name linked to the dataflow, and the newest run linked to its activity', () => {
    const md = renderCheckSummary([healthy(), failing(), stale()], view());
    expect(md).toContain('### ❌ 2 of 3 dataflows unhealthy');
    expect(md).toContain('Sandbox prod · runs of the last 7d · max-age 1d 2h');
    const rows = md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| ---'));
    expect(rows).toHaveLength(4); // the head and three flows
    expect(rows[1]).toContain(`[Orders](${dataflowUrl(link, A)})`);
    expect(rows[1]).toContain(
      `[success](https://experience.adobe.com/#/@acme/sname:prod/platform/source/dataflows/${A}/activity/run-a1) 2h ago`,
    );
    expect(rows[1]).toMatch(/^\| ✅ /);
    expect(rows[1]).toContain('| 2h / 1d 2h |');
    expect(rows[1]).toContain('| 1 / 1 | 5m | 1,200 · 12 |');
    expect(rows[2]).toMatch(/^\| ❌ /);
    expect(rows[2]).toContain('<code>CONNECTOR-1001-500</code> ×1');
    expect(rows[3]).toMatch(/^\| 🕒 /);
    expect(rows[3]).toContain('2023-11-13T16:13:20Z');
  });

  it('says all is well when it is', () => {
    const md = renderCheckSummary([healthy()], view());
    expect(md).toContain('### ✅ 1 dataflow healthy');
    expect(md).not.toContain('####');
  });

  it('gives each unhealthy flow a section: why, and its newest errors', () => {
    const md = renderCheckSummary([healthy(), failing(), stale()], view());
    expect(md).toContain(`#### ❌ Flow <code>${B}</code> Customers`);
    expect(md).toContain('- Failing: its newest finished run <code>run-b2</code> ended failed.');
    expect(md).toContain('- <code>CONNECTOR-1001-500</code> The source refused');
    expect(md).toContain(`#### 🕒 Flow <code>${C}</code> Events`);
    expect(md).toContain('more than the max-age of 1d 2h');
    expect(md).not.toContain(`#### ✅`);
  });

  it('says when there is no success in lookback, and names a flow that could not be read', () => {
    const none = health({ flowId: C, runs: [] });
    const unreadable = health({ flowId: B, flow: undefined, runs: undefined, problems: ['Flow B was not found.'] });
    const md = renderCheckSummary([none, unreadable], view());
    expect(md).toContain('Stale: no successful run in the last 7d.');
    expect(md).toContain('| no success |');
    expect(md).toContain(`| ❓ | [${B}](${dataflowUrl(link, B)}) | — | — | could not be read |`);
    expect(md).toContain('- Could not be read: Flow B was not found.');
    expect(healthIcon(unreadable)).toBe('❓');
  });

  it('names the flows still stale when wait reached its timeout, and shows the issue of each', () => {
    const md = renderCheckSummary(
      [stale()],
      view({ waitedOut: true, issueUrls: new Map([[C, 'https://github.com/o/r/issues/7']]) }),
    );
    expect(md).toContain(`**Still not fresh at the timeout:** <code>${C}</code>`);
    expect(md).toContain('- Incident: https://github.com/o/r/issues/7');
  });

  it('keeps service text inert: no HTML, image, link, mention or reference survives in the rendered page', () => {
    const hostile =
      '<img src=x onerror=alert(1)> ![p](https://evil.example/p.png) [x](https://evil.example) @octo-team closes #12 GH-3 www.evil.example ](javascript:alert(1)) | *b*';
    const h = failing([{ code: 'E-1 <b>', message: hostile }]);
    h.flow = flow(B, hostile);
    const md = renderCheckSummary([h], view());
    const html = marked.parse(md, { async: false });
    expect(html).not.toMatch(/<img|<b>|<a href="(?!https:\/\/experience)/i);
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);
    expect(hrefs.every((h) => h!.startsWith('https://experience.adobe.com/'))).toBe(true);
    expect(md).not.toMatch(/@octo/);
    expect(md).not.toMatch(/(?<!&)#12|GH-3|https:\/\/evil|www\.evil/);
    // The table keeps its columns: no cell break from the service.
    const rows = md.split('\n').filter((l) => l.startsWith('| '));
    expect(new Set(rows.map((r) => r.split(' | ').length)).size).toBe(1);
  });
});

describe('quiet', () => {
  it('breaks mentions, references and bare links but keeps the words and the entities whole', () => {
    const text = quiet('@team see #12 and GH-4 at https://x.example or www.x.example [a]');
    expect(text).toBe(
      '@\u200dteam see #\u200d12 and GH\u200d-4 at https:\u200d//x.example or www\u200d.x.example &#91;a]',
    );
    expect(quiet('a@b.c').includes('@\u200db')).toBe(true);
  });
});
