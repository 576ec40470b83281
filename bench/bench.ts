// `npm run bench`: what the action costs its users around the ingestion itself, measured against
// the local emulator, each figure beside its floor measured in the same run. Not a test: it prints
// and writes bench/results.md, and says where each budget stands.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startEmulator, type Emulator, type FlowScenario } from '../test/emulator/emulator.ts';
import { baseInputs, FLOW_ID, inputEnv } from '../test/e2e/harness.ts';

const ROOT = resolve(import.meta.dirname, '..');
const ACTION = join(ROOT, 'dist/index.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 15);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const ms = (n: number) => `${n.toFixed(1)} ms`;
const rows: Array<{ figure: string; value: string; floor: string; ratio: string; budget: string }> = [];
function row(figure: string, value: string, floor: string, ratio: string, budget = '') {
  rows.push({ figure, value, floor, ratio, budget });
  console.log(
    `${figure.padEnd(44)} ${value.padStart(14)}  floor ${floor.padStart(12)}  ${ratio.padStart(8)}  ${budget}`,
  );
}
const verdict = (ok: boolean, text: string) => `${ok ? 'within' : 'OVER'} budget (${text})`;

/** Wall time of one `node <args>` to its exit, in ms. */
function wall(args: string[], env: Record<string, string> = {}): number {
  const started = process.hrtime.bigint();
  spawnSync(process.execPath, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'ignore' });
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function inputsEnv(emulator: Emulator, extra: Record<string, string> = {}): Record<string, string> {
  return inputEnv(baseInputs(emulator, extra));
}

/** Runs the action asynchronously (the emulator lives in this process), with RSS sampling. */
function runAction(env: Record<string, string>, sampleRss = false) {
  return new Promise<{ exitAt: number; peakRssKiB: number; rssSamples: Array<{ at: number; kib: number }> }>((done) => {
    const child = spawn(process.execPath, [ACTION], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'ignore' });
    const rssSamples: Array<{ at: number; kib: number }> = [];
    let peakRssKiB = 0;
    const sampler = sampleRss
      ? setInterval(() => {
          try {
            const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
            const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
            peakRssKiB = Math.max(peakRssKiB, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0));
            rssSamples.push({ at: Date.now(), kib });
          } catch {
            /* the process has just exited */
          }
        }, 5)
      : undefined;
    child.on('exit', () => {
      clearInterval(sampler);
      done({ exitAt: Date.now(), peakRssKiB, rssSamples });
    });
  });
}

async function withEmulator<T>(flow: FlowScenario, fn: (e: Emulator) => Promise<T>): Promise<T> {
  const emulator = await startEmulator({ flows: { [FLOW_ID]: flow } });
  try {
    return await fn(emulator);
  } finally {
    await emulator.close();
  }
}

/** Bundles a one-line probe that loads one dependency, as ncc bundles the action, and times it. */
function dependencyCost(name: string, code: string, baseMs: number): string {
  const dir = join(ROOT, 'bench/.tmp', name.replace(/\W/g, '_'));
  mkdirSync(dir, { recursive: true });
  const entry = join(ROOT, 'src', `.bench-probe-${name.replace(/\W/g, '_')}.ts`);
  writeFileSync(entry, code);
  try {
    const ncc = join(ROOT, 'node_modules/@vercel/ncc/dist/ncc/cli.js');
    const built = spawnSync(
      process.execPath,
      [ncc, 'build', entry, '-o', dir, '--minify', '--target', 'es2024', '-q'],
      { stdio: 'ignore' },
    );
    if (built.status !== 0) return 'could not bundle';
  } finally {
    rmSync(entry);
  }
  const t = median(Array.from({ length: RUNS }, () => wall([join(dir, 'index.js')])));
  return `+${(t - baseMs).toFixed(1)} ms`;
}

console.log(`Node ${process.version}, ${RUNS} runs per figure, medians unless said otherwise\n`);

// 1. Start-up.
wall(['-e', '0']); // warm the file cache
const base = median(Array.from({ length: RUNS }, () => wall(['-e', '0'])));
row('node -e 0', ms(base), '', '1.00x');
const failing = median(Array.from({ length: RUNS }, () => wall([ACTION])));
row(
  'fail on a missing required input',
  ms(failing),
  ms(base),
  `${(failing / base).toFixed(2)}x`,
  verdict(failing / base <= 3.5, '≤ 3.5x'),
);
const creating = await withEmulator({}, async (emulator) => {
  const env = inputsEnv(emulator);
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = Date.now();
    const { exitAt } = await runAction(env);
    times.push(exitAt - started);
  }
  return median(times);
});
row(
  'create one run, no wait',
  ms(creating),
  ms(base),
  `${(creating / base).toFixed(2)}x`,
  verdict(creating / base <= 6, '≤ 6x'),
);
const distBytes = readdirSync(join(ROOT, 'dist'))
  .filter((f) => f.endsWith('.js'))
  .reduce((sum, f) => sum + statSync(join(ROOT, 'dist', f)).size, 0);
row('dist/ size (JavaScript)', `${(distBytes / 1024).toFixed(0)} KiB`, '', '');
for (const [name, code] of [
  ['@actions/core', "import * as core from '@actions/core';\ncore.getInput('x');\n"],
  ['zod', "import { z } from 'zod';\nz.string().parse('x');\n"],
  ['undici', "import { Agent } from 'undici';\nnew Agent();\n"],
] as const) {
  row(`load cost of ${name} (bundled alone)`, dependencyCost(name, code, base), ms(base), '');
}
row('load cost of @actions/github', 'not loaded', '', '', 'not a dependency');

// 2. Requests and tokens for a run that takes N reads.
const N = 5;
await withEmulator({ statuses: [...Array(N - 1).fill('inProgress'), 'success'] }, async (emulator) => {
  await runAction(inputsEnv(emulator, { wait: 'true', 'poll-interval': '10ms' }));
  const total = emulator.requests.length;
  row(
    `requests for a run of ${N} reads`,
    String(total),
    String(N + 2),
    `${(total / (N + 2)).toFixed(2)}x`,
    verdict(total === N + 2, 'at the floor'),
  );
  row(
    'tokens minted per step',
    String(emulator.tokensMinted),
    '1',
    `${emulator.tokensMinted.toFixed(2)}x`,
    verdict(emulator.tokensMinted === 1, 'at the floor'),
  );
});

// 3. Finish latency: from the run turning final (by the emulator's clock) to the action's exit.
const interval = 200;
const latencies: number[] = [];
const afterRead: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const finishAfterMs = 300 + Math.round(Math.random() * interval);
  await withEmulator({ finishAfterMs, finalStatus: 'success' }, async (emulator) => {
    const { exitAt } = await runAction(inputsEnv(emulator, { wait: 'true', 'poll-interval': `${interval}ms` }));
    const run = emulator.runsOf(FLOW_ID)[0]!;
    latencies.push(exitAt - (run.createdAt + finishAfterMs));
    afterRead.push(exitAt - run.finalAt!);
  });
}
const fraction = mean(latencies) / interval;
row(
  `finish latency, poll-interval ${interval} ms (mean)`,
  `${fraction.toFixed(2)} interval`,
  '0',
  '',
  verdict(mean(latencies) <= interval / 2 + 100, '≤ 0.5 interval + 100 ms'),
);
row(
  'exit after reading the final status (max)',
  ms(Math.max(...afterRead)),
  '0',
  '',
  verdict(Math.max(...afterRead) <= 100, '≤ 100 ms'),
);

// 4. Memory while waiting on a run for 200 reads; the floor is bare Node polling the same endpoint
// 200 times with its built-in fetch, no action code at all.
const floorRss = await withEmulator({ statuses: ['inProgress'] }, async (emulator) => {
  const token = emulator.issueToken();
  await runAction(inputsEnv(emulator)); // creates the run to read
  const runId = emulator.runsOf(FLOW_ID)[0]!.id;
  const script = `
    const headers = { authorization: 'Bearer ${token}', 'x-api-key': '${emulator.clientId}', 'x-gw-ims-org-id': '${emulator.orgId}', 'x-sandbox-name': 'prod' };
    for (let i = 0; i < 200; i++) {
      const res = await fetch('${emulator.url}/data/foundation/flowservice/runs/${runId}', { headers });
      JSON.parse(await res.text());
      await new Promise((r) => setTimeout(r, 5));
    }
    process.stdout.write(String(process.resourceUsage().maxRSS));`;
  // Asynchronous: the emulator answering it lives in this process.
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise((done) => child.on('close', done));
  if (code !== 0) throw new Error(`the RSS floor script failed: ${stderr}`);
  return Number(stdout) / 1024;
});
await withEmulator({ statuses: [...Array(199).fill('inProgress'), 'success'] }, async (emulator) => {
  const result = await runAction(inputsEnv(emulator, { wait: 'true', 'poll-interval': '5ms' }), true);
  const reads = emulator.requests.filter((r) => r.route === 'read').map((r) => r.at);
  const rssAt = (read: number) => result.rssSamples.filter((s) => s.at <= reads[read - 1]!).at(-1)?.kib ?? 0;
  const early = rssAt(50);
  const late = rssAt(200);
  const peak = result.peakRssKiB / 1024;
  row(
    'peak RSS over 200 reads',
    `${peak.toFixed(1)} MiB`,
    `${floorRss.toFixed(1)} MiB`,
    `${(peak / floorRss).toFixed(2)}x`,
    verdict(peak < 90, '< 90 MiB'),
  );
  row(
    'RSS growth from read 50 to read 200',
    `${((late - early) / 1024).toFixed(1)} MiB`,
    '0',
    '',
    verdict(late - early < 5 * 1024, 'flat: < 5 MiB'),
  );
});

// 5. Several flows in one step, each taking the same number of reads: time should stay close to one
// flow's, requests grow linearly at the floor, memory stays flat.
const READS = 5;
const SCALE_INTERVAL = 100;
let oneFlowMs = 0;
for (const flows of [1, 10, 50]) {
  const ids = Array.from({ length: flows }, (_, i) => `${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`);
  const scenario: FlowScenario = { statuses: [...Array(READS - 1).fill('inProgress'), 'success'] };
  const times: number[] = [];
  const peaks: number[] = [];
  let requests = 0;
  for (let i = 0; i < Math.min(RUNS, 5); i++) {
    const emulator = await startEmulator({ flows: Object.fromEntries(ids.map((id) => [id, scenario])) });
    const started = Date.now();
    const result = await runAction(
      inputsEnv(emulator, { 'flow-id': ids.join('\n'), wait: 'true', 'poll-interval': `${SCALE_INTERVAL}ms` }),
      true,
    );
    times.push(result.exitAt - started);
    peaks.push(result.peakRssKiB / 1024);
    requests = emulator.requests.length;
    await emulator.close();
  }
  const wallMs = median(times);
  if (flows === 1) oneFlowMs = wallMs;
  const floor = 1 + flows + flows * READS;
  row(`${flows} flow(s) x ${READS} reads: wall time`, ms(wallMs), ms(oneFlowMs), `${(wallMs / oneFlowMs).toFixed(2)}x`);
  row(
    `${flows} flow(s) x ${READS} reads: requests`,
    String(requests),
    String(floor),
    `${(requests / floor).toFixed(2)}x`,
    verdict(requests === floor, 'at the floor'),
  );
  row(`${flows} flow(s) x ${READS} reads: peak RSS`, `${median(peaks).toFixed(1)} MiB`, '', '');
}

// 6. `window-start: last-success` over a history of 500 runs, pages of 100: one flow read, each page
// of the list once, one run request; its wall time beside the same step with a window given (no list).
async function lastSuccessOverLongHistory(): Promise<void> {
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
  const step = async (inputs: Record<string, string>) => {
    const emulator = await startEmulator({ flows: { [FLOW_ID]: {} }, existingRuns, pageSize });
    try {
      const env = { PATH: process.env.PATH ?? '', ...inputEnv(baseInputs(emulator, inputs)) };
      const started = Date.now();
      const child = spawn(process.execPath, [ACTION], { env, stdio: 'ignore' });
      const code = await new Promise((done) => child.on('exit', done));
      if (code !== 0) throw new Error(`the last-success step failed (exit ${String(code)})`);
      return { wallMs: Date.now() - started, requests: emulator.requests.length };
    } finally {
      await emulator.close();
    }
  };
  const windowEnd = String(end + 3600);
  const listing: Array<{ wallMs: number; requests: number }> = [];
  const fixed: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    listing.push(await step({ 'window-start': 'last-success', 'window-end': windowEnd }));
    fixed.push((await step({ 'window-start': String(end), 'window-end': windowEnd })).wallMs);
  }
  const requests = Math.max(...listing.map((r) => r.requests));
  const floor = 1 + 1 + Math.ceil(history / pageSize) + 1; // token, flow read, list pages, run request
  const wallMs = median(listing.map((r) => r.wallMs));
  const fixedMs = median(fixed);
  row(
    `last-success over ${history} runs (pages of ${pageSize})`,
    `${requests} req, ${wallMs.toFixed(0)} ms`,
    `${floor} req, ${fixedMs.toFixed(0)} ms`,
    `${(wallMs / fixedMs).toFixed(2)}x`,
    `${requests === floor ? 'within' : 'OVER'} budget (requests at the floor; time floor: a given window)`,
  );
}
await lastSuccessOverLongHistory();

rmSync(join(ROOT, 'bench/.tmp'), { recursive: true, force: true });
const table = [
  '| figure | value | floor | ratio | budget |',
  '| --- | --- | --- | --- | --- |',
  ...rows.map((r) => `| ${r.figure} | ${r.value} | ${r.floor} | ${r.ratio} | ${r.budget} |`),
].join('\n');
writeFileSync(
  join(ROOT, 'bench/results.md'),
  `# Benchmark results\n\nMade by \`npm run bench\` on Node ${process.version} (${process.platform} ${process.arch}, ${
    (await import('node:os')).cpus().length
  } cores), ${RUNS} runs per figure, medians unless said otherwise.\n\n${table}\n`,
);
console.log(`\nWrote bench/results.md (${tmpdir() ? 'done' : ''})`);
