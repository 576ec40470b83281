// `npm run bench`: what the action costs its users around the ingestion itself, measured against
// the local emulator, each figure beside a floor measured in the same run: bare Node doing the same
// job with nothing but its built-ins. Runs of the action and of its floor alternate (A, B, A, B...)
// and figures are medians, so that a busy moment on a small machine weighs on both sides alike.
// Not a test: it prints and writes bench/results.md, and exits non-zero when a budget is missed.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem, type } from 'node:os';
import { join, resolve } from 'node:path';
import {
  scheduledHistory,
  startEmulator,
  type Emulator,
  type EmulatorOptions,
  type FlowScenario,
} from '../test/emulator/emulator.ts';
import { baseInputs, FLOW_ID, inputEnv } from '../test/e2e/harness.ts';

const ROOT = resolve(import.meta.dirname, '..');
const DIST = join(ROOT, 'dist');
const ACTION = join(DIST, 'index.js');
const CHECK = join(DIST, 'check', 'index.js');
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 21));
const READS = 200;
const MiB = 1024 * 1024;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const ms = (n: number) => `${n.toFixed(1)} ms`;
const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;

// ---- The table --------------------------------------------------------------------------------

interface Row {
  figure: string;
  value: string;
  floor: string;
  ratio: string;
  budget: string;
}
const rows: Row[] = [];
const missed: string[] = [];

function row(figure: string, value: string, floor = '', ratio = '', budget = ''): void {
  rows.push({ figure, value, floor, ratio, budget });
  console.log(`${figure.padEnd(46)} ${value.padStart(12)}  ${floor.padStart(12)}  ${ratio.padStart(7)}  ${budget}`);
}

/** A budget's verdict, remembered so that the bench fails when any is missed. */
function budget(figure: string, ok: boolean, text: string): string {
  if (!ok) missed.push(`${figure} (${text})`);
  return `${ok ? 'within' : 'OVER'}: ${text}`;
}

// ---- Processes --------------------------------------------------------------------------------

const work = mkdtempSync(join(tmpdir(), 'aep-bench-'));
/** What the runner gives every step besides its inputs. */
const RUNNER_ENV = {
  PATH: process.env.PATH ?? '',
  HOME: work,
  RUNNER_TEMP: work,
  GITHUB_OUTPUT: join(work, 'output'),
  GITHUB_STEP_SUMMARY: join(work, 'summary'),
};
writeFileSync(RUNNER_ENV.GITHUB_OUTPUT, '');
writeFileSync(RUNNER_ENV.GITHUB_STEP_SUMMARY, '');

interface Exited {
  wallMs: number;
  exitAt: number;
  code: number | null;
  /** Kernel high-water mark of resident memory (VmHWM), bytes; 0 unless sampled. */
  peakRss: number;
  rss: Array<{ at: number; bytes: number }>;
}

/** Runs `node <args>` to its exit, asynchronously (the emulator answering it lives in this process). */
function node(args: string[], env: Record<string, string>, sampleRss = false): Promise<Exited> {
  return new Promise((done) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { env, stdio: 'ignore' });
    const rss: Exited['rss'] = [];
    let peakRss = 0;
    const sampler = sampleRss
      ? setInterval(() => {
          try {
            const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
            const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) * 1024;
            peakRss = Math.max(peakRss, kib('VmHWM'));
            rss.push({ at: Date.now(), bytes: kib('VmRSS') });
          } catch {
            /* it has just exited */
          }
        }, 5)
      : undefined;
    child.on('exit', (code) => {
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      clearInterval(sampler);
      done({ wallMs, exitAt: Date.now(), code, peakRss, rss });
    });
  });
}

/** Wall time of a process that needs nothing from this one, run synchronously for less noise. */
function wallSync(args: string[], env: Record<string, string>): number {
  const started = process.hrtime.bigint();
  spawnSync(process.execPath, args, { env, stdio: 'ignore' });
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** Runs `a` and `b` alternately, RUNS times each. */
async function alternate<A, B>(a: () => Promise<A> | A, b: () => Promise<B> | B): Promise<[A[], B[]]> {
  const as: A[] = [];
  const bs: B[] = [];
  for (let i = 0; i < RUNS; i++) {
    as.push(await a());
    bs.push(await b());
  }
  return [as, bs];
}

async function withEmulator<T>(options: EmulatorOptions, fn: (e: Emulator) => Promise<T>): Promise<T> {
  const emulator = await startEmulator(options);
  try {
    return await fn(emulator);
  } finally {
    await emulator.close();
  }
}

const actionEnv = (emulator: Emulator, extra: Record<string, string> = {}) => ({
  ...RUNNER_ENV,
  ...inputEnv(baseInputs(emulator, extra)),
});

// ---- The floors: bare Node, built-in fetch, no dependencies --------------------------------------

const CREATE_FLOOR = join(work, 'create-floor.mjs');
writeFileSync(
  CREATE_FLOOR,
  `// Mints a token and starts one run: what the action does for one flow without waiting.
const { URL_BASE, CLIENT_ID, CLIENT_SECRET, ORG_ID, FLOW_ID } = process.env;
const token = await fetch(URL_BASE + '/ims/token/v3', {
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
  body: new URLSearchParams({ grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: CLIENT_SECRET, scope: 'openid,AdobeID' }),
}).then((res) => res.json());
const now = Math.floor(Date.now() / 1000);
const res = await fetch(URL_BASE + '/data/foundation/flowservice/runs', {
  method: 'POST',
  headers: {
    authorization: 'Bearer ' + token.access_token, 'x-api-key': CLIENT_ID, 'x-gw-ims-org-id': ORG_ID,
    'x-sandbox-name': 'prod', 'content-type': 'application/json', accept: 'application/json',
  },
  body: JSON.stringify({ flowId: FLOW_ID, params: { startTime: now, windowStartTime: now - 86400, windowEndTime: now } }),
});
const run = (await res.json()).items[0];
if (res.status !== 201 || !run.id) process.exit(1);
`,
);

const POLL_FLOOR = join(work, 'poll-floor.mjs');
writeFileSync(
  POLL_FLOOR,
  `// Reads one run ${READS} times, 5 ms apart: what the action does while it waits.
const { URL_BASE, CLIENT_ID, ORG_ID, TOKEN, RUN_ID } = process.env;
const headers = { authorization: 'Bearer ' + TOKEN, 'x-api-key': CLIENT_ID, 'x-gw-ims-org-id': ORG_ID, 'x-sandbox-name': 'prod', accept: 'application/json' };
for (let i = 0; i < ${READS}; i++) {
  const res = await fetch(URL_BASE + '/data/foundation/flowservice/runs/' + RUN_ID, { headers });
  const status = (await res.json()).items[0].metrics.statusSummary.status;
  if (res.status !== 200 || !status) process.exit(1);
  await new Promise((resolve) => setTimeout(resolve, 5));
}
`,
);

const CHECK_FLOWS = 200;
const CHECK_RUNS = 168;
const CHECK_PAGE = 100;
const CHECK_FLOOR = join(work, 'check-floor.mjs');
writeFileSync(
  CHECK_FLOOR,
  `// Mints a token, then for each flow (5 at once, as the check's default max-concurrency) reads the flow
// and, beside it, the pages of its runs of the last 7 days: what the check does, and nothing else.
const { URL_BASE, CLIENT_ID, CLIENT_SECRET, ORG_ID, FLOW_IDS } = process.env;
const token = await fetch(URL_BASE + '/ims/token/v3', {
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
  body: new URLSearchParams({ grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: CLIENT_SECRET, scope: 'openid,AdobeID' }),
}).then((res) => res.json());
const headers = { authorization: 'Bearer ' + token.access_token, 'x-api-key': CLIENT_ID, 'x-gw-ims-org-id': ORG_ID, 'x-sandbox-name': 'prod', accept: 'application/json' };
const base = URL_BASE + '/data/foundation/flowservice';
const since = Date.now() - 7 * 86400000;
async function read(id) {
  const flow = fetch(base + '/flows/' + id, { headers }).then((res) => res.json());
  const runs = [];
  let token;
  do {
    const query = 'property=' + encodeURIComponent('flowId==' + id) + '&property=' + encodeURIComponent('metrics.durationSummary.startedAtUTC>' + since) + '&orderby=-createdAt&limit=${CHECK_PAGE}' + (token ? '&continuationToken=' + token : '');
    const page = await fetch(base + '/runs?' + query, { headers }).then((res) => res.json());
    runs.push(...page.items);
    token = page._links?.next?.href ? new URL(page._links.next.href, base).searchParams.get('continuationToken') : undefined;
  } while (token);
  if ((await flow).items[0].id !== id || runs.length !== ${CHECK_RUNS}) process.exit(1);
}
const ids = FLOW_IDS.split(',');
let next = 0;
await Promise.all(Array.from({ length: 5 }, async () => { while (next < ids.length) await read(ids[next++]); }));
`,
);

const floorEnv = (emulator: Emulator, extra: Record<string, string> = {}) => ({
  PATH: RUNNER_ENV.PATH,
  URL_BASE: emulator.url,
  CLIENT_ID: emulator.clientId,
  CLIENT_SECRET: emulator.clientSecret,
  ORG_ID: emulator.orgId,
  FLOW_ID,
  ...extra,
});

function expectExit(what: string, results: Exited[], code: number): void {
  const wrong = results.find((r) => r.code !== code);
  if (wrong) throw new Error(`${what} exited with ${wrong.code}, not ${code}: the figures would mean nothing`);
}

// ---- The machine ------------------------------------------------------------------------------

const machine = [
  `CPU: ${cpus()[0]?.model ?? 'unknown'}, ${cpus().length} cores`,
  `memory: ${(totalmem() / 1024 ** 3).toFixed(1)} GiB`,
  `Node ${process.version}`,
  `OS: ${type()} ${release()} (${process.platform} ${process.arch})`,
  `load average at start: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
];
console.log(`${machine.join('\n')}\n${RUNS} runs per figure, action and floor alternating; medians\n`);
row('figure', 'value', 'floor', 'ratio', 'budget');

/** The entry alone must fail on bad input: it may not need (so not parse) the chunks the rest of the action is in. */
function failsWithoutChunks(env: Record<string, string>): void {
  const alone = join(work, 'entry-alone');
  mkdirSync(alone);
  for (const file of ['index.js', 'package.json']) copyFileSync(join(DIST, file), join(alone, file));
  const result = spawnSync(process.execPath, [join(alone, 'index.js')], { env, encoding: 'utf8' });
  if (result.status !== 1 || !result.stdout.includes("::error::Input 'flow-id' is required")) {
    throw new Error(
      `dist/index.js alone did not fail on a missing input as it should:\n${result.stdout}${result.stderr}`,
    );
  }
}

// 1. Failing on a missing input, beside Node starting and doing nothing.
{
  const inputs = { 'client-id': 'id', 'client-secret': 'secret', 'org-id': 'ORG@AdobeOrg', 'window-start': '24h' };
  const env = { ...RUNNER_ENV, ...inputEnv(inputs) }; // every input good but the missing flow-id
  wallSync(['-e', '0'], {}); // warm the file cache
  failsWithoutChunks(env);
  const [failing, base] = await alternate(
    () => wallSync([ACTION], env),
    () => wallSync(['-e', '0'], { PATH: RUNNER_ENV.PATH }),
  );
  const ratio = median(failing) / median(base);
  row(
    'fail on a missing input',
    ms(median(failing)),
    ms(median(base)),
    `${ratio.toFixed(2)}x`,
    budget('fail on a missing input', ratio <= 2, '≤ 2x node -e 0'),
  );
}

// 2. Creating one run without waiting, beside a bare script minting a token and posting the run.
await withEmulator({ flows: { [FLOW_ID]: {} } }, async (emulator) => {
  // Once each unmeasured, so that the chunks are in the file cache as Node's own code is.
  await node([ACTION], actionEnv(emulator));
  await node([CREATE_FLOOR], floorEnv(emulator));
  const [action, floor] = await alternate(
    () => node([ACTION], actionEnv(emulator)),
    () => node([CREATE_FLOOR], floorEnv(emulator)),
  );
  expectExit('the action', action, 0);
  expectExit('the create floor', floor, 0);
  const a = median(action.map((r) => r.wallMs));
  const f = median(floor.map((r) => r.wallMs));
  row(
    'create one run, no wait',
    ms(a),
    ms(f),
    `${(a / f).toFixed(2)}x`,
    budget('create one run', a / f <= 1.5, '≤ 1.5x bare fetch'),
  );
});

// 3. Requests and tokens for a run that takes a few reads.
await withEmulator({ flows: { [FLOW_ID]: { statuses: ['inProgress', 'inProgress', 'success'] } } }, async (e) => {
  await node([ACTION], actionEnv(e, { wait: 'true', 'poll-interval': '10ms' }));
  const floor = 3 + 3; // one token, one flow read (preflight, on by default), one run request, three reads
  const requests = e.requests.length;
  row(
    'requests for a run of 3 reads',
    String(requests),
    String(floor),
    `${(requests / floor).toFixed(2)}x`,
    budget('requests', requests === floor, 'at the floor'),
  );
  row(
    'tokens minted per step',
    String(e.tokensMinted),
    '1',
    `${e.tokensMinted.toFixed(2)}x`,
    budget('tokens', e.tokensMinted === 1, 'at the floor'),
  );
});

// 4. From the run turning final to the step's end: the read that sees it, then the exit.
{
  const interval = 200;
  const afterFinal: number[] = [];
  const afterRead: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const finishAfterMs = 300 + Math.round(Math.random() * interval);
    await withEmulator({ flows: { [FLOW_ID]: { finishAfterMs, finalStatus: 'success' } } }, async (emulator) => {
      const { exitAt } = await node([ACTION], actionEnv(emulator, { wait: 'true', 'poll-interval': `${interval}ms` }));
      const run = emulator.runsOf(FLOW_ID)[0]!;
      afterFinal.push(exitAt - (run.createdAt + finishAfterMs));
      afterRead.push(exitAt - run.finalAt!);
    });
  }
  row(
    `run final → exit, poll-interval ${interval} ms (mean)`,
    `${(mean(afterFinal) / interval).toFixed(2)} interval`,
    '0.50',
    '',
    '(half an interval is the floor)',
  );
  const m = median(afterRead);
  row(
    'final status read → exit',
    ms(m),
    '0',
    '',
    budget('exit after the final status', m <= 100, `≤ 100 ms (max ${ms(Math.max(...afterRead))})`),
  );
}

// 5. Memory while waiting through 200 reads, beside a bare script reading the same endpoint 200 times.
{
  const scenario: FlowScenario = { statuses: [...Array<string>(READS - 1).fill('inProgress'), 'success'] };
  /** RSS when the n-th read (from 1) reached the emulator. */
  const rssAtRead = (result: Exited, reads: number[], n: number) =>
    result.rss.filter((s) => s.at <= reads[n - 1]!).at(-1)?.bytes ?? Number.NaN;
  const readsOf = (e: Emulator) => e.requests.filter((r) => r.route === 'read').map((r) => r.at);
  const [action, floor] = await alternate(
    () =>
      withEmulator({ flows: { [FLOW_ID]: scenario } }, async (e) => {
        const result = await node([ACTION], actionEnv(e, { wait: 'true', 'poll-interval': '5ms' }), true);
        const reads = readsOf(e);
        if (result.code !== 0 || reads.length !== READS) throw new Error(`the action read ${reads.length} times`);
        return { peak: result.peakRss, growth: rssAtRead(result, reads, READS) - rssAtRead(result, reads, 50) };
      }),
    () =>
      withEmulator(
        {
          flows: { [FLOW_ID]: scenario },
          existingRuns: [{ flowId: FLOW_ID, createdAt: Date.now(), params: {} }],
        },
        async (e) => {
          const env = floorEnv(e, { TOKEN: e.issueToken(), RUN_ID: e.runsOf(FLOW_ID)[0]!.id });
          const result = await node([POLL_FLOOR], env, true);
          const reads = readsOf(e);
          if (result.code !== 0 || reads.length !== READS) throw new Error(`the poll floor read ${reads.length} times`);
          return { peak: result.peakRss, growth: rssAtRead(result, reads, READS) - rssAtRead(result, reads, 50) };
        },
      ),
  );
  const peak = median(action.map((r) => r.peak));
  const floorPeak = median(floor.map((r) => r.peak));
  row(
    `peak RSS over ${READS} reads`,
    mib(peak),
    mib(floorPeak),
    `${(peak / floorPeak).toFixed(2)}x`,
    budget(
      'peak RSS',
      peak <= floorPeak + 5 * MiB,
      `≤ floor + 5 MiB (${peak > floorPeak ? `${mib(peak - floorPeak)} over` : `${mib(floorPeak - peak)} under`} the floor)`,
    ),
  );
  const growth = median(action.map((r) => r.growth));
  row(
    `RSS growth from read 50 to read ${READS}`,
    mib(growth),
    mib(median(floor.map((r) => r.growth))),
    '',
    budget('RSS growth', growth < 2 * MiB, '< 2 MiB'),
  );
}

// 6. Several flows in one step, each taking the same reads: time close to one flow's, requests at
// the floor, memory flat. Five runs each: these figures inform, they carry no budget but requests.
{
  const reads = 5;
  let oneFlowMs = 0;
  for (const flows of [1, 10, 50]) {
    const ids = Array.from({ length: flows }, (_, i) => `${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`);
    const scenario: FlowScenario = { statuses: [...Array<string>(reads - 1).fill('inProgress'), 'success'] };
    const times: number[] = [];
    const peaks: number[] = [];
    let requests = 0;
    for (let i = 0; i < Math.min(RUNS, 5); i++) {
      await withEmulator({ flows: Object.fromEntries(ids.map((id) => [id, scenario])) }, async (e) => {
        const inputs = { 'flow-id': ids.join('\n'), wait: 'true', 'poll-interval': '100ms' };
        const result = await node([ACTION], actionEnv(e, inputs), true);
        times.push(result.wallMs);
        peaks.push(result.peakRss);
        requests = e.requests.length;
      });
    }
    const wallMs = median(times);
    if (flows === 1) oneFlowMs = wallMs;
    const floor = 1 + 2 * flows + flows * reads; // one token; per flow a flow read, a run request, its reads
    const label = `${flows} flow(s) x ${reads} reads`;
    row(`${label}: wall time`, ms(wallMs), ms(oneFlowMs), `${(wallMs / oneFlowMs).toFixed(2)}x`);
    row(
      `${label}: requests`,
      String(requests),
      String(floor),
      `${(requests / floor).toFixed(2)}x`,
      budget(`${label}: requests`, requests === floor, 'at the floor'),
    );
    row(`${label}: peak RSS`, mib(median(peaks)));
  }
}

// 7. What each path parses: the entry alone when the inputs are bad, the chunks too when they are good.
for (const dir of ['', 'check/']) {
  for (const file of readdirSync(join(DIST, dir)).filter((f) => f.endsWith('.js'))) {
    const code = readFileSync(join(DIST, dir, file));
    // @actions/github's chunk (it carries Octokit) is loaded only by a check that keeps issues.
    const role =
      file === 'index.js'
        ? 'entry: all that bad input loads'
        : code.includes('octokit')
          ? 'chunk: loaded only with `issues: true`'
          : 'chunk: loaded for good input';
    row(`dist/${dir}${file} (${role})`, `${(code.length / 1024).toFixed(0)} KiB`);
  }
}

// 8. `window-start: last-success` over a history of 500 runs, pages of 100: one flow read, each page
// of the list once, one run request; its wall time beside the same step with a window given (no list).
{
  const history = 500;
  const pageSize = 100;
  const end = 1_700_000_000;
  const existingRuns = Array.from({ length: history }, (_, i) => {
    const windowEndTime = end - (history - 1 - i) * 3600;
    return {
      flowId: FLOW_ID,
      createdAt: windowEndTime * 1000 + 120_000,
      status: i % 10 === 9 ? 'failed' : 'success', // every tenth failed: its window is taken again
      params: { windowStartTime: windowEndTime - 3600, windowEndTime },
    };
  });
  /** One step against a fresh emulator holding that history: wall time to exit, and requests sent. */
  const step = (inputs: Record<string, string>) =>
    withEmulator({ flows: { [FLOW_ID]: {} }, existingRuns, pageSize }, async (e) => {
      const result = await node([ACTION], actionEnv(e, inputs));
      if (result.code !== 0) throw new Error(`the last-success step failed (exit ${String(result.code)})`);
      return { wallMs: result.wallMs, requests: e.requests.length };
    });
  const windowEnd = String(end + 3600);
  const [listing, fixed] = await alternate(
    () => step({ 'window-start': 'last-success', 'window-end': windowEnd }),
    () => step({ 'window-start': String(end), 'window-end': windowEnd }),
  );
  const requests = Math.max(...listing.map((r) => r.requests));
  const floor = 1 + 1 + Math.ceil(history / pageSize) + 1; // token, flow read, list pages, run request
  const wallMs = median(listing.map((r) => r.wallMs));
  const fixedMs = median(fixed.map((r) => r.wallMs));
  row(
    `last-success over ${history} runs (pages of ${pageSize}): requests`,
    String(requests),
    String(floor),
    `${(requests / floor).toFixed(2)}x`,
    budget('last-success: requests', requests === floor, 'at the floor'),
  );
  row(
    `last-success over ${history} runs: wall time`,
    ms(wallMs),
    `${ms(fixedMs)} (window given)`,
    `${(wallMs / fixedMs).toFixed(2)}x`,
  );
}

// 9. `catch-up` of 30 windows after the last success: per window one run request and its read, one
// list of the flow's runs for the step; and the time from one window's final status (the read that
// showed it) to the next window's run request reaching the emulator.
{
  const windows = 30;
  const end = 1_700_000_000;
  const existingRuns = [
    {
      flowId: FLOW_ID,
      createdAt: end * 1000 + 120_000,
      status: 'success',
      params: { windowStartTime: end - 3600, windowEndTime: end },
    },
  ];
  const inputs = {
    'window-start': 'last-success',
    'window-end': String(end + windows * 3600),
    'max-window': '1h',
    'catch-up': 'true',
    'poll-interval': '5ms',
  };
  const gaps: number[] = [];
  const requests: number[] = [];
  const walls: number[] = [];
  for (let i = 0; i < Math.min(RUNS, 7); i++) {
    await withEmulator({ flows: { [FLOW_ID]: { statuses: ['success'] } }, existingRuns }, async (e) => {
      const result = await node([ACTION], actionEnv(e, inputs));
      if (result.code !== 0) throw new Error(`the catch-up step failed (exit ${String(result.code)})`);
      const runs = e.runsOf(FLOW_ID).filter((r) => r.finalAt !== undefined && r.createdAt > end * 1000 + 120_000);
      if (runs.length !== windows) throw new Error(`the catch-up ran ${runs.length} windows, not ${windows}`);
      const creates = e.requests.filter((r) => r.route === 'create').map((r) => r.at);
      runs.sort((a, b) => a.createdAt - b.createdAt);
      for (let k = 1; k < windows; k++) gaps.push(creates[k]! - runs[k - 1]!.finalAt!);
      requests.push(e.requests.length);
      walls.push(result.wallMs);
    });
  }
  const floor = 1 + 1 + 1 + windows * 2; // token, flow read, one list; per window a run request and one read
  const most = Math.max(...requests);
  row(
    `catch-up of ${windows} windows: requests`,
    String(most),
    String(floor),
    `${(most / floor).toFixed(2)}x`,
    budget('catch-up: requests', most === floor, 'at the floor'),
  );
  const m = median(gaps);
  row(
    'window final status read → next run request',
    ms(m),
    '0',
    '',
    budget('catch-up: next window', m <= 100, `≤ 100 ms (max ${ms(Math.max(...gaps))}, ${gaps.length} gaps)`),
  );
  row(`catch-up of ${windows} windows: wall time`, ms(median(walls)));
}

// 10. The check action reading 200 flows with a week of hourly runs each (168, pages of 100), beside a
// bare-fetch script making the same requests (one token; per flow one flow read and its pages) at the
// same concurrency. The check only reads, so one emulator serves every run of both.
{
  const ids = Array.from(
    { length: CHECK_FLOWS },
    (_, i) => `${String(i).padStart(8, '0')}-1111-4000-8000-000000000000`,
  );
  const newest = Date.now() - 1_800_000; // half an hour ago: 168 hourly runs fall in the last 7 days
  const existingRuns = ids.flatMap((id) =>
    scheduledHistory(id, { fromMs: newest - (CHECK_RUNS - 1) * 3_600_000, toMs: newest, everyMs: 3_600_000 }),
  );
  const flows = Object.fromEntries(ids.map((id) => [id, { details: { frequency: 'hour' } }]));
  await withEmulator({ flows, existingRuns, pageSize: CHECK_PAGE }, async (e) => {
    const checkEnv = {
      ...RUNNER_ENV,
      ...inputEnv({
        'flow-id': ids.join('\n'),
        'client-id': e.clientId,
        'client-secret': e.clientSecret,
        'org-id': e.orgId,
        'platform-url': e.url,
        'ims-url': e.url,
        'max-age': '2h',
      }),
    };
    const env = floorEnv(e, { FLOW_IDS: ids.join(',') });
    /** A run of either, with the requests it made. */
    const measured = async (args: string[], environment: Record<string, string>) => {
      const before = e.requests.length;
      const result = await node(args, environment, true);
      return { ...result, requests: e.requests.length - before };
    };
    await measured([CHECK], checkEnv); // once each unmeasured: the file cache
    await measured([CHECK_FLOOR], env);
    const runs = Math.min(RUNS, 7);
    const checks: Array<Exited & { requests: number }> = [];
    const floors: Array<Exited & { requests: number }> = [];
    for (let i = 0; i < runs; i++) {
      checks.push(await measured([CHECK], checkEnv));
      floors.push(await measured([CHECK_FLOOR], env));
    }
    expectExit('the check', checks, 0);
    expectExit('the check floor', floors, 0);
    const label = `check: ${CHECK_FLOWS} flows x ${CHECK_RUNS} runs`;
    const a = median(checks.map((r) => r.wallMs));
    const f = median(floors.map((r) => r.wallMs));
    row(
      `${label}: wall time`,
      ms(a),
      ms(f),
      `${(a / f).toFixed(2)}x`,
      budget(`${label}: wall time`, a / f <= 1.3, '≤ 1.3x bare fetch'),
    );
    const requests = Math.max(...checks.map((r) => r.requests));
    const floor = 1 + CHECK_FLOWS * (1 + Math.ceil(CHECK_RUNS / CHECK_PAGE)); // token; per flow its read and pages
    row(
      `${label}: requests`,
      String(requests),
      String(floor),
      `${(requests / floor).toFixed(2)}x`,
      budget(`${label}: requests`, requests === floor && floors.every((r) => r.requests === floor), 'at the floor'),
    );
    const peak = median(checks.map((r) => r.peakRss));
    const floorPeak = median(floors.map((r) => r.peakRss));
    row(`${label}: peak RSS`, mib(peak), mib(floorPeak), `${(peak / floorPeak).toFixed(2)}x`);
  });
}

rmSync(work, { recursive: true, force: true });
machine.push(
  `load average at the end: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
console.log(`\n${machine.at(-1)}`);
const table = [
  `| ${Object.values(rows[0]!).join(' | ')} |`,
  '| --- | --- | --- | --- | --- |',
  ...rows.slice(1).map((r) => `| ${[r.figure, r.value, r.floor, r.ratio, r.budget].join(' | ')} |`),
].join('\n');
writeFileSync(
  join(ROOT, 'bench/results.md'),
  `# Benchmark results\n\nMade by \`npm run bench\`, ${RUNS} runs per figure (the action and its floor alternating), medians unless said otherwise. The floors are measured in the same run: \`node -e 0\`, and bare Node scripts doing the same requests with the built-in fetch.\n\n${machine.map((m) => `- ${m}`).join('\n')}\n\n${table}\n`,
);
console.log('\nWrote bench/results.md');
if (missed.length > 0) {
  console.log(`\nBudgets missed:\n- ${missed.join('\n- ')}`);
  process.exitCode = 1;
}
