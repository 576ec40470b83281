// The check action's inputs: its defaults, its own readings (fail-on, max-age, issues), and bad input
// failing with one error that names each bad input.
import { describe, expect, it } from 'vitest';
import { readCheckSettings, type CheckInputName } from '../../src/check-settings.ts';
import { InputError } from '../../src/inputs.ts';

const A = '3abea21c-7e36-4be1-bec1-d3bad0e3e0de';
const B = '9c1f0e55-1b7e-4a0e-9d57-6c6a0f0e2b11';
const GH = { GITHUB_REPOSITORY: 'acme/data', GITHUB_API_URL: 'https://ghe.example/api/v3' };

function read(inputs: Partial<Record<CheckInputName, string>>, env: Record<string, string> = GH) {
  const masked: string[] = [];
  const all: Partial<Record<CheckInputName, string>> = {
    'flow-id': A,
    'client-id': 'abc123',
    'client-secret': 's3cret',
    'org-id': '0123456789ABCDEF01234567@AdobeOrg',
    ...inputs,
  };
  const settings = readCheckSettings({ getInput: (n) => all[n] ?? '', setSecret: (v) => masked.push(v) }, env);
  return { settings, masked };
}

function problems(inputs: Partial<Record<CheckInputName, string>>, env?: Record<string, string>): string[] {
  try {
    read(inputs, env);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as InputError).problems;
  }
  throw new Error('expected an InputError');
}

describe('readCheckSettings', () => {
  it("applies the check's defaults: 7d lookback, stale and failed fail, a 1m poll, no issues", () => {
    const { settings } = read({});
    expect(settings).toMatchObject({
      flowIds: [A],
      maxAgeMs: undefined,
      lookbackMs: 7 * 86_400_000,
      wait: false,
      timeoutMs: 3_600_000,
      pollIntervalMs: 60_000,
      maxConcurrency: 5,
      link: { tenant: '0123456789ABCDEF01234567@AdobeOrg', sandboxName: 'prod' },
    });
    expect([...settings.failOn].sort()).toEqual(['failed', 'stale']);
    expect(settings.issues).toBeUndefined();
    expect(settings.connection.platformUrl).toBe('https://platform.adobe.io');
  });

  it('reads several flows, max-age, fail-on none, and issues with the token masked', () => {
    const { settings, masked } = read({
      'flow-id': `${A}\n${B}`,
      'max-age': '26h',
      'fail-on': 'none',
      issues: 'true',
      'github-token': 'ghs_token123',
      'issue-labels': 'aep-dataflow, data-team',
    });
    expect(settings.flowIds).toEqual([A, B]);
    expect(settings.maxAgeMs).toBe(26 * 3_600_000);
    expect(settings.failOn.size).toBe(0);
    expect(settings.issues).toEqual({
      token: 'ghs_token123',
      repository: 'acme/data',
      apiUrl: 'https://ghe.example/api/v3',
      labels: ['aep-dataflow', 'data-team'],
    });
    expect(masked).toContain('ghs_token123');
  });

  it('takes the unexpanded job-token expression for no token at all', () => {
    expect(problems({ issues: 'true', 'github-token': '${{ github.token }}' })).toEqual([
      expect.stringMatching(/^Input 'github-token' is required with 'issues: true'/),
    ]);
  });

  it('names wait without max-age in one error that names both', () => {
    const [only, ...rest] = problems({ wait: 'true' });
    expect(rest).toEqual([]);
    expect(only).toMatch(/^Input 'wait' needs 'max-age'/);
  });

  it('names each bad input once, in one error', () => {
    const found = problems({
      'flow-id': 'not-a-uuid',
      'max-age': 'soon',
      lookback: '400d',
      'fail-on': 'stale,late',
      'client-secret': '',
      'platform-url': 'http://platform.example',
    });
    // Each input on its own first, in check/action.yml's order; then what reads several inputs.
    expect(found.map((p) => /^Input '([\w-]+)'/.exec(p)?.[1])).toEqual([
      'flow-id',
      'max-age',
      'lookback',
      'fail-on',
      'platform-url',
      'client-secret',
    ]);
    expect(found.join('\n')).toContain("'not-a-uuid'");
    expect(found.join('\n')).toContain('must be 90d or less');
  });

  it('needs GITHUB_REPOSITORY for issues, before any request', () => {
    expect(problems({ issues: 'true', 'github-token': 't' }, {})).toEqual([
      expect.stringMatching(/^Input 'issues' needs GITHUB_REPOSITORY/),
    ]);
  });

  it('requires flow-id', () => {
    expect(problems({ 'flow-id': '' })).toEqual([expect.stringMatching(/^Input 'flow-id' is required/)]);
  });
});
