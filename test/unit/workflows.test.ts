// The workflow files must be valid: they parse, have the keys GitHub requires, and the ones that use
// this action pass only inputs it declares, with every required one set. CI's must run .ci/run's steps.
// Dependabot must watch both the npm dependencies and the actions the workflows use.
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = resolve(import.meta.dirname, '../..');
const DIR = resolve(ROOT, '.github/workflows');
type ActionYml = { inputs: Record<string, { required?: boolean }> };
const action = parse(readFileSync(resolve(ROOT, 'action.yml'), 'utf8')) as ActionYml;
const checkAction = parse(readFileSync(resolve(ROOT, 'check/action.yml'), 'utf8')) as ActionYml;
/** The actions of this repository a workflow step can use locally, by their `uses:`. */
const OWN_ACTIONS: Record<string, ActionYml> = { './': action, './check': checkAction };
const TRIGGERS = new Set(['push', 'pull_request', 'workflow_dispatch', 'schedule', 'workflow_call', 'release']);

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  [key: string]: unknown;
}
interface Workflow {
  name?: string;
  on: Record<string, unknown>;
  jobs: Record<string, { 'runs-on': string; steps: Step[]; [key: string]: unknown }>;
}

const files = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f));
const workflows = files.map((f) => [f, parse(readFileSync(resolve(DIR, f), 'utf8')) as Workflow] as const);

describe('.github/workflows', () => {
  it('has CI and an example for each use', () => {
    expect(files.sort()).toEqual(['check-freshness.yml', 'ci.yml', 'example-after-upload.yml', 'example-dispatch.yml']);
  });

  it.each(workflows)('%s has the keys GitHub requires', (_file, wf) => {
    expect(wf.name).toBeTruthy();
    expect(Object.keys(wf.on).every((t) => TRIGGERS.has(t))).toBe(true);
    expect(Object.keys(wf.jobs).length).toBeGreaterThan(0);
    for (const job of Object.values(wf.jobs)) {
      expect(job['runs-on']).toBeTruthy();
      expect(job.steps.length).toBeGreaterThan(0);
      for (const step of job.steps) expect(Number('uses' in step) + Number('run' in step)).toBe(1);
    }
  });

  it.each(workflows)('%s passes these actions only declared inputs, and every required one', (_file, wf) => {
    for (const step of Object.values(wf.jobs).flatMap((j) => j.steps)) {
      const own = step.uses === undefined ? undefined : OWN_ACTIONS[step.uses];
      if (!own) continue;
      const given = Object.keys(step.with ?? {});
      expect(given.filter((name) => !(name in own.inputs))).toEqual([]);
      const required = Object.entries(own.inputs)
        .filter(([, i]) => i.required)
        .map(([n]) => n);
      expect(required.filter((name) => !given.includes(name))).toEqual([]);
    }
  });

  it('the scheduled check runs only where its flows are configured', () => {
    const wf = workflows.find(([f]) => f === 'check-freshness.yml')![1];
    expect(Object.keys(wf.on)).toContain('schedule');
    const steps = Object.values(wf.jobs).flatMap((j) => j.steps);
    expect(steps.some((s) => s.uses === './check')).toBe(true);
    for (const job of Object.values(wf.jobs)) expect(String(job.if)).toContain('vars.AEP_CHECK_FLOW_IDS');
  });

  it('examples run only by hand in this repository', () => {
    for (const [file, wf] of workflows.filter(([f]) => f.startsWith('example-'))) {
      expect(Object.keys(wf.on), file).toEqual(['workflow_dispatch']);
    }
  });

  it('CI runs every npm command of .ci/run, and check-dist uploads the expected dist/', () => {
    const ciRun = readFileSync(resolve(ROOT, '.ci/run'), 'utf8');
    const commands = [...ciRun.matchAll(/^(npm (?:ci|test|run [\w:-]+))/gm)].map((m) => m[1]!.trim());
    const ci = workflows.find(([f]) => f === 'ci.yml')![1];
    const runs = ci.jobs.test!.steps.map((s) => s.run).filter(Boolean);
    for (const command of commands)
      expect(
        runs.some((r) => r!.startsWith(command)),
        command,
      ).toBe(true);
    const upload = ci.jobs['check-dist']!.steps.find((s) => s.uses?.startsWith('actions/upload-artifact'));
    expect(upload?.with?.path).toBe('dist/');
  });
});

describe('.github/dependabot.yml', () => {
  interface Update {
    'package-ecosystem': string;
    directory: string;
    schedule: { interval: string };
    groups?: Record<string, { 'update-types'?: string[] }>;
    ignore?: Array<{ 'dependency-name': string; 'update-types'?: string[] }>;
  }
  const config = parse(readFileSync(resolve(ROOT, '.github/dependabot.yml'), 'utf8')) as {
    version: number;
    updates: Update[];
  };
  const update = (ecosystem: string) => config.updates.find((u) => u['package-ecosystem'] === ecosystem);

  it('updates npm and github-actions weekly, minor and patch grouped', () => {
    expect(config.version).toBe(2);
    for (const ecosystem of ['npm', 'github-actions']) {
      const u = update(ecosystem);
      expect(u, ecosystem).toBeDefined();
      expect(u!.directory).toBe('/');
      expect(u!.schedule.interval).toBe('weekly');
      const grouped = Object.values(u!.groups ?? {}).map((g) => [...(g['update-types'] ?? [])].sort());
      expect(grouped, ecosystem).toContainEqual(['minor', 'patch']);
    }
  });

  it("keeps the `node` devDependency on the action's runtime major", () => {
    const runtime = (parse(readFileSync(resolve(ROOT, 'action.yml'), 'utf8')) as { runs: { using: string } }).runs
      .using;
    const pkg = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>;
    };
    expect(runtime).toBe(`node${pkg.devDependencies.node!.split('.')[0]}`);
    const ignored = update('npm')!.ignore?.find((i) => i['dependency-name'] === 'node');
    expect(ignored?.['update-types']).toEqual(['version-update:semver-major']);
  });
});
