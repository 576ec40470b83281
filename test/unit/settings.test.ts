import { describe, expect, it } from 'vitest';
import { INPUT_DEFAULTS, InputError, readSettings, type CreateSettings, type InputName } from '../../src/settings.ts';

const NOW = Date.UTC(2023, 10, 14, 22, 13, 20); // 1700000000

function read(inputs: Partial<Record<InputName, string>>) {
  const masked: string[] = [];
  const base: Partial<Record<InputName, string>> = {
    'flow-id': '3abea21c-7e36-4be1-bec1-d3bad0e3e0de',
    'client-id': 'abc123',
    'client-secret': 's3cret',
    'org-id': '0123456789ABCDEF01234567@AdobeOrg',
    'window-start': '24h',
  };
  const all = { ...base, ...inputs };
  // Create mode, as the base inputs ask for.
  const settings = readSettings(
    { getInput: (n) => all[n] ?? '', setSecret: (v) => masked.push(v) },
    NOW,
  ) as CreateSettings;
  return { settings, masked };
}

function problem(inputs: Partial<Record<InputName, string>>): string {
  try {
    read(inputs);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as Error).message;
  }
  throw new Error('expected an InputError');
}

describe('readSettings', () => {
  it('applies the documented defaults', () => {
    const { settings } = read({});
    expect(settings).toMatchObject({
      sandboxName: 'prod',
      sourceType: 'file',
      deltaColumn: undefined,
      startTime: 1700000000,
      windowEnd: 1700000000,
      windowStart: 1700000000 - 86400,
      wait: false,
      timeoutMs: 3_600_000,
      pollIntervalMs: 30_000,
      requestTimeoutMs: 30_000,
      failOnPartial: false,
      dryRun: false,
      platformUrl: 'https://platform.adobe.io',
      imsUrl: 'https://ims-na1.adobelogin.com',
      credentials: { kind: 'client-secret', clientSecret: 's3cret', scopes: INPUT_DEFAULTS.scopes },
    });
  });

  it('masks the secret inputs as it reads them', () => {
    expect(read({}).masked).toEqual(['s3cret']);
    expect(read({ 'client-secret': '', 'access-token': 'tok.en' }).masked).toEqual(['tok.en']);
  });

  it('picks table for auto when a delta column is set', () => {
    expect(read({ 'delta-column': 'DOB' }).settings).toMatchObject({ sourceType: 'table', deltaColumn: 'DOB' });
    expect(read({ 'source-type': 'TABLE' }).settings.sourceType).toBe('table');
  });

  it('takes a window start as a duration before the window end', () => {
    const { settings } = read({ 'window-end': '2023-11-14T00:00:00Z', 'window-start': '1h30m' });
    expect(settings.windowEnd).toBe(1699920000);
    expect(settings.windowStart).toBe(1699920000 - 5400);
  });

  it('accepts booleans in any case', () => {
    expect(read({ wait: 'True', 'dry-run': 'FALSE', 'fail-on-partial': 'tRuE' }).settings).toMatchObject({
      wait: true,
      dryRun: false,
      failOnPartial: true,
    });
  });

  it("reads 'failed-records' as none, codes (the default) or files, in any case", () => {
    expect(read({}).settings.failedRecords).toBe('codes');
    expect(read({ 'failed-records': 'FILES' }).settings.failedRecords).toBe('files');
    expect(read({ 'failed-records': 'none' }).settings.failedRecords).toBe('none');
    expect(() => read({ 'failed-records': 'all' })).toThrow(
      "Input 'failed-records' must be none, codes or files; got 'all'",
    );
  });

  it('normalises scopes and strips a pasted "Bearer " prefix', () => {
    expect(read({ scopes: ' openid , AdobeID,,' }).settings.credentials).toMatchObject({ scopes: 'openid,AdobeID' });
    expect(read({ 'client-secret': '', 'access-token': 'Bearer abc.def' }).settings.credentials).toEqual({
      kind: 'access-token',
      accessToken: 'abc.def',
    });
  });

  it('allows plain http for loopback hosts only, and drops a trailing slash', () => {
    expect(read({ 'platform-url': 'http://127.0.0.1:8080/' }).settings.platformUrl).toBe('http://127.0.0.1:8080');
    expect(read({ 'ims-url': 'http://localhost:9/' }).settings.imsUrl).toBe('http://localhost:9');
    expect(read({ 'platform-url': 'https://gw.example.com/adobe/' }).settings.platformUrl).toBe(
      'https://gw.example.com/adobe',
    );
    expect(problem({ 'platform-url': 'http://10.0.0.1' })).toMatch(/must use https/);
    expect(problem({ 'platform-url': 'https://u:p@platform.adobe.io' })).toMatch(/credentials, a query or a fragment/);
    expect(problem({ 'ims-url': 'not a url' })).toMatch(/Input 'ims-url' must be a URL/);
  });

  it('names every bad input once, in one error', () => {
    const message = problem({ 'flow-id': 'x', 'org-id': '', wait: 'maybe', 'client-secret': '' });
    expect(message).toMatch(/^4 inputs are not right:/);
    expect(message.match(/Input 'org-id'/g)).toHaveLength(1);
    expect(message).toContain("Input 'flow-id' must be dataflow IDs");
    expect(message).toContain("Input 'wait' must be true or false; got 'maybe'");
    expect(message).toContain("Input 'client-secret' or 'access-token' is required");
  });

  it('never quotes a secret', () => {
    expect(problem({ 'access-token': 'has space', 'client-secret': '' })).not.toContain('has space');
  });

  it.each([
    [{ timeout: '0s' }, /Input 'timeout' must be longer than zero/],
    [{ timeout: '8d' }, /Input 'timeout' must be 7d or less/],
    [{ 'sandbox-name': 'a/b' }, /Input 'sandbox-name'/],
    [{ 'sandbox-name': '-dev' }, /Input 'sandbox-name'/],
    // Sandbox names are lower case (Adobe's OpenAPI file): 'Prod' would be sent as is, and not found.
    [
      { 'sandbox-name': 'Prod' },
      /^Input 'sandbox-name' must be lower case, as sandbox names are: use 'prod'; got 'Prod'$/,
    ],
    [{ 'client-id': 'abc\r\nx-injected: 1' }, /Input 'client-id'/],
    [{ 'window-start': '1700000000', 'window-end': '1600000000' }, /Input 'window-end' must be after 'window-start'/],
    [{ 'window-start': '1h1h' }, /Input 'window-start' names the unit 'h' twice/],
  ])('rejects %o', (inputs, message) => {
    expect(problem(inputs)).toMatch(message);
  });
});

describe('readSettings with nothing set', () => {
  it('names each missing input once', () => {
    let message = '';
    try {
      readSettings({ getInput: () => '', setSecret: () => {} }, NOW);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message.match(/Input 'window-start'/g)).toHaveLength(1);
    expect(message).toMatch(/^5 inputs are not right:/);
  });
});

describe('several flow IDs', () => {
  const a = '11111111-1111-4111-8111-111111111111';
  const b = '22222222-2222-4222-8222-222222222222';
  it('takes one per line or comma-separated, ignoring blanks and spaces, in order', () => {
    expect(read({ 'flow-id': `\n ${b} \n\n${a},` }).settings.flowIds).toEqual([b, a]);
    expect(read({ 'flow-id': a }).settings.flowIds).toEqual([a]);
  });
  it('refuses duplicates, in any case', () => {
    expect(problem({ 'flow-id': `${a}\n${a.toUpperCase()}` })).toMatch(/names the same dataflow more than once/);
  });
  it('reads max-concurrency as a whole number from 1 to 50', () => {
    expect(read({}).settings.maxConcurrency).toBe(5);
    expect(read({ 'max-concurrency': '12' }).settings.maxConcurrency).toBe(12);
    expect(problem({ 'max-concurrency': '0' })).toMatch(/Input 'max-concurrency' must be from 1 to 50/);
    expect(problem({ 'max-concurrency': '2.5' })).toMatch(/Input 'max-concurrency' must be a whole number/);
  });
});

describe('checks that catch a likely mistake', () => {
  it("warns, and goes on, when 'window-end' is in the future", () => {
    const { settings } = read({ 'window-end': '2023-11-15T00:00:00Z', 'window-start': '1h' });
    expect(settings.warnings).toHaveLength(1);
    expect(settings.warnings[0]).toMatch(
      /^'window-end' is in the future \(2023-11-15T00:00:00\.000Z\): the run only ingests data that exists when it runs/,
    );
  });

  it("does not warn for a 'window-end' of now, or within a minute of it", () => {
    expect(read({}).settings.warnings).toEqual([]);
    expect(read({ 'window-end': '2023-11-14T22:14:00Z' }).settings.warnings).toEqual([]);
  });

  it("warns when 'poll-interval' is longer than 'timeout' and the step waits", () => {
    const { settings } = read({ wait: 'true', 'poll-interval': '2h', timeout: '1h' });
    expect(settings.warnings).toEqual([
      "'poll-interval' (7200s) is longer than 'timeout' (3600s): the run is read only once, at the timeout.",
    ]);
    // Without waiting, neither is used: nothing to say.
    expect(read({ 'poll-interval': '2h', timeout: '1h' }).settings.warnings).toEqual([]);
    expect(read({ wait: 'true', 'poll-interval': '1h', timeout: '1h' }).settings.warnings).toEqual([]);
  });

  it.each([
    'https://platform.adobe.io/data/foundation/flowservice',
    'https://platform.adobe.io/data/foundation/flowservice/',
    'https://gw.example.com/adobe/Data/Foundation/FlowService',
  ])("refuses a 'platform-url' of %s, naming platform-url", (url) => {
    expect(problem({ 'platform-url': url })).toMatch(
      /^Input 'platform-url' must be the host only, such as https:\/\/platform\.adobe\.io: the action adds '\/data\/foundation\/flowservice' itself$/,
    );
  });

  it("still takes a 'platform-url' with another path", () => {
    expect(read({ 'platform-url': 'https://gw.example.com/data/foundation' }).settings.platformUrl).toBe(
      'https://gw.example.com/data/foundation',
    );
  });
});

describe('catch-up and record gates', () => {
  it('splits a given range with catch-up and max-window, and catch-up implies wait', () => {
    const { settings } = read({ 'catch-up': 'true', 'max-window': '1h' });
    expect(settings).toMatchObject({
      catchUp: true,
      maxWindowMs: 3_600_000,
      wait: true,
      windowStart: 1700000000 - 86400,
    });
    expect(read({ 'window-start': 'last-success', 'catch-up': 'TRUE', 'max-window': '1d' }).settings).toMatchObject({
      catchUp: true,
      maxWindowMs: 86_400_000,
      wait: true,
      ifRunning: 'wait',
    });
  });

  it('refuses max-window with a given window and no catch-up, naming both inputs', () => {
    expect(problem({ 'max-window': '1d' })).toBe(
      "Input 'max-window' with a given 'window-start' needs 'catch-up: true' (to split the range into windows of at " +
        "most this length); remove 'max-window' to send the whole range in one run",
    );
  });

  it('refuses a given range that splits into more than 1000 windows', () => {
    expect(problem({ 'catch-up': 'true', 'max-window': '1m' })).toBe(
      "Input 'max-window' splits the range into 1440 windows, more than 1000 in one step: give a longer 'max-window' or a shorter range",
    );
  });

  it('refuses catch-up without max-window, and with run-id', () => {
    expect(problem({ 'catch-up': 'true' })).toBe(
      "Input 'catch-up' needs 'max-window': the longest window one run may take, such as 1d",
    );
    expect(
      problem({
        'flow-id': '',
        'window-start': '',
        'run-id': '3abea21c-7e36-4be1-bec1-d3bad0e3e0de',
        'catch-up': 'true',
      }),
    ).toContain("Input 'catch-up' cannot be given with 'run-id'");
  });

  it('reads the gates: a count of records, and a count or a share of failed records', () => {
    expect(read({ wait: 'true', 'min-records': '1', 'max-failed-records': '0.5%' }).settings.gates).toEqual({
      minRecords: 1,
      maxFailedRecords: { kind: 'share', percent: 0.5 },
    });
    expect(read({ wait: 'true', 'max-failed-records': '500' }).settings.gates).toEqual({
      minRecords: undefined,
      maxFailedRecords: { kind: 'count', count: 500 },
    });
    expect(read({}).settings.gates).toEqual({ minRecords: undefined, maxFailedRecords: undefined });
  });

  it('refuses a gate that is not a number or a percentage, and a gate without wait', () => {
    expect(problem({ wait: 'true', 'min-records': 'some' })).toBe(
      "Input 'min-records' must be a whole number of records, such as 1; got 'some'",
    );
    expect(problem({ wait: 'true', 'max-failed-records': '150%' })).toBe(
      "Input 'max-failed-records' must be a count of records (such as 0 or 500) or a percentage up to 100% (such as 0.5%); got '150%'",
    );
    expect(problem({ 'min-records': '1' })).toBe(
      "Input 'min-records' needs 'wait: true' (or 'catch-up: true'): a run's records are known only once it has ended",
    );
    // With catch-up, waiting is implied.
    expect(read({ 'catch-up': 'true', 'max-window': '1h', 'min-records': '1' }).settings.gates.minRecords).toBe(1);
  });
});
