// action.yml is the interface users write workflows against: it must agree with the code and README.
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderAllTables, updateReadme } from '../../scripts/readme-tables.ts';
import { CHECK_INPUT_DEFAULTS, CHECK_INPUT_NAMES } from '../../src/check-settings.ts';
import { INPUT_DEFAULTS, INPUT_NAMES } from '../../src/settings.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const actionText = readFileSync(resolve(ROOT, 'action.yml'), 'utf8');
interface ActionYml {
  inputs: Record<string, { required?: boolean; default?: string; description?: string }>;
  outputs: Record<string, { description?: string }>;
  runs: { using: string; main: string };
  branding?: { icon?: string; color?: string };
}
const action = parse(actionText) as ActionYml;
const checkActionText = readFileSync(resolve(ROOT, 'check/action.yml'), 'utf8');
const checkAction = parse(checkActionText) as ActionYml;
// The main action's sources: the check's modules (check*.ts) set the outputs of check/action.yml.
const source = readdirSync(resolve(ROOT, 'src'))
  .filter((f) => f.endsWith('.ts') && !f.startsWith('check'))
  .map((f) => readFileSync(resolve(ROOT, 'src', f), 'utf8'))
  .join('\n');

describe('action.yml', () => {
  it('declares exactly the inputs the code reads', () => {
    expect(Object.keys(action.inputs).sort()).toEqual([...INPUT_NAMES].sort());
  });

  it('declares the same defaults the code applies', () => {
    const declared = Object.fromEntries(
      Object.entries(action.inputs)
        .filter(([, i]) => i.default !== undefined)
        .map(([name, i]) => [name, String(i.default)]),
    );
    expect(declared).toEqual(INPUT_DEFAULTS);
  });

  it('marks as required the inputs without which nothing can run', () => {
    const required = Object.entries(action.inputs)
      .filter(([, i]) => i.required)
      .map(([n]) => n);
    // flow-id and window-start are required unless run-id is given: the code says so (settings tests).
    expect(required.sort()).toEqual(['client-id', 'org-id']);
  });

  it('sets every output it declares, and declares every output it sets', () => {
    const set = new Set([...source.matchAll(/setOutput\('([\w-]+)'/g)].map((m) => m[1]));
    expect([...set].sort()).toEqual(Object.keys(action.outputs).sort());
  });

  it('describes every input and output, runs on node24 from dist/, and has branding', () => {
    for (const [name, i] of Object.entries({ ...action.inputs, ...action.outputs })) {
      expect(i.description, name).toBeTruthy();
    }
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
    expect(action.branding?.icon && action.branding?.color).toBeTruthy();
  });

  it("README's inputs and outputs tables are the ones action.yml makes (npm run docs)", () => {
    const readme = readFileSync(resolve(ROOT, 'README.md'), 'utf8');
    expect(updateReadme(readme, renderAllTables(actionText, checkActionText))).toBe(readme);
  });
});

/** The declared defaults of an action.yml, as strings. */
function defaultsDeclared(yml: ActionYml): Record<string, string> {
  return Object.fromEntries(
    Object.entries(yml.inputs)
      .filter(([, i]) => i.default !== undefined)
      .map(([name, i]) => [name, String(i.default)]),
  );
}

describe('check/action.yml', () => {
  // The check's sources: its entry, settings, story and stages (check*.ts).
  const checkSource = readdirSync(resolve(ROOT, 'src'))
    .filter((f) => f.endsWith('.ts') && f.startsWith('check'))
    .map((f) => readFileSync(resolve(ROOT, 'src', f), 'utf8'))
    .join('\n');

  it('declares exactly the inputs the check reads, in the same order', () => {
    expect(Object.keys(checkAction.inputs)).toEqual(CHECK_INPUT_NAMES);
  });

  it('declares the same defaults the check applies (the job token for github-token)', () => {
    expect(defaultsDeclared(checkAction)).toEqual(CHECK_INPUT_DEFAULTS);
    expect(checkAction.inputs['github-token']?.default).toBe('${{ github.token }}');
    expect(checkAction.inputs['poll-interval']?.default).toBe('1m');
  });

  it('marks as required the flows and the credentials that every check needs', () => {
    const required = Object.entries(checkAction.inputs)
      .filter(([, i]) => i.required)
      .map(([n]) => n);
    expect(required.sort()).toEqual(['client-id', 'flow-id', 'org-id']);
  });

  it("shares the main action's descriptions of the credentials it shares", () => {
    for (const name of ['client-id', 'client-secret', 'access-token', 'org-id', 'scopes', 'request-timeout']) {
      expect(checkAction.inputs[name]?.description, name).toBe(action.inputs[name]?.description);
      expect(checkAction.inputs[name]?.default, name).toBe(action.inputs[name]?.default);
    }
  });

  it('sets every output it declares, and declares every output it sets', () => {
    const set = new Set([...checkSource.matchAll(/setOutput\(\s*'([\w-]+)'/g)].map((m) => m[1]));
    expect([...set].sort()).toEqual(Object.keys(checkAction.outputs).sort());
  });

  it('describes every input and output, runs on node24 from the bundled check entry, and has branding', () => {
    for (const [name, i] of Object.entries({ ...checkAction.inputs, ...checkAction.outputs })) {
      expect(i.description, name).toBeTruthy();
    }
    // Relative to check/: the runner resolves `main` from the action's own directory.
    expect(checkAction.runs).toEqual({ using: 'node24', main: '../dist/check/index.js' });
    expect(resolve(ROOT, 'check', checkAction.runs.main)).toBe(resolve(ROOT, 'dist/check/index.js'));
    expect(checkAction.branding?.icon && checkAction.branding?.color).toBeTruthy();
  });
});

describe("README's workflow snippets", () => {
  const readme = readFileSync(resolve(ROOT, 'README.md'), 'utf8');
  const snippets = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

  /** Every `with:` block of a step that uses one of this repository's actions, with the action it uses. */
  function withBlocks(node: unknown): Array<{ check: boolean; with: Record<string, unknown> }> {
    if (Array.isArray(node)) return node.flatMap(withBlocks);
    if (!node || typeof node !== 'object') return [];
    const step = node as Record<string, unknown>;
    const uses = typeof step.uses === 'string' ? step.uses : '';
    const check = /aep-flow-run-action\/check@|^\.\/check\/?$/.test(uses);
    const own =
      (check || /aep-flow-run-action@|^\.\/?$/.test(uses)) && step.with
        ? [{ check, with: step.with as Record<string, unknown> }]
        : [];
    return [...own, ...Object.values(step).flatMap(withBlocks)];
  }

  const blocks = snippets.flatMap((text) => withBlocks(parse(text)));

  it('give the main action only inputs it declares', () => {
    const main = blocks.filter((b) => !b.check);
    expect(main.length).toBeGreaterThanOrEqual(4);
    const unknown = main.flatMap((b) => Object.keys(b.with)).filter((name) => !(name in action.inputs));
    expect(unknown).toEqual([]);
  });

  it('give the check action only inputs check/action.yml declares', () => {
    const check = blocks.filter((b) => b.check);
    expect(check.length).toBeGreaterThanOrEqual(3);
    const unknown = check.flatMap((b) => Object.keys(b.with)).filter((name) => !(name in checkAction.inputs));
    expect(unknown).toEqual([]);
  });
});
