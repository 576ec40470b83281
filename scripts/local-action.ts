// `npm run local-action`: bundles src/ and runs dist/index.js as the runner would, with the inputs in
// .env (see .env.example; ENV_FILE names another file), then prints the outputs as later steps would
// see them (`name=value`, a multi-line value indented under its name) and the job summary.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

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

/**
 * The outputs in a GITHUB_OUTPUT file as the runner reads them: `name=value` lines and
 * `name<<DELIMITER` ... `DELIMITER` blocks; a name set twice keeps its first place and its last value.
 */
function readOutputs(text: string): Map<string, string> {
  const outputs = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const equals = line.indexOf('=');
    const heredoc = line.indexOf('<<');
    if (heredoc > 0 && (equals === -1 || heredoc < equals)) {
      const end = lines.indexOf(line.slice(heredoc + 2), i + 1);
      if (end === -1) throw new Error(`GITHUB_OUTPUT: no closing delimiter for '${line.slice(0, heredoc)}'`);
      outputs.set(line.slice(0, heredoc), lines.slice(i + 1, end).join('\n'));
      i = end;
    } else if (equals > 0) {
      outputs.set(line.slice(0, equals), line.slice(equals + 1));
    }
  }
  return outputs;
}

/** `name=value`; a multi-line value goes on the lines below its name, indented. */
function formatOutput(name: string, value: string): string {
  if (!value.includes('\n')) return `${name}=${value}`;
  return `${name}=\n${value
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n')}`;
}
