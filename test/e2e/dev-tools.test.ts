// The developer tools in the README: `npm run demo` shows the action at work in one command, and the
// loop of `npm run emulator` in one terminal, `npm run local-action` with .env.example's inputs in
// another, must work as written, and print the outputs as later steps see them.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Emulator } from '../emulator/emulator.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const DEMO_FLOW = '3abea21c-7e36-4be1-bec1-d3bad0e3e0de';
const UNKNOWN_FLOW = '9d1f4b52-0c7e-4b36-9f0e-2d6f4a3b8c11';
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

describe('npm run local-action against npm run emulator', () => {
  let emulator: ChildProcessWithoutNullStreams;
  let url: string;

  beforeAll(async () => {
    emulator = spawn(process.execPath, [join(ROOT, 'test/emulator/cli.ts')], {
      env: { ...process.env, EMULATOR_PORT: '0' },
    });
    emulator.stderr.pipe(process.stderr);
    url = await new Promise<string>((found, fail) => {
      let out = '';
      emulator.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) found(m[1]!);
      });
      emulator.on('exit', () => fail(new Error(`the emulator exited: ${out}`)));
    });
  });

  afterAll(() => {
    emulator.kill('SIGTERM');
  });

  /** Runs scripts/local-action.ts with .env.example as a developer copies it, pointed at this emulator. */
  function localAction(edit: (env: string) => string = (env) => env) {
    const env = edit(
      readFileSync(join(ROOT, '.env.example'), 'utf8')
        .replaceAll('http://127.0.0.1:8787', url)
        .replace('INPUT_WAIT=true', 'INPUT_WAIT=false'), // waiting less
    );
    const envFile = join(mkdtempSync(join(tmpdir(), 'dev-tools-')), '.env');
    writeFileSync(envFile, env);
    return spawnSync(process.execPath, [join(ROOT, 'scripts/local-action.ts')], {
      env: { PATH: process.env.PATH ?? '', ENV_FILE: envFile },
      encoding: 'utf8',
    });
  }

  /** The lines between the outputs heading and the job summary heading. */
  function outputsOf(stdout: string, code: number): string[] {
    const start = stdout.indexOf(`--- outputs (exit code ${code}) ---\n`);
    const end = stdout.indexOf('\n--- job summary ---');
    expect(start, stdout).toBeGreaterThan(-1);
    return stdout
      .slice(stdout.indexOf('\n', start) + 1, end)
      .trimEnd()
      .split('\n');
  }

  it('runs the action from .env.example and prints each output as name=value', () => {
    const run = localAction();
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('Flow run scheduled');
    expect(run.stdout).not.toContain('<<ghadelimiter');
    const lines = outputsOf(run.stdout, 0);
    expect(lines.map((l) => l.split('=')[0])).toEqual([
      'run-id',
      'etag',
      'run-url',
      'status',
      'window-start',
      'window-end',
      'runs',
    ]);
    const runId = new RegExp(`^run-id=(${UUID})$`).exec(lines[0]!)?.[1];
    expect(runId, lines[0]).toBeDefined();
    expect(lines).toContain('status=scheduled');
    const runsLine = lines.find((l) => l.startsWith('runs='))!;
    const runs = JSON.parse(runsLine.slice('runs='.length)) as Array<{ flowId: string; runId: string }>;
    expect(runs).toMatchObject([{ flowId: DEMO_FLOW, runId }]);
  });

  it('indents a multi-line output under its name', () => {
    // Two flows, the first unknown to the emulator: run-id holds an empty line, then the demo run's ID.
    const run = localAction((env) =>
      env.replace(`INPUT_FLOW-ID=${DEMO_FLOW}`, `INPUT_FLOW-ID=${UNKNOWN_FLOW},${DEMO_FLOW}`),
    );
    expect(run.status, run.stdout + run.stderr).toBe(1);
    const lines = outputsOf(run.stdout, 1);
    expect(lines.slice(0, 3)).toEqual(['run-id=', '  ', expect.stringMatching(new RegExp(`^  ${UUID}$`))]);
    expect(lines).toContain('status=failed');
    expect(lines.filter((l) => !l.startsWith('  ')).map((l) => l.split('=')[0])).toEqual([
      'run-id',
      'etag',
      'run-url',
      'status',
      'runs',
      'window-start',
      'window-end',
    ]);
  });
});

describe('npm run demo', () => {
  it('bundles, then runs the examples against the emulator, printing outputs and summaries, leaking nothing', () => {
    // The bundle step is checked as written; the test runs the rest, on the bundle `npm test` made
    // (bundling again here would rewrite dist/ under the other end-to-end tests).
    const scripts = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts;
    expect(scripts.demo).toBe('npm run -s bundle && node scripts/demo.ts');
    const demo = spawnSync(process.execPath, [join(ROOT, 'scripts/demo.ts')], {
      env: { PATH: process.env.PATH ?? '' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(demo.status, demo.stdout + demo.stderr).toBe(0);
    expect(demo.stderr).toBe('');
    const out = demo.stdout;
    // The success example, then the failure example, each with its outputs and its summary.
    expect(out).toMatch(new RegExp(`--- outputs \\(exit code 0\\) ---\\nrun-id=${UUID}\\n`));
    expect(out).toContain('\nstatus=success\n');
    expect(out).toMatch(/--- job summary ---\n### ✅ Flow run succeeded\n/);
    expect(out).toMatch(new RegExp(`--- outputs \\(exit code 1\\) ---\\nrun-id=${UUID}\\n`));
    expect(out).toContain('\nstatus=failed\n');
    expect(out).toMatch(/--- job summary ---\n### ❌ Flow run failed\n/);
    expect(out).toContain('MAPPER-3700-400');
    // The check action's example: one flow fresh, the other stale and failing.
    expect(out).toContain('node dist/check/index.js');
    expect(out).toMatch(/--- outputs \(exit code 1\) ---\nhealthy=false\n/);
    expect(out).toMatch(/--- job summary ---\n### ❌ 1 of 2 dataflows unhealthy\n/);
    expect(out).toMatch(/3 examples, each ended as it should and leaked nothing\.\n$/);
    // Nothing secret (the emulator's client secret, any token), no command for a runner reading this
    // output (the action's log is set off by a bar), no `##[`, no stack trace.
    expect(out).not.toContain(new Emulator().clientSecret);
    expect(out).not.toMatch(/eyJ-/);
    expect(out.split('\n').filter((l) => /^\s*::/.test(l) || l.includes('##['))).toEqual([]);
    expect(out).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });
});
