// Issue #3: the bundled action under faults. Each test injects one kind of fault into the emulator
// and checks what a user relies on: the step ends right, no run is started twice, nothing leaks.
import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator, EmulatorOptions, Fault } from '../emulator/emulator.ts';
import { useEmulator } from './fixture.ts';
import { baseInputs, FLOW_ID, leakedSecrets, workflowCommands } from './harness.ts';
import { startProxy, type RecordingProxy } from './proxy.ts';

const e2e = useEmulator();
let emulator: Emulator;
let proxy: RecordingProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

async function emulate(options: EmulatorOptions = {}): Promise<Emulator> {
  emulator = await e2e.start({ flows: { [FLOW_ID]: { statuses: ['inProgress', 'success'] } }, ...options });
  return emulator;
}

const waiting = (extra: Record<string, string> = {}) =>
  baseInputs(emulator, { wait: 'true', 'poll-interval': '20ms', 'request-timeout': '1s', ...extra });

describe('transient faults on the token request and status reads are retried', () => {
  it.each<[string, Fault]>([
    [
      '429 with Retry-After in seconds',
      {
        route: 'token',
        status: 429,
        headers: { 'retry-after': '1' },
        body: '{"error_code":"429050","message":"Too many requests"}',
      },
    ],
    [
      '503 with Retry-After as a date',
      { route: 'token', status: 503, headers: { 'retry-after': new Date(Date.now() - 1000).toUTCString() } },
    ],
    ['500', { route: 'read', status: 500, times: 2 }],
    ['502', { route: 'read', status: 502 }],
    ['504', { route: 'read', status: 504, headers: { 'retry-after': '0' } }],
    ['a connection reset', { route: 'read', reset: 'before', times: 2 }],
    ['a reset of the token request', { route: 'token', reset: 'before' }],
  ])('%s', async (_name, fault) => {
    await emulate();
    emulator.inject(fault);
    const result = await e2e.run(waiting(), { env: { RUNNER_DEBUG: '1' } });
    expect(result.code, result.stdout).toBe(0);
    expect(result.outputs.status).toBe('success');
    expect(emulator.runsOf(FLOW_ID)).toHaveLength(1);
    expect(emulator.tokensMinted).toBe(1);
    // Each retry is a line the user sees (not a debug line), with its reason and its pause.
    expect(result.stdout).toMatch(
      /^(POST|GET) \S+ (answered HTTP \d{3}|failed: (ECONNRESET|UND_ERR_SOCKET).*); retrying in [\d.]+ m?s \(retry 1\)$/m,
    );
  });

  it('honours a Retry-After in seconds before retrying', async () => {
    await emulate();
    emulator.inject({ route: 'read', status: 429, headers: { 'retry-after': '1' } });
    const result = await e2e.run(waiting());
    expect(result.code).toBe(0);
    const reads = emulator.requests.filter((r) => r.route === 'read');
    expect(reads[1]!.at - reads[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('gives up at the timeout rather than retry past it', async () => {
    await emulate();
    emulator.inject({ route: 'read', status: 503, headers: { 'retry-after': '30' } });
    const result = await e2e.run(waiting({ timeout: '2s' }));
    expect(result.code).toBe(1);
    expect(result.ms).toBeLessThan(6000);
    expect(result.errors[0]).toMatch(/HTTP 503/);
    expect(result.outputs['run-id']).toBe(emulator.runsOf(FLOW_ID)[0]!.id);
  });

  it('does not retry a 4xx status read', async () => {
    await emulate();
    emulator.inject({ route: 'read', status: 404, body: '{"title":"Not found","errorMessage":"Run gone"}' });
    const result = await e2e.run(waiting());
    expect(result.code).toBe(1);
    expect(emulator.count('read')).toBe(1);
    expect(result.errors[0]).toContain('HTTP 404: Not found; Run gone');
  });
});

describe('every request has its own time limit', () => {
  it('a status read that hangs past request-timeout is abandoned and retried', async () => {
    await emulate();
    emulator.inject({ route: 'read', delayMs: 5000 });
    const result = await e2e.run(waiting({ 'request-timeout': '300ms' }));
    expect(result.code).toBe(0);
    expect(result.ms).toBeLessThan(4000);
    expect(result.stdout).toMatch(/^GET \S+ failed: UND_ERR_HEADERS_TIMEOUT.*; retrying in/m);
  });

  it('a token request that hangs cannot hang the step', async () => {
    await emulate();
    emulator.inject({ route: 'token', delayMs: 10_000, times: 20 });
    // A timeout well past the first attempt's limit, so that a slow start on a loaded machine cannot
    // make the step's timeout, rather than the token request's, the fault the step names.
    const result = await e2e.run(waiting({ 'request-timeout': '200ms', timeout: '3s' }));
    expect(result.code).toBe(1);
    expect(result.ms).toBeLessThan(6000);
    expect(result.errors[0]).toMatch(/POST \/ims\/token\/v3 failed: UND_ERR_HEADERS_TIMEOUT/);
  });
});

describe('a run request is never sent twice for one step', () => {
  it('drops the connection after the run was created: the run is found and adopted', async () => {
    await emulate();
    emulator.inject({ route: 'create', reset: 'after' });
    const result = await e2e.run(waiting());
    expect(result.code, result.stdout).toBe(0);
    const runs = emulator.runsOf(FLOW_ID);
    expect(runs).toHaveLength(1);
    expect(emulator.count('create')).toBe(1);
    expect(emulator.count('list')).toBe(1);
    expect(result.outputs['run-id']).toBe(runs[0]!.id);
    expect(result.warnings[0]).toMatch(/answer to the run request was lost/);
    expect(result.stdout).toContain(`Found run ${runs[0]!.id}`);
  });

  it.each([502, 504, 500])('answers %d after creating the run: adopted, not sent again', async (status) => {
    await emulate();
    emulator.inject({
      route: 'create',
      status,
      afterActing: true,
      body: '{"error_code":"502001","message":"Bad gateway"}',
    });
    const result = await e2e.run(baseInputs(emulator));
    expect(result.code).toBe(0);
    expect(emulator.runsOf(FLOW_ID)).toHaveLength(1);
    expect(emulator.count('create')).toBe(1);
    expect(result.outputs['run-id']).toBe(emulator.runsOf(FLOW_ID)[0]!.id);
  });

  it('times out waiting for the answer after the run was created: adopted', async () => {
    await emulate();
    emulator.inject({ route: 'create', delayMs: 3000, afterActing: true });
    const result = await e2e.run(baseInputs(emulator, { 'request-timeout': '300ms' }));
    expect(result.code).toBe(0);
    expect(emulator.runsOf(FLOW_ID)).toHaveLength(1);
    expect(emulator.count('create')).toBe(1);
  });

  it('drops the connection before creating anything: does not send again before the service could list the run', async () => {
    // The step cannot tell a reset before acting from one after: "not found yet" is not "not created".
    await emulate();
    emulator.inject({ route: 'create', reset: 'before' });
    const result = await e2e.run(baseInputs(emulator, { timeout: '3s' }));
    expect(result.code).toBe(1);
    expect(emulator.count('create')).toBe(1);
    expect(emulator.count('list')).toBeGreaterThanOrEqual(1);
    expect(result.errors[0]).toMatch(/A run may exist\..*Dataflow activity.*second ingestion/);
    expect(result.summary).toContain('A flow run may have been started');
    expect(result.summary).not.toContain('No flow run was started');
    expect(result.ms).toBeLessThan(8000);
  });

  it('finds its run on a later page of the flow, among older runs with other windows', async () => {
    const existingRuns = Array.from({ length: 45 }, (_, i) => ({
      flowId: FLOW_ID,
      createdAt: Date.now() - (50 - i) * 1000,
      params: { windowStartTime: 1600000000 + i, windowEndTime: 1600003600 + i },
    }));
    await emulate({ pageSize: 20, existingRuns });
    emulator.inject({ route: 'create', reset: 'after' });
    const result = await e2e.run(baseInputs(emulator));
    expect(result.code).toBe(0);
    expect(emulator.count('create')).toBe(1);
    expect(emulator.count('list')).toBe(3);
    const mine = emulator.runsOf(FLOW_ID).filter((r) => Number(r.params.windowEndTime) > 1700000000);
    expect(mine).toHaveLength(1);
    expect(result.outputs['run-id']).toBe(mine[0]!.id);
  });

  it.each([429, 503])('retries a %d run request: the service did nothing', async (status) => {
    await emulate();
    emulator.inject({ route: 'create', status, headers: { 'retry-after': '0' }, times: 2 });
    const result = await e2e.run(baseInputs(emulator));
    expect(result.code).toBe(0);
    expect(emulator.count('create')).toBe(3);
    expect(emulator.count('list')).toBe(0);
    expect(emulator.runsOf(FLOW_ID)).toHaveLength(1);
  });

  it('retries a refused connection, which certainly did nothing', async () => {
    await emulate();
    // Nothing listens on port 9 of loopback: every attempt is refused; the step gives up at its timeout.
    const result = await e2e.run(
      baseInputs(emulator, { 'platform-url': 'http://127.0.0.1:9', timeout: '2s', preflight: 'false' }),
      {
        env: { RUNNER_DEBUG: '1' },
      },
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^POST \/data\/foundation\/flowservice\/runs failed: ECONNREFUSED.*; retrying in/m);
    expect(result.errors[0]).toMatch(/ECONNREFUSED/);
    expect(result.ms).toBeLessThan(6000);
  });
});

describe('expired tokens', () => {
  it('mints one new token when Platform rejects the first during a long wait', async () => {
    await emulate({
      tokenUses: 4, // the flow read, the run request and two reads; the next read needs a new token
      flows: { [FLOW_ID]: { statuses: ['inProgress', 'inProgress', 'inProgress', 'inProgress', 'success'] } },
    });
    const result = await e2e.run(waiting());
    expect(result.code, result.stdout).toBe(0);
    expect(emulator.tokensMinted).toBe(2);
    expect(result.outputs.status).toBe('success');
    expect(result.masked).toEqual(expect.arrayContaining(emulator.tokensMintedList));
  });

  it('fails clearly when a given access-token expires', async () => {
    await emulate({ tokenUses: 2 });
    const token = emulator.issueToken();
    const result = await e2e.run(waiting({ 'client-secret': '', 'access-token': token }));
    expect(result.code).toBe(1);
    expect(emulator.tokensMinted).toBe(0);
    expect(result.errors[0]).toMatch(
      /rejected the 'access-token' \(401\): it has expired or was revoked.*401013: Oauth token is not valid/,
    );
    expect(result.outputs['run-id']).toBeDefined();
    expect(leakedSecrets(result, [token])).toEqual([]);
  });
});

describe('cancellation', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s while waiting: stops at once, keeps outputs, writes the summary',
    async (signal) => {
      await emulate({ flows: { [FLOW_ID]: { statuses: ['inProgress'] } } });
      let sentAt = 0;
      const result = await e2e.run(waiting({ 'poll-interval': '200ms' }), {
        onStart: (child) => {
          const timer = setInterval(() => {
            if (emulator.count('read') >= 2) {
              clearInterval(timer);
              sentAt = Date.now();
              child.kill(signal);
            }
          }, 10);
        },
      });
      const exitedAfter = Date.now() - sentAt;
      expect(result.code).not.toBe(0);
      expect(exitedAfter).toBeLessThan(1000);
      const runId = emulator.runsOf(FLOW_ID)[0]!.id;
      expect(result.outputs['run-id']).toBe(runId);
      expect(result.outputs.status).toBe('inProgress');
      expect(result.errors[0]).toMatch(
        new RegExp(`cancelled while waiting for run ${runId} \\(last status: inProgress\\).*goes on in Platform`),
      );
      expect(result.summary).toContain(runId);
      expect(result.summary).toContain('inProgress');
      const readsAtExit = emulator.count('read');
      await new Promise((r) => setTimeout(r, 300));
      expect(emulator.count('read')).toBe(readsAtExit); // no read after the signal
    },
  );
});

describe('proxies', () => {
  it('sends every request through HTTP_PROXY', async () => {
    await emulate();
    proxy = await startProxy();
    const result = await e2e.run(waiting(), { env: { HTTP_PROXY: proxy.url } });
    expect(result.code).toBe(0);
    expect(proxy.seen.length).toBe(emulator.requests.length);
    expect(proxy.seen.some((s) => s.includes('/ims/token/v3'))).toBe(true);
    expect(proxy.seen.some((s) => s.includes('/flowservice/runs'))).toBe(true);
  });

  it('goes direct for hosts in NO_PROXY', async () => {
    await emulate();
    proxy = await startProxy();
    const result = await e2e.run(waiting(), { env: { HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' } });
    expect(result.code).toBe(0);
    expect(proxy.seen).toEqual([]);
  });
});

describe('malformed answers fail clearly, quoting a short excerpt', () => {
  it.each<[string, Fault, RegExp]>([
    [
      'a run request answered with HTML',
      { route: 'create', malformed: '<html><body>Gateway says hi</body></html>' },
      /run request with HTTP 201 and a body that is not a run: '<html><body>Gateway says hi<\/body><\/html>'/,
    ],
    [
      'a run request answered with empty items',
      { route: 'create', malformed: '{"items":[]}' },
      /body that is not a run: '\{"items":\[\]\}'/,
    ],
    [
      'a status read of the wrong shape',
      { route: 'read', malformed: '{"items":[{"name":"no id"}]}' },
      /read of run .* body that is not a run/,
    ],
    [
      'a status read that is not JSON',
      { route: 'read', malformed: 'x'.repeat(5000) },
      /body that is not a run: 'x{100,199}…'/,
    ],
    [
      'a token answer without a token',
      { route: 'token', malformed: '{"token_type":"bearer"}' },
      /IMS answered 200 without an access token \(answer keys: token_type\)/,
    ],
  ])('%s', async (_name, fault, message) => {
    await emulate();
    emulator.inject(fault);
    const result = await e2e.run(waiting());
    expect(result.code).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(message);
    expect(result.stderr).toBe('');
    expect(emulator.runsOf(FLOW_ID).length).toBeLessThanOrEqual(1);
  });
});

describe('text from the service is untrusted', () => {
  const hostile =
    'Bad row\n::add-mask::x\n::error::pwned\n::set-output name=run-id::evil\n##[error]old style\r\n  ::warning::indented';

  it('cannot become a workflow command, from an error body', async () => {
    await emulate();
    emulator.inject({ route: 'create', status: 400, body: JSON.stringify({ title: hostile, errorMessage: hostile }) });
    const result = await e2e.run(baseInputs(emulator));
    expect(result.code).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toContain('Bad row ::add-mask::x ::error::pwned');
    expect(workflowCommands(result.stdout).filter((l) => !/^::(add-mask|error|debug)::/.test(l))).toEqual([]);
    expect(result.masked).not.toContain('x');
    expect(result.outputs['run-id']).toBeUndefined();
  });

  it('cannot become a workflow command, from run errors and statuses', async () => {
    const errors = [{ code: 'X\n::error::code', message: hostile }];
    await emulate({ flows: { [FLOW_ID]: { statuses: ['in\n::add-mask::Progress', 'failed'], errors } } });
    const result = await e2e.run(waiting());
    expect(result.code).toBe(1);
    expect(result.errors).toHaveLength(1);
    const commandLines = workflowCommands(result.stdout);
    expect(commandLines.filter((l) => !/^::(add-mask|error|debug)::/.test(l))).toEqual([]);
    expect(result.masked).toEqual(expect.not.arrayContaining(['x', 'Progress']));
    expect(result.summary).not.toMatch(/^::/m);
  });
});

describe('values from the service are checked or made inert (issue #11)', () => {
  const own = /^::(add-mask|error|warning|notice|debug|group|endgroup)::/;

  it('rejects a run ID carrying a line break and a command as a malformed answer, quoted inertly', async () => {
    await emulate();
    const id = 'a1b2\n::set-output name=run-id::evil\n::error::pwned';
    emulator.inject({ route: 'create', malformed: JSON.stringify({ items: [{ id, etag: '"e"' }] }) });
    const result = await e2e.run(baseInputs(emulator, { 'flow-id': `${FLOW_ID}` }));
    expect(result.code).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(/a run ID that is not one: 'a1b2 ::set-output name=run-id::evil ::error::pwned'/);
    expect(workflowCommands(result.stdout).filter((l) => !own.test(l))).toEqual([]);
    expect(result.outputs['run-id']).toBeUndefined();
  });

  it('defuses ##[ in a status and in error text printed after words of our own', async () => {
    const errors = [{ code: 'E-1', message: 'see ##[error]pwned and ## [warning]also' }];
    await emulate({ flows: { [FLOW_ID]: { statuses: ['queued ##[error]pwned', 'failed'], errors } } });
    const result = await e2e.run(waiting());
    expect(result.code).toBe(1);
    expect(result.stdout.split('\n').filter((l) => l.includes('##['))).toEqual([]);
    expect(result.summary).not.toContain('##[');
    expect(result.stdout).toContain('queued ## [error]pwned');
  });

  it('keeps several run requests within timeout even when each hangs until request-timeout', async () => {
    const flows = Object.fromEntries(
      ['1', '2', '3', '4'].map((n) => [`3abea21c-7e36-4be1-bec1-d3bad0e3e0d${n}`, { sourceType: 'file' as const }]),
    );
    emulator = await e2e.start({ flows });
    emulator.inject({ route: 'create', delayMs: 10_000, times: 8 });
    const result = await e2e.run(
      baseInputs(emulator, {
        'flow-id': Object.keys(flows).join(','),
        'max-concurrency': '1',
        'request-timeout': '1s',
        timeout: '3s',
      }),
    );
    expect(result.code).toBe(1);
    expect(result.ms).toBeLessThan(3000 + 2500);
    // The step's clock starts before its first request, so no request may come 3 s after that one.
    const times = emulator.requests.map((r) => r.at);
    expect(Math.max(...times) - Math.min(...times)).toBeLessThan(3100);
    // A request sent before the deadline may have made a run; one not sent by then never is.
    const perFlow = result.errors.filter((e) => e.startsWith('Flow '));
    expect(perFlow, result.errors.join('\n')).toHaveLength(4);
    for (const error of perFlow) {
      expect(error).toMatch(/A run may exist\. .*second ingestion|was not sent: the step's timeout has come/);
    }
    expect(perFlow[0]).toMatch(/A run may exist/);
    expect(perFlow.at(-1)).toMatch(/was not sent/);
  });
});

describe('soak: 200 status reads, one in five faulty', () => {
  it('ends right, with one run, two tokens at most, and no leaked secret', async () => {
    const kinds: Fault[] = [
      { route: 'read', status: 503, headers: { 'retry-after': '0' } },
      { route: 'read', status: 429, headers: { 'retry-after': '0' } },
      { route: 'read', status: 500, headers: { 'retry-after': '0' } },
      { route: 'read', status: 502, headers: { 'retry-after': '0' } },
      { route: 'read', reset: 'before' },
      { route: 'read', status: 504, headers: { 'retry-after': '0' } },
      { route: 'read', malformed: undefined, delayMs: 400 },
    ];
    let planned = 0;
    await emulate({
      tokenUses: 120,
      flows: { [FLOW_ID]: { statuses: [...Array(165).fill('inProgress'), 'success'] } },
      faultPlan: (route, n) => (route === 'read' && n % 5 === 0 ? kinds[planned++ % kinds.length] : undefined),
    });
    const result = await e2e.run(waiting({ 'poll-interval': '5ms', 'request-timeout': '250ms', timeout: '2m' }), {
      timeoutMs: 120_000,
    });
    expect(result.code, result.errors.join('\n')).toBe(0);
    expect(result.outputs.status).toBe('success');
    // A read abandoned at request-timeout still advances the run on the server, as it would at Adobe,
    // and the 401 that renews the token does not: so count reads and faults, not statuses.
    const reads = emulator.count('read');
    expect(reads).toBeGreaterThanOrEqual(200);
    expect(planned).toBe(Math.floor(reads / 5));
    expect(emulator.runsOf(FLOW_ID)).toHaveLength(1);
    expect(emulator.count('create')).toBe(1);
    expect(emulator.tokensMinted).toBe(2); // the first expired after 120 uses
    expect(result.stdout.match(/→ inProgress/g)).toHaveLength(1);
  }, 120_000);
});
