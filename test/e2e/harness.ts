// Runs the bundled action the way the runner does: `node dist/index.js` with INPUT_* variables and
// GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files, in a clean environment, and reads back what it wrote.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Emulator } from '../emulator/emulator.ts';

export const ACTION = resolve(import.meta.dirname, '../../dist/index.js');
export const FLOW_ID = '3abea21c-7e36-4be1-bec1-d3bad0e3e0de';

export interface ActionResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  /** `::error::` annotations, decoded. */
  errors: string[];
  warnings: string[];
  /** Values the action asked the runner to mask. */
  masked: string[];
  ms: number;
}

export interface RunOptions {
  env?: Record<string, string>;
  /** The bundled entry to run (default `ACTION`, dist/index.js). */
  entry?: string;
  /** Called once the process has started (to send it a signal, say). */
  onStart?: (child: import('node:child_process').ChildProcess) => void;
  timeoutMs?: number;
}

/** The inputs of a valid run against the emulator, to override one by one. */
export function baseInputs(emulator: Emulator, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'flow-id': FLOW_ID,
    'client-id': emulator.clientId,
    'client-secret': emulator.clientSecret,
    'org-id': emulator.orgId,
    'window-start': '24h',
    'platform-url': emulator.url,
    'ims-url': emulator.url,
    ...extra,
  };
}

/** The runner passes each input as INPUT_<NAME>: upper case, spaces as underscores, hyphens kept. */
export function inputEnv(inputs: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(inputs).map(([name, value]) => [`INPUT_${name.replace(/ /g, '_').toUpperCase()}`, value]),
  );
}

export async function runAction(inputs: Record<string, string>, options: RunOptions = {}): Promise<ActionResult> {
  const dir = mkdtempSync(join(tmpdir(), 'aep-action-'));
  const outputFile = join(dir, 'output');
  const summaryFile = join(dir, 'summary');
  writeFileSync(outputFile, '');
  writeFileSync(summaryFile, '');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    RUNNER_TEMP: dir,
    ...options.env,
  };
  Object.assign(env, inputEnv(inputs));

  const started = Date.now();
  const child = spawn(process.execPath, [options.entry ?? ACTION], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  options.onStart?.(child);
  const killer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((done) =>
    child.on('close', (c, s) => done([c, s])),
  );
  clearTimeout(killer);
  const ms = Date.now() - started;
  const result: ActionResult = {
    code,
    signal,
    stdout,
    stderr,
    outputs: parseOutputs(readFileSync(outputFile, 'utf8')),
    summary: readFileSync(summaryFile, 'utf8'),
    errors: commands(stdout, 'error'),
    warnings: commands(stdout, 'warning'),
    masked: commands(stdout, 'add-mask'),
    ms,
  };
  rmSync(dir, { recursive: true, force: true });
  return result;
}

/** GITHUB_OUTPUT holds `name<<DELIMITER\nvalue\nDELIMITER` blocks. */
export function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const re = /^(.+?)<<(.+)\n([\s\S]*?)\n\2$/gm;
  for (const m of text.matchAll(re)) outputs[m[1]!] = m[3]!;
  return outputs;
}

function commands(stdout: string, name: string): string[] {
  const decode = (s: string) => s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
  return stdout
    .split('\n')
    .filter((line) => line.startsWith(`::${name}`))
    .map((line) => decode(line.slice(line.indexOf('::', 2) + 2)));
}

/**
 * Every place a secret could leak to: stdout (but the add-mask commands, which the runner consumes),
 * stderr, outputs and the summary. Returns the secrets found, which must be none.
 */
export function leakedSecrets(result: ActionResult, secrets: string[]): string[] {
  const stdout = result.stdout
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n');
  const places = [stdout, result.stderr, JSON.stringify(result.outputs), result.summary];
  return secrets.filter((s) => places.some((p) => p.includes(s)));
}

/** Log lines the runner would read as workflow commands. */
export function workflowCommands(stdout: string): string[] {
  return stdout.split('\n').filter((line) => /^\s*(::|##\[)/.test(line));
}

/**
 * The action's own workflow commands (runner.ts writes no others); any other line the runner would read
 * as a command is a leak of control. The one allow-list of every end-to-end check.
 */
export const OWN_COMMANDS = /^::(add-mask|error|warning|notice|debug|group|endgroup)::/;

/**
 * What every end-to-end run must be: no secret anywhere (the emulator's client secret, every token it
 * knows, and any extra), no log line the runner would read as a command that the action did not mean,
 * no `##[` marker anywhere in a line, and no stack trace. (Another mock can stand in for the emulator:
 * only its secrets are read.)
 */
export function cleanliness(
  result: ActionResult,
  emulator: Pick<Emulator, 'clientSecret' | 'tokensMintedList'>,
  ...extraSecrets: string[]
) {
  const secrets = [...new Set([emulator.clientSecret, ...emulator.tokensMintedList, ...extraSecrets])];
  const stray = workflowCommands(result.stdout).filter((l) => !OWN_COMMANDS.test(l));
  const markers = result.stdout.split('\n').filter((l) => l.includes('##['));
  const stack = /\n\s+at .+:\d+:\d+/.test(result.stdout + result.stderr);
  return { leaked: leakedSecrets(result, secrets), stray, markers, stack };
}
