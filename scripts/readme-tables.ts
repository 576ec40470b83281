// Writes README's inputs and outputs tables from action.yml (markers `inputs`, `outputs`) and from
// check/action.yml (markers `check-inputs`, `check-outputs`), between the marker comments.
// `node scripts/readme-tables.ts` rewrites them; `--check` fails when README is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';

const ROOT = resolve(import.meta.dirname, '..');

interface ActionYml {
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description: string }>;
}

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

export function renderTables(actionYml: string): { inputs: string; outputs: string } {
  const action = parse(actionYml) as ActionYml;
  const inputs = [
    '| input | required | default | description |',
    '| --- | --- | --- | --- |',
    ...Object.entries(action.inputs).map(
      ([name, i]) =>
        `| \`${name}\` | ${i.required ? 'yes' : 'no'} | ${i.default === undefined ? '' : `\`${cell(i.default)}\``} | ${cell(i.description)} |`,
    ),
  ].join('\n');
  const outputs = [
    '| output | description |',
    '| --- | --- |',
    ...Object.entries(action.outputs).map(([name, o]) => `| \`${name}\` | ${cell(o.description)} |`),
  ].join('\n');
  return { inputs, outputs };
}

/** Every table of README: the main action's, then the check action's (markers prefixed `check-`). */
export function renderAllTables(actionYml: string, checkActionYml: string): Record<string, string> {
  const check = renderTables(checkActionYml);
  return { ...renderTables(actionYml), 'check-inputs': check.inputs, 'check-outputs': check.outputs };
}

export function updateReadme(readme: string, tables: Record<string, string>): string {
  let out = readme;
  for (const [name, table] of Object.entries(tables)) {
    const re = new RegExp(`(<!-- ${name}:start -->\\n)[\\s\\S]*?(\\n<!-- ${name}:end -->)`);
    if (!re.test(out)) throw new Error(`README.md has no <!-- ${name}:start --> / <!-- ${name}:end --> markers`);
    out = out.replace(re, `$1${table}$2`);
  }
  return out;
}

if (import.meta.main) {
  const readmePath = resolve(ROOT, 'README.md');
  const readme = readFileSync(readmePath, 'utf8');
  const read = (path: string) => readFileSync(resolve(ROOT, path), 'utf8');
  const next = updateReadme(readme, renderAllTables(read('action.yml'), read('check/action.yml')));
  if (process.argv.includes('--check')) {
    if (next !== readme) {
      console.error(
        "README.md's inputs/outputs tables differ from action.yml or check/action.yml: run 'npm run docs'.",
      );
      process.exit(1);
    }
    console.log('README.md tables match action.yml and check/action.yml.');
  } else {
    writeFileSync(readmePath, next);
  }
}
