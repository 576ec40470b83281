import { afterEach, describe, expect, it } from 'vitest';
import { startGitHubEmulator, type GitHubEmulator } from '../emulator/github.ts';

describe('the GitHub emulator', () => {
  let gh: GitHubEmulator;
  afterEach(async () => gh?.close());
  const call = (method: string, path: string, body?: unknown, token = gh.token) =>
    fetch(`${gh.url}${path}`, {
      method,
      headers: { authorization: `token ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const issues = () => `/repos/${gh.repository}/issues`;

  it('creates, lists by every label and state, updates, comments and closes', async () => {
    gh = await startGitHubEmulator({ issues: [{ title: 'other', body: '', labels: ['x'] }] });
    expect((await call('POST', issues(), { title: 'T', body: 'B', labels: ['a', 'b'] })).status).toBe(201);
    const listed = (await (await call('GET', `${issues()}?labels=a,b&state=open`)).json()) as Array<{ number: number }>;
    expect(listed.map((i) => i.number)).toEqual([2]);
    expect(await (await call('GET', `${issues()}?labels=a,x`)).json()).toEqual([]);
    expect((await call('POST', `${issues()}/2/comments`, { body: 'c' })).status).toBe(201);
    const closed = await call('PATCH', `${issues()}/2`, { state: 'closed', state_reason: 'completed' });
    expect(await closed.json()).toMatchObject({ number: 2, state: 'closed', html_url: gh.htmlUrl(2) });
    expect(await (await call('GET', `${issues()}?labels=a`)).json()).toEqual([]);
    expect(gh.issues[1]).toMatchObject({ comments: ['c'], state: 'closed' });
    expect(gh.writes.map((r) => r.method)).toEqual(['POST', 'POST', 'PATCH']);
  });

  it('pages with a Link header', async () => {
    gh = await startGitHubEmulator({ issues: Array.from({ length: 3 }, (_, i) => ({ title: `t${i}`, body: '' })) });
    const first = await call('GET', `${issues()}?per_page=2`);
    expect(((await first.json()) as unknown[]).length).toBe(2);
    const next = /<([^>]+)>; rel="next"/.exec(first.headers.get('link') ?? '')?.[1];
    expect(next).toContain('page=2');
    expect(
      ((await (await fetch(next!, { headers: { authorization: `token ${gh.token}` } })).json()) as unknown[]).length,
    ).toBe(1);
  });

  it('answers as GitHub does to a bad token, a missing title, an unknown issue and a read-only token', async () => {
    gh = await startGitHubEmulator({ readOnly: true });
    expect((await call('GET', issues(), undefined, 'wrong')).status).toBe(401);
    expect((await call('GET', issues())).status).toBe(200);
    const refused = await call('POST', issues(), { title: 'T' });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ message: 'Resource not accessible by integration' });
    await gh.close();
    gh = await startGitHubEmulator();
    expect((await call('POST', issues(), { body: 'no title' })).status).toBe(422);
    expect((await call('PATCH', `${issues()}/9`, { body: 'x' })).status).toBe(404);
  });
});
