// Stoplight Prism serving Adobe's own OpenAPI description of the Flow Service, for the contract test.
// Prism serves the file's paths at its root (`/runs`) and ignores the servers' base path, while the action
// calls `{platform-url}/data/foundation/flowservice/runs`: a small 127.0.0.1 proxy per action run strips
// the base path, asks Prism for static (examples) or generated answers, and records every exchange.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { parse } from 'yaml';

const ROOT = resolve(import.meta.dirname, '../..');
/** Adobe's file stays in ../shared, beside the project: it is never copied into it. */
export const SPEC = resolve(ROOT, '../shared/flow-service/flow-service.yaml');
export const haveSpec = existsSync(SPEC);
const PRISM = resolve(ROOT, 'node_modules/@stoplight/prism-cli/dist/index.js');
export const BASE_PATH = '/data/foundation/flowservice';

/** Static answers are the file's examples; dynamic ones are generated from its schemas. */
export type AnswerMode = 'static' | 'dynamic';

export interface Exchange {
  method: string;
  /** The path as the action sent it, base path included. */
  sentPath: string;
  /** The path and query Prism saw (base path stripped). */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  status: number;
  answer: string;
  /** Prism's validation messages when it refused the request (422), else none. */
  violations: string[];
}

/** Prism itself, started once: the port it listens on and every line it logged. */
export class Prism {
  private readonly child: ChildProcess;
  readonly port: number;
  readonly log: string[];

  private constructor(child: ChildProcess, port: number, log: string[]) {
    this.child = child;
    this.port = port;
    this.log = log;
  }

  static async start(timeoutMs = 25_000): Promise<Prism> {
    const child = spawn(
      process.execPath,
      [PRISM, 'mock', SPEC, '--host', '127.0.0.1', '--port', '0', '--seed', 'aep-flow-run-action'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const log: string[] = [];
    let pending = '';
    const listening = new Promise<number>((done, fail) => {
      const tail = () => log.slice(-20).join('\n');
      const timer = setTimeout(
        () => fail(new Error(`Prism did not listen within ${timeoutMs} ms:\n${tail()}`)),
        timeoutMs,
      );
      const onData = (chunk: Buffer) => {
        const lines = (pending + chunk.toString('utf8')).split('\n');
        pending = lines.pop()!;
        log.push(...lines);
        const port = lines.join('\n').match(/Prism is listening on http:\/\/127\.0\.0\.1:(\d+)/)?.[1];
        if (port) {
          clearTimeout(timer);
          done(Number(port));
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.on('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`Prism exited (${code}) before it listened:\n${tail()}`));
      });
    });
    return new Prism(child, await listening, log);
  }

  /**
   * What Prism's validator logged from line `from` on (`[VALIDATOR] ✖ error ...`): violations of the file
   * by requests (the action's fault) and by Prism's own answers (the file contradicting itself).
   */
  validatorErrors(from = 0): { requests: string[]; responses: string[] } {
    const errors = this.log
      .slice(from)
      .filter((l) => /\[VALIDATOR\]\s*\S*\s*error\s/.test(l))
      .map((l) => l.replace(/^.*\[VALIDATOR\]\s*\S*\s*error\s*/, '').trim());
    return {
      requests: errors.filter((e) => !e.startsWith('Violation: response')),
      responses: errors.filter((e) => e.startsWith('Violation: response')),
    };
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((done) => this.child.once('exit', done));
    this.child.kill('SIGTERM');
    await exited;
  }
}

/** A proxy in front of Prism for one action run: `url` is the action's `platform-url`. */
export class PrismProxy {
  readonly exchanges: Exchange[] = [];
  url = '';
  private readonly server: Server;
  private readonly prism: Prism;
  readonly mode: AnswerMode;

  constructor(prism: Prism, mode: AnswerMode) {
    this.prism = prism;
    this.mode = mode;
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const sentPath = req.url ?? '/';
        if (!sentPath.startsWith(`${BASE_PATH}/`)) {
          // Not a Flow Service path at all: record it (the test fails on it) and say so.
          this.record(req.method!, sentPath, sentPath, req.headers, body, 404, '{"error":"outside the base path"}');
          res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"outside the base path"}');
          return;
        }
        const path = sentPath.slice(BASE_PATH.length);
        this.forward(req.method!, path, req.headers, body).then(
          ({ status, headers, answer }) => {
            this.record(req.method!, sentPath, path, req.headers, body, status, answer);
            res.writeHead(status, headers).end(answer);
          },
          (error: Error) => res.writeHead(502).end(error.message),
        );
      });
    });
  }

  static async start(prism: Prism, mode: AnswerMode): Promise<PrismProxy> {
    const proxy = new PrismProxy(prism, mode);
    await new Promise<void>((done) => proxy.server.listen(0, '127.0.0.1', done));
    proxy.url = `http://127.0.0.1:${(proxy.server.address() as AddressInfo).port}`;
    return proxy;
  }

  /** Exchanges on one route, e.g. `GET /runs/{id}`: method and path without the query. */
  on(method: string, path: RegExp): Exchange[] {
    return this.exchanges.filter((e) => e.method === method && path.test(e.path.split('?')[0]!));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((done) => this.server.close(() => done()));
  }

  private forward(method: string, path: string, incoming: Record<string, string | string[] | undefined>, body: string) {
    const headers = { ...incoming, host: `127.0.0.1:${this.prism.port}`, prefer: `dynamic=${this.mode === 'dynamic'}` };
    return new Promise<{ status: number; headers: Record<string, string>; answer: string }>((done, fail) => {
      const req = request({ host: '127.0.0.1', port: this.prism.port, method, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          done({
            status: res.statusCode ?? 0,
            headers: { 'content-type': String(res.headers['content-type'] ?? 'application/json') },
            answer: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      });
      req.on('error', fail);
      req.end(body);
    });
  }

  private record(
    method: string,
    sentPath: string,
    path: string,
    headers: Record<string, string | string[] | undefined>,
    body: string,
    status: number,
    answer: string,
  ) {
    const query = new URL(path, 'http://prism').searchParams;
    this.exchanges.push({
      method,
      sentPath,
      path,
      query,
      headers,
      body,
      status,
      answer,
      violations: violationsOf(status, answer),
    });
  }
}

/** Prism's 422 body lists each violation: `{validation: [{location, message}]}`. */
function violationsOf(status: number, answer: string): string[] {
  if (status !== 422) return [];
  try {
    const body = JSON.parse(answer) as { validation?: Array<{ location?: string[]; message?: string }> };
    return (body.validation ?? []).map((v) => `${(v.location ?? []).join('.')}: ${v.message}`);
  } catch {
    return [`422 without Prism's validation body: ${answer.slice(0, 200)}`];
  }
}

/** The examples in Adobe's file the static answers are made of, read from the file itself. */
export function specExamples() {
  const spec = parse(readFileSync(SPEC, 'utf8'));
  const schemas = spec.components.schemas;
  const run = schemas.FlowRunItemDTO.properties;
  return {
    /** FlowItemDTO.id: the flow every static GET /flows/{id} answers with. */
    flowId: schemas.FlowItemDTO.properties.id.example as string,
    /** FlowRunItemDTO.id: the run every static GET /runs/{id} and re-trigger answers with. */
    runId: run.id.example as string,
    /** FlowRunItemDTO.flowId: the flow that run belongs to. */
    runFlowId: run.flowId.example as string,
    runETag: run.eTag.example as string,
    /** CreateFlowRunResponse.id: the run every static POST /runs answers with. */
    createdRunId: schemas.CreateFlowRunResponse.properties.id.example as string,
    /** paths./runs/{RUN_ID}/action.post.parameters op: the spellings the file allows. */
    opEnum: spec.paths['/runs/{RUN_ID}/action'].post.parameters.find((p: { name: string }) => p.name === 'op').schema
      .enum as string[],
    spec,
  };
}
