// scripts/check-node.cjs, the first command of `npm test`: under a Node too old for the tests it must
// stop with one line saying what to do; under a good one it must say nothing and let the tests run.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { Linter } from 'eslint';
import { describe, expect, it } from 'vitest';

const SCRIPT = resolve(import.meta.dirname, '../../scripts/check-node.cjs');
const load = createRequire(import.meta.url);
const { MINIMUM, nodeProblem } = load(SCRIPT) as {
  MINIMUM: [number, number, number];
  nodeProblem(version: string, execPath: string, script?: string): string | null;
};
const minimum = MINIMUM.join('.');

describe('nodeProblem', () => {
  it.each(['24.21.0', 'v24.0.0', '26.1.0', minimum, `${MINIMUM[0]}.${MINIMUM[1] + 1}.0`])('lets Node %s run', (v) => {
    expect(nodeProblem(v, '/opt/node', 'test')).toBeNull();
  });

  it.each(['20.20.2', 'v18.19.0', '0.10.48', `${MINIMUM[0]}.${MINIMUM[1] - 1}.9`, '21.99.0'])(
    'stops Node %s with one line that names it and says what to do',
    (v) => {
      const line = nodeProblem(v, '/usr/bin/node', 'test')!;
      expect(line).not.toContain('\n');
      expect(line).toContain(`Node ${v.replace(/^v/, '')} (/usr/bin/node)`);
      expect(line).toContain(`needs Node ${MINIMUM[0]}.${MINIMUM[1]} or later`);
      expect(line).toContain('Run `npm ci` without --ignore-scripts');
    },
  );

  it('names the npm script it guards', () => {
    expect(nodeProblem('20.0.0', 'node', 'test')).toMatch(/^`npm test` needs/);
    expect(nodeProblem('20.0.0', 'node', 'bench')).toMatch(/^`npm run bench` needs/);
    expect(nodeProblem('20.0.0', 'node')).toMatch(/^This project needs/);
  });

  it('lets a version it cannot read through rather than block', () => {
    expect(nodeProblem('unknown', 'node', 'test')).toBeNull();
  });

  it.each(['vitest', 'vite', 'undici', 'eslint'])('asks for at least the Node %s declares', (pkg) => {
    const engines = (load(`${pkg}/package.json`) as { engines: { node: string } }).engines.node;
    const floor = lowestMinor(engines, MINIMUM[0]);
    expect(floor, `${pkg} (${engines}) no longer runs on Node ${MINIMUM[0]}`).toBeDefined();
    expect(MINIMUM[1], `${pkg} (${engines})`).toBeGreaterThanOrEqual(floor!);
  });
});

describe('scripts/check-node.cjs', () => {
  it('is plain ES5 CommonJS, so that a very old Node parses it', () => {
    const messages = new Linter().verify(readFileSync(SCRIPT, 'utf8'), {
      languageOptions: { ecmaVersion: 5, sourceType: 'commonjs' },
    });
    expect(messages.filter((m) => m.fatal)).toEqual([]);
  });

  it('says nothing and exits 0 under this Node', () => {
    const run = spawnSync(process.execPath, [SCRIPT], { encoding: 'utf8', env: { npm_lifecycle_event: 'test' } });
    expect(run.status).toBe(0);
    expect(run.stdout + run.stderr).toBe('');
  });

  it('stops an older system Node with one line and a non-zero exit', (ctx) => {
    const old = '/usr/bin/node';
    if (!existsSync(old)) return ctx.skip(`${old} does not exist`);
    const version = execFileSync(old, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
    if (nodeProblem(version, old) === null) return ctx.skip(`${old} is Node ${version}, not older than ${minimum}`);
    const run = spawnSync(old, [SCRIPT], { encoding: 'utf8', env: { npm_lifecycle_event: 'test' } });
    expect(run.status).not.toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`${nodeProblem(version, old, 'test')}\n`);
    expect(run.stderr).toContain(`Node ${version} (${old})`);
  });
});

/** The lowest minor version of Node `major` that an engines range such as `^20.19.0 || >=22.12.0` allows. */
function lowestMinor(range: string, major: number): number | undefined {
  const floors = range.split('||').flatMap((part) => {
    const m = /^\s*(\^|>=)\s*v?(\d+)\.(\d+)/.exec(part);
    if (!m) return [];
    const [low, minor] = [Number(m[2]), Number(m[3])];
    if (low === major) return [minor];
    return m[1] === '>=' && low < major ? [0] : [];
  });
  return floors.length > 0 ? Math.min(...floors) : undefined;
}
