// The emulator's Data Access routes answer as shared/flow-service/README.md "Rejected records" says,
// and its controls do what tests rely on (another host that records, sizes, delays, faults).
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../emulator/emulator.ts';

const FLOW = '3abea21c-7e36-4be1-bec1-d3bad0e3e0de';
const BATCH = '01HBATCHONE00000000000000A';
const ROW = { _corrupt_record: "{missingQuotes: 'v1'}", _errors: [{ code: '1401', message: 'Row is corrupted' }] };

let emulator: Emulator;
afterEach(() => emulator.close());

function headers(token = emulator.issueToken()): Record<string, string> {
  return {
    authorization: `Bearer ${token}`,
    'x-api-key': emulator.clientId,
    'x-gw-ims-org-id': emulator.orgId,
    'x-sandbox-name': 'prod',
  };
}

const listUrl = (batch = BATCH) => `${emulator.url}/data/foundation/export/batches/${batch}/meta?path=row_errors`;

interface Listing {
  data: Array<{ name: string; length: string; _links: { self: { href: string } } }>;
  _page: { limit: number; count: number };
  _links?: { next?: { href: string } };
}

describe('row-error listing', () => {
  it('lists files with a string length and an absolute href on the same host, paged through _links.next', async () => {
    const files = ['a.json', 'b.json', 'c.json'].map((name) => ({ name, rows: [ROW] }));
    emulator = await startEmulator({ flows: { [FLOW]: { rowErrors: { [BATCH]: { files, pageSize: 2 } } } } });
    const first = (await (await fetch(listUrl(), { headers: headers() })).json()) as Listing;
    expect(first.data.map((f) => f.name)).toEqual(['a.json', 'b.json']);
    expect(first.data[0]!.length).toBe(String(JSON.stringify(ROW).length + 1));
    expect(first.data[0]!._links.self.href).toBe(
      `${emulator.url}/data/foundation/export/batches/${BATCH}/meta?path=row_errors%2Fa.json`,
    );
    expect(first._page).toEqual({ limit: 2, count: 2 });
    const second = (await (await fetch(first._links!.next!.href, { headers: headers() })).json()) as Listing;
    expect(second.data.map((f) => f.name)).toEqual(['c.json']);
    expect(second._links).toBeUndefined();
    expect(emulator.count('errorList')).toBe(2);
  });

  it('answers 404 "The path is not found." for a batch without diagnostics, and the gateway checks first', async () => {
    emulator = await startEmulator({ flows: { [FLOW]: {} } });
    const res = await fetch(listUrl(), { headers: headers() });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ message: 'The path is not found.' });
    const anonymous = await fetch(listUrl());
    expect(anonymous.status).toBe(403);
    expect(await anonymous.json()).toMatchObject({ error_code: '403010' });
  });

  it('refuses a listing with the configured status', async () => {
    emulator = await startEmulator({ flows: { [FLOW]: { rowErrors: { [BATCH]: { files: [], status: 403 } } } } });
    expect((await fetch(listUrl(), { headers: headers() })).status).toBe(403);
  });
});

describe('row-error files', () => {
  async function read(name: string): Promise<{ status: number; text: string; ms: number }> {
    const listing = (await (await fetch(listUrl(), { headers: headers() })).json()) as Listing;
    const href = listing.data.find((f) => f.name === name)!._links.self.href;
    const started = Date.now();
    const res = await fetch(href, { headers: headers() });
    return { status: res.status, text: await res.text(), ms: Date.now() - started };
  }

  it('serves JSON lines, one array, raw bodies, padded bodies with a lying length, and slow files', async () => {
    emulator = await startEmulator({
      flows: {
        [FLOW]: {
          rowErrors: {
            [BATCH]: {
              files: [
                { name: 'lines.json', rows: [ROW, ROW] },
                { name: 'array.json', rows: [ROW], format: 'array' },
                { name: 'raw.json', body: 'not json' },
                { name: 'big.json', rows: [ROW], padToBytes: 100_000, listedLength: '12' },
                { name: 'slow.json', rows: [ROW], delayMs: 300 },
              ],
            },
          },
        },
      },
    });
    expect((await read('lines.json')).text).toBe(`${JSON.stringify(ROW)}\n${JSON.stringify(ROW)}\n`);
    expect(JSON.parse((await read('array.json')).text)).toEqual([ROW]);
    expect((await read('raw.json')).text).toBe('not json');
    const big = await read('big.json');
    expect(big.text.length).toBeGreaterThanOrEqual(100_000);
    const listing = (await (await fetch(listUrl(), { headers: headers() })).json()) as Listing;
    expect(listing.data.find((f) => f.name === 'big.json')!.length).toBe('12');
    expect((await read('slow.json')).ms).toBeGreaterThanOrEqual(290);
  });

  it('takes injected faults like any route', async () => {
    emulator = await startEmulator({
      flows: { [FLOW]: { rowErrors: { [BATCH]: { files: [{ name: 'a.json', rows: [ROW] }] } } } },
    });
    emulator.inject({ route: 'errorFile', status: 503 });
    expect((await read('a.json')).status).toBe(503);
    expect((await read('a.json')).status).toBe(200);
  });

  it('links a file on another host that records every request it gets', async () => {
    emulator = await startEmulator({
      flows: { [FLOW]: { rowErrors: { [BATCH]: { files: [{ name: 'away.json', rows: [ROW], elsewhere: true }] } } } },
    });
    const listing = (await (await fetch(listUrl(), { headers: headers() })).json()) as Listing;
    const href = listing.data[0]!._links.self.href;
    expect(new URL(href).origin).not.toBe(emulator.url);
    await (await fetch(href, { headers: { authorization: 'Bearer leaked' } })).text();
    expect(emulator.dataAccess.foreignRequests).toEqual([
      expect.objectContaining({ headers: expect.objectContaining({ authorization: 'Bearer leaked' }) }),
    ]);
    expect(emulator.count('errorFile')).toBe(0);
  });
});
