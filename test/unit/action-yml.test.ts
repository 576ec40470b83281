// action.yml is the interface users write workflows against: it must agree with the code and README.
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderTables, updateReadme } from '../../scripts/readme-tables.ts';
import { INPUT_DEFAULTS, INPUT_NAMES } from '../../src/settings.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const actionText = readFileSync(resolve(ROOT, 'action.yml'), 'utf8');
const action = parse(actionText) as {
  inputs: Record<string, { required?: boolean; default?: string; description?: string }>;
  outputs: Record<string, { description?: string }>;
  runs: { using: string; main: string };
  branding?: { icon?: string; color?: string };
};
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
    expect(updateReadme(readme, renderTables(actionText))).toBe(readme);
  });
});

describe("README's workflow snippets", () => {
  const readme = readFileSync(resolve(ROOT, 'README.md'), 'utf8');
  const snippets = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

  /** Every `with:` block of a step that uses this action, wherever it sits in the snippet. */
  function withBlocks(node: unknown): Array<Record<string, unknown>> {
    if (Array.isArray(node)) return node.flatMap(withBlocks);
    if (!node || typeof node !== 'object') return [];
    const step = node as Record<string, unknown>;
    const own =
      typeof step.uses === 'string' && /aep-flow-run-action|^\.\/?$/.test(step.uses) && step.with
        ? [step.with as Record<string, unknown>]
        : [];
    return [...own, ...Object.values(step).flatMap(withBlocks)];
  }

  it('give this action only inputs it declares', () => {
    const blocks = snippets.flatMap((text) => withBlocks(parse(text)));
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    const unknown = blocks.flatMap((b) => Object.keys(b)).filter((name) => !(name in action.inputs));
    expect(unknown).toEqual([]);
  });
});
