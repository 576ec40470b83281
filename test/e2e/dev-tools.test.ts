// The developer loop in the README: `npm run emulator` in one terminal, `npm run local-action` with
// .env.example's inputs in another, must work as written.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

it('runs the action from .env.example against the emulator CLI', async () => {
  const emulator = spawn(process.execPath, [join(ROOT, 'test/emulator/cli.ts')], {
    env: { ...process.env, EMULATOR_PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const url = await new Promise<string>((found, fail) => {
      let out = '';
      emulator.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) found(m[1]!);
      });
      emulator.on('exit', () => fail(new Error(`the emulator exited: ${out}`)));
    });
    // .env.example as a developer copies it, pointed at this emulator's port, waiting less.
    const env = readFileSync(join(ROOT, '.env.example'), 'utf8')
      .replaceAll('http://127.0.0.1:8787', url)
      .replace('INPUT_WAIT=true', 'INPUT_WAIT=false');
    const envFile = join(mkdtempSync(join(tmpdir(), 'dev-tools-')), '.env');
    writeFileSync(envFile, env);
    const run = spawnSync(process.execPath, [join(ROOT, 'scripts/local-action.ts')], {
      env: { PATH: process.env.PATH ?? '', ENV_FILE: envFile },
      encoding: 'utf8',
    });
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/--- outputs \(exit code 0\) ---\nrun-id<<ghadelimiter_/);
    expect(run.stdout).toContain('Flow run scheduled');
  } finally {
    emulator.kill('SIGTERM');
  }
});
