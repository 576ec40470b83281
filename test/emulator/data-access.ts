// The Data Access API's error diagnostics, as shared/flow-service/README.md "Rejected records" describes
// them: a batch's row-error listing (`{data: [{name, length, _links.self.href}]}`, `length` a string,
// pages through `_links.next`), each file by its href, and 404 "The path is not found." for a batch
// without diagnostics. Scenario controls: files in JSON lines or one array, raw (malformed) bodies,
// oversized files (and listed lengths that lie), slow files, and hrefs on another host, which a second
// listener on 127.0.0.1 plays and records (no request should ever reach it).
//
// Routes (names as in RecordedRequest.route and Fault.route):
//   errorList  GET /data/foundation/export/batches/{id}/meta?path=row_errors
//   errorFile  GET /data/foundation/export/batches/{id}/meta?path=row_errors/{name}
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type DataAccessRoute = 'errorList' | 'errorFile';

/** One row-error file of a batch. */
export interface RowErrorFile {
  name: string;
  /** The row errors it holds, one per rejected record: `{_corrupt_record, _errors: [{code, message}], _filename}`. */
  rows?: Array<Record<string, unknown>>;
  /** JSON lines (default) or one JSON array. */
  format?: 'lines' | 'array';
  /** The body as is, instead of `rows` (a malformed file). */
  body?: string;
  /** Repeat the rows until the body is at least this many bytes (an oversized file). */
  padToBytes?: number;
  /** The listing's `length` (default: the true size, as a string): a lie tests limits kept while reading. */
  listedLength?: string;
  /** Wait this long before answering (a slow file; the API gives up at 60 s). */
  delayMs?: number;
  /** Send the body in 16 KiB chunks this far apart. */
  chunkDelayMs?: number;
  /** The listing links it on another host (`foreignOrigin`). */
  elsewhere?: boolean;
  /** Answer its read with this status instead. */
  status?: number;
}

/** A batch's error diagnostics. A batch with none configured answers 404 (diagnostics off). */
export interface RowErrorBatch {
  files: RowErrorFile[];
  /** Answer the listing with this status instead (403: the credential may not read Data Access). */
  status?: number;
  /** Files per listing page (Adobe's is 100). */
  pageSize?: number;
  /** Point the next page at another host. */
  nextElsewhere?: boolean;
}

export interface DataAccessScenario {
  /** Batch ID → its row-error files. */
  rowErrors?: Record<string, RowErrorBatch>;
}

export interface ForeignRequest {
  path: string;
  headers: IncomingMessage['headers'];
}

const META = /^\/data\/foundation\/export\/batches\/([^/]+)\/meta$/;
const CHUNK = 16 * 1024;

/** Which Data Access route a request is, if any. */
export function dataAccessRoute(method: string, url: URL): DataAccessRoute | undefined {
  if (method !== 'GET' || !META.test(url.pathname)) return undefined;
  const path = url.searchParams.get('path') ?? '';
  if (path === 'row_errors') return 'errorList';
  if (path.startsWith('row_errors/')) return 'errorFile';
  return undefined;
}

export class DataAccessRoutes {
  /** Requests that reached "another host": each one would be a token sent where it must not go. */
  readonly foreignRequests: ForeignRequest[] = [];
  private foreign: Server | undefined;
  private foreignUrl: string | undefined;
  private readonly sockets = new Set<Socket>();

  // Plain fields, not parameter properties: the emulator runs under Node's type stripping.
  private readonly scenarios: () => Iterable<DataAccessScenario>;
  private readonly origin: () => string;
  private readonly foreignOrigin: string | undefined;

  constructor(scenarios: () => Iterable<DataAccessScenario>, origin: () => string, foreignOrigin?: string) {
    this.scenarios = scenarios;
    this.origin = origin;
    this.foreignOrigin = foreignOrigin;
  }

  /** Answers a Data Access request (already past the gateway's checks). */
  async serve(route: DataAccessRoute, url: URL, res: ServerResponse): Promise<number> {
    const batchId = decodeURIComponent(META.exec(url.pathname)![1]!);
    const batch = this.batch(batchId);
    if (!batch) return json(res, 404, { title: 'Not Found', status: 404, message: 'The path is not found.' });
    if (route === 'errorList') return this.list(batchId, batch, url, res);
    const name = (url.searchParams.get('path') ?? '').slice('row_errors/'.length);
    const file = batch.files.find((f) => f.name === name);
    if (!file) return json(res, 404, { title: 'Not Found', status: 404, message: 'The path is not found.' });
    return this.file(file, res);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    const server = this.foreign;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private batch(batchId: string): RowErrorBatch | undefined {
    for (const scenario of this.scenarios()) {
      const batch = scenario.rowErrors?.[batchId];
      if (batch) return batch;
    }
    return undefined;
  }

  private async list(batchId: string, batch: RowErrorBatch, url: URL, res: ServerResponse): Promise<number> {
    if (batch.status) return json(res, batch.status, { title: 'Refused', status: batch.status, message: 'Forbidden' });
    const size = batch.pageSize ?? 100;
    const start = Number(url.searchParams.get('start') ?? 0);
    const page = batch.files.slice(start, start + size);
    const meta = `/data/foundation/export/batches/${encodeURIComponent(batchId)}/meta`;
    const foreign = batch.files.some((f) => f.elsewhere) || batch.nextElsewhere ? await this.foreignBase() : '';
    const data = page.map((f) => ({
      name: f.name,
      length: f.listedLength ?? String(Buffer.byteLength(bodyOf(f))),
      _links: {
        self: {
          href: `${f.elsewhere ? foreign : this.origin()}${meta}?path=${encodeURIComponent(`row_errors/${f.name}`)}`,
        },
      },
    }));
    const body: Record<string, unknown> = { data, _page: { limit: size, count: data.length } };
    if (start + size < batch.files.length) {
      const base = batch.nextElsewhere ? foreign : this.origin();
      body._links = { next: { href: `${base}${meta}?path=row_errors&start=${start + size}` } };
    }
    return json(res, 200, body);
  }

  private async file(file: RowErrorFile, res: ServerResponse): Promise<number> {
    if (file.delayMs) await sleep(file.delayMs);
    if (file.status) return json(res, file.status, { title: 'Refused', status: file.status, message: 'Refused' });
    const body = Buffer.from(bodyOf(file));
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(body.length) });
    for (let at = 0; at < body.length; at += CHUNK) {
      if (res.destroyed) break;
      const more = res.write(body.subarray(at, at + CHUNK));
      if (file.chunkDelayMs) await sleep(file.chunkDelayMs);
      else if (!more) await new Promise((resolve) => res.once('drain', resolve));
    }
    res.end();
    return 200;
  }

  /** "Another host": `foreignOrigin` if given, else a second listener of ours that records what it gets. */
  private async foreignBase(): Promise<string> {
    if (this.foreignOrigin) return this.foreignOrigin;
    if (this.foreignUrl) return this.foreignUrl;
    const server = createServer((req, res) => {
      this.foreignRequests.push({ path: req.url ?? '', headers: req.headers });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"_corrupt_record":"stolen","_errors":[{"code":"X","message":"served by another host"}]}\n');
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.foreign = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.foreignUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.foreignUrl;
  }
}

const bodies = new WeakMap<RowErrorFile, string>();

/** The file as served: raw, or its rows as JSON lines or an array, padded to size (made once). */
function bodyOf(file: RowErrorFile): string {
  let body = bodies.get(file);
  if (body === undefined) bodies.set(file, (body = makeBody(file)));
  return body;
}

function makeBody(file: RowErrorFile): string {
  if (file.body !== undefined) return file.body;
  const rows = file.rows ?? [];
  if (file.format === 'array') {
    let items = rows.map((r) => JSON.stringify(r));
    if (file.padToBytes && items.length > 0) {
      const per = items.join(',').length + 1;
      items = Array.from({ length: Math.ceil(file.padToBytes / per) }, () => items).flat();
    }
    return `[${items.join(',')}]`;
  }
  const lines = rows.map((r) => `${JSON.stringify(r)}\n`).join('');
  if (!file.padToBytes || lines.length === 0) return lines;
  return lines.repeat(Math.ceil(file.padToBytes / lines.length));
}

function json(res: ServerResponse, status: number, body: unknown): number {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
  return status;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
