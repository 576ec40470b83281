// `npm run local-action`: bundles src/ and runs dist/index.js as the runner would, with the inputs in
// .env (see .env.example; ENV_FILE names another file), then prints the outputs as later steps would
// see them (`name=value`, a multi-line value indented under its name) and the job summary.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { formatOutput, readOutputs } from './outputs.ts';

const ROOT = resolve(import.meta.dirname, '..');
const envFile = resolve(ROOT, process.env.ENV_FILE ?? '.env');
if (!existsSync(envFile)) {
  console.error(`No ${envFile}: copy .env.example to .env and fill it in (or set ENV_FILE).`);
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'local-action-'));
const output = join(dir, 'output');
const summary = join(dir, 'summary');
writeFileSync(output, '');
writeFileSync(summary, '');
const result = spawnSync(process.execPath, [`--env-file=${envFile}`, join(ROOT, 'dist/index.js')], {
  env: { ...process.env, GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: summary, RUNNER_TEMP: dir },
  stdio: 'inherit',
});
const outputs = [...readOutputs(readFileSync(output, 'utf8'))].map(([name, value]) => formatOutput(name, value));
console.log(`\n--- outputs (exit code ${result.status}) ---\n${outputs.join('\n') || '(none)'}`);
console.log(`\n--- job summary ---\n${readFileSync(summary, 'utf8').trim() || '(none)'}`);
rmSync(dir, { recursive: true, force: true });
process.exit(result.status ?? 1);
