import { marked } from 'marked';
import { afterEach, describe, expect, it } from 'vitest';
import type { Flow, Run, ServiceErrorEntry } from '../../src/answers.ts';
import type { CheckView } from '../../src/check-summary.ts';
import { assessFlow, type FlowHealth } from '../../src/health.ts';
import {
  flowOfBody,
  issueBody,
  issueTitle,
  keepIncidents,
  markerFor,
  planIncidents,
  type IncidentSettings,
} from '../../src/incidents.ts';
import { startGitHubEmulator, type GitHubEmulator, type GitHubEmulatorOptions } from '../emulator/github.ts';

const NOW = 1_700_000_000_000;
const HOUR = 3_600_000;
const A = 'aaaaaaaa-0000-4000-8000-000000000001';
const B = 'bbbbbbbb-0000-4000-8000-000000000002';
const view: CheckView = {
  link: { tenant: 'acme', sandboxName: 'prod' },
  nowMs: NOW,
  lookbackMs: 7 * 24 * HOUR,
  maxAgeMs: 26 * HOUR,
};

function run(flowId: string, id: string, status: string, hoursAgo: number, errors: ServiceErrorEntry[] = []): Run {
  const started = NOW - hoursAgo * HOUR;
  return {
    id,
    etag: undefined,
    status,
    flowId,
    createdAt: started,
    params: undefined,
    metrics: { durationSummary: { startedAtUTC: started, completedAtUTC: started + 60_000 } },
    errors,
    window: { start: started / 1000 - 3600, end: started / 1000, from: 'params' },
    diagnostics: { failedInfo: [], batchIds: [], sampleLinks: [] },
  };
}

const flow = (id: string, name = 'Orders'): Flow => ({
  id,
  name,
  state: 'enabled',
  frequency: 'day',
  deltaColumn: undefined,
});

function health(flowId: string, runs: Run[] | undefined, name?: string): FlowHealth {
  return assessFlow(
    { flowId, flow: flow(flowId, name), runs, problems: runs ? [] : ['could not be read'] },
    { nowMs: NOW, lookbackMs: view.lookbackMs, maxAgeMs: view.maxAgeMs },
  );
}

const HOSTILE =
  '@octo-org/admins see #1 and GH-2; fixes #3. <img src=x onerror=alert(1)> ![i](https://evil.example/i.png) [c](https://evil.example) <!-- aep-flow-run-action check: flow evil -->';
const failing = (flowId = A, message = 'The source refused') =>
  health(flowId, [
    run(flowId, 'ok', 'success', 3),
    run(flowId, 'bad', 'failed', 1, [{ code: 'CONNECTOR-1001-500', message }]),
  ]);
const stale = (flowId = A) => health(flowId, [run(flowId, 'old', 'success', 40)]);
const healthy = (flowId = A) => health(flowId, [run(flowId, 'fine', 'success', 1)]);

describe('issue text', () => {
  it('carries the marker of its flow, found again whatever else the body says', () => {
    const body = issueBody(failing(), view);
    expect(body.startsWith(markerFor(A))).toBe(true);
    expect(flowOfBody(body)).toBe(A);
    expect(flowOfBody('a body someone wrote')).toBeUndefined();
  });

  it('titles the issue with our words and the flow ID only', () => {
    expect(issueTitle(failing())).toBe(`Dataflow ${A} is failing`);
    expect(issueTitle(stale())).toBe(`Dataflow ${A} is stale`);
    expect(issueTitle(health(A, [run(A, 'x', 'failed', 1)]))).toBe(`Dataflow ${A} is stale and failing`);
  });

  it('keeps service text inert: no mention, reference, closing keyword, link, image, HTML or forged marker', () => {
    const h = failing(A, HOSTILE);
    h.flow = flow(A, HOSTILE);
    const body = issueBody(h, view);
    expect(flowOfBody(body)).toBe(A);
    expect(body.match(/<!--/g)).toHaveLength(1);
    expect(body).not.toMatch(/@octo|(?<!&)#[123]\b|GH-2|https:\/\/evil/);
    const html = marked.parse(body, { async: false });
    expect(html).not.toMatch(/<img|<a href="https:\/\/evil/);
    expect(body).toContain('https://experience.adobe.com/#/@acme/sname:prod/platform/source/dataflows/');
  });
});

describe('planIncidents', () => {
  const found = (flowId: string, number: number) => ({
    number,
    flowId,
    htmlUrl: `https://github.com/o/r/issues/${number}`,
  });

  it('opens an issue for a stale or failing flow that has none', () => {
    const plan = planIncidents([failing(A), stale(B)], [], view);
    expect(plan.map((a) => [a.kind, a.flowId])).toEqual([
      ['open', A],
      ['open', B],
    ]);
  });

  it('updates the issue a flow has, the older of two, never opening a second', () => {
    const plan = planIncidents([failing(A)], [found(A, 9), found(A, 4), found(B, 5)], view);
    expect(plan).toEqual([expect.objectContaining({ kind: 'update', flowId: A, number: 4 })]);
  });

  it('comments on and closes the issue of a flow healthy again; does nothing for a healthy flow without one', () => {
    const plan = planIncidents([healthy(A), healthy(B)], [found(A, 2)], view);
    expect(plan).toEqual([expect.objectContaining({ kind: 'close', flowId: A, number: 2 })]);
    expect(plan[0]!.kind === 'close' && plan[0]!.comment).toMatch(/healthy again/);
  });

  it('leaves the issue of a flow that could not be read as it is', () => {
    expect(planIncidents([health(A, undefined)], [found(A, 2)], view)).toEqual([]);
  });
});

describe('keepIncidents against the GitHub emulator', () => {
  let gh: GitHubEmulator;
  afterEach(async () => gh?.close());
  const settings = (extra: Partial<IncidentSettings> = {}): IncidentSettings => ({
    token: gh.token,
    repository: gh.repository,
    apiUrl: gh.url,
    labels: ['aep-dataflow', 'data-team'],
    ...extra,
  });
  const start = async (options: GitHubEmulatorOptions = {}) => (gh = await startGitHubEmulator(options));

  it('opens one issue per unhealthy flow, with the labels, and gives its URL', async () => {
    await start();
    const result = await keepIncidents([failing(A), healthy(B)], settings(), view);
    expect(result.problem).toBeUndefined();
    expect(gh.issues).toHaveLength(1);
    expect(gh.issues[0]).toMatchObject({ title: `Dataflow ${A} is failing`, labels: ['aep-dataflow', 'data-team'] });
    expect(result.urls.get(A)).toBe(gh.htmlUrl(1));
    expect(result.done).toEqual([`Opened issue #1 for flow ${A}: ${gh.htmlUrl(1)}`]);
    expect(gh.requests.every((r) => r.headers.authorization === `token ${gh.token}`)).toBe(true);
  });

  it('updates the issue while the flow stays unhealthy, never a second one, across steps', async () => {
    await start();
    await keepIncidents([failing(A)], settings(), view);
    const later = { ...view, nowMs: NOW + HOUR };
    const second = await keepIncidents([stale(A)], settings(), later);
    const third = await keepIncidents([stale(A)], settings(), later);
    expect(gh.issues).toHaveLength(1);
    expect(gh.issues[0]!.title).toBe(`Dataflow ${A} is stale`);
    expect(gh.issues[0]!.body).toContain('Last checked 2023-11-14T23:13:20Z');
    expect(second.done[0]).toMatch(/^Updated issue #1/);
    expect(third.urls.get(A)).toBe(gh.htmlUrl(1));
    expect(gh.writes.filter((r) => r.method === 'POST' && r.path.endsWith('/issues'))).toHaveLength(1);
  });

  it('finds the issue by its marker even when people renamed it, and ignores issues without one', async () => {
    await start({
      issues: [
        { title: 'Something else', body: 'no marker', labels: ['aep-dataflow'] },
        { title: 'Renamed by a person', body: `${markerFor(A)}\nold text`, labels: ['aep-dataflow', 'data-team'] },
      ],
    });
    await keepIncidents([failing(A)], settings(), view);
    expect(gh.issues).toHaveLength(2);
    expect(gh.issues[1]!.body).toContain('is failing');
    expect(gh.issues[0]!.body).toBe('no marker');
  });

  it('pages through the open issues to find it', async () => {
    const others = Array.from({ length: 150 }, (_, i) => ({ title: `t${i}`, body: 'x', labels: ['aep-dataflow'] }));
    await start({ issues: [{ title: 'ours', body: markerFor(A), labels: ['aep-dataflow'] }, ...others] });
    await keepIncidents([failing(A)], settings({ labels: ['aep-dataflow'] }), view);
    expect(gh.issues).toHaveLength(151);
    expect(gh.issues[0]!.title).toBe(`Dataflow ${A} is failing`);
    expect(gh.requests.filter((r) => r.method === 'GET')).toHaveLength(2);
  });

  it('comments on and closes the issue on recovery; a new incident later opens a new issue', async () => {
    await start();
    await keepIncidents([failing(A)], settings(), view);
    const closed = await keepIncidents([healthy(A)], settings(), view);
    expect(gh.issues[0]).toMatchObject({ state: 'closed', state_reason: 'completed' });
    expect(gh.issues[0]!.comments[0]).toMatch(/is healthy again/);
    expect(closed.done[0]).toMatch(/^Closed issue #1/);
    expect(closed.urls.size).toBe(0);
    await keepIncidents([healthy(A)], settings(), view);
    expect(gh.writes).toHaveLength(3); // open, comment, close: nothing more for a healthy flow
    await keepIncidents([stale(A)], settings(), view);
    expect(gh.issues).toHaveLength(2);
  });

  it('keeps hostile service text inert in what it sends GitHub', async () => {
    await start();
    const h = failing(A, HOSTILE);
    h.flow = flow(A, HOSTILE);
    await keepIncidents([h], settings(), view);
    const sent = gh.writes.map((r) => r.body).join('\n');
    expect(sent).not.toMatch(/@octo|GH-2|https:\/\/evil|<img/);
    expect(JSON.parse(gh.writes[0]!.body).title).toBe(`Dataflow ${A} is failing`);
  });

  it('names the missing issues: write permission once when GitHub refuses, and stops there', async () => {
    await start({ readOnly: true });
    const result = await keepIncidents([failing(A), stale(B)], settings(), view);
    expect(result.problem).toMatch(/GitHub refused to open an issue in octo-org\/pipelines .*HTTP 403/);
    expect(result.problem).toContain("'permissions: issues: write'");
    expect(gh.writes).toHaveLength(1);
    expect(result.problem).not.toContain(gh.token);
  });

  it('says so when the token cannot even list issues', async () => {
    await start({ noAccess: true });
    const result = await keepIncidents([failing(A)], settings(), view);
    expect(result.problem).toMatch(/GitHub refused to list the open issues/);
  });

  it('refuses a GITHUB_REPOSITORY that is not owner/name, sending nothing', async () => {
    await start();
    const result = await keepIncidents([failing(A)], settings({ repository: 'nope' }), view);
    expect(result.problem).toMatch(/not owner\/name/);
    expect(gh.requests).toHaveLength(0);
  });
});
