// Listing and reading a run's row errors (Data Access API), streamed and bounded: the error
// diagnostics of each batch the run wrote, counted by code and message (row-errors.ts) and, with
// `files`, written as Adobe serves them under one folder per run. Nothing here can fail the step: every
// fault (diagnostics off, refused, slow, malformed, too large) becomes one Problem. Links the service
// gives are followed only on the Platform host the step talks to: the token goes nowhere else.
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { z } from 'zod';
import type { Run } from './answers.js';
import { NetworkError } from './faults.js';
import type { HttpStream } from './http.js';
import { SERVICE_ID } from './ids.js';
import { countRowErrors, Tally, type RowErrorCount } from './row-errors.js';
import type { Transport } from './transport.js';
import { inert, parseJson } from './untrusted.js';

/** What the step fetches about rejected records (`failed-records`). */
export type FailedRecordsLevel = 'none' | 'codes' | 'files';

/** An answer whose body is read as a stream (HttpClient.stream's shape). */
export type StreamedAnswer = Pick<HttpStream, 'status' | 'body' | 'discard'>;

/**
 * An authorized GET on Platform: the transport adds the token and Platform's headers, renews the token
 * on 401, retries as it retries any read, keeps the step's deadline, and throws a NetworkError for a
 * fault. Only ever called with URLs on the Platform host.
 */
export type PlatformGet = (url: string, signal?: AbortSignal) => Promise<StreamedAnswer>;

export interface Limits {
  /** All files written (`files`) and all bytes read, per step. */
  totalBytes: number;
  /** One file read to be counted; a larger one is written (with `files`) but not counted. */
  fileBytes: number;
  /** One page of a listing. */
  listBytes: number;
  /** Pages of one batch's listing (100 files a page). */
  maxPages: number;
}

export const LIMITS: Limits = {
  totalBytes: 50 * 1024 * 1024,
  fileBytes: 10 * 1024 * 1024,
  listBytes: 1024 * 1024,
  maxPages: 20,
};

export interface DataAccessOptions {
  /** `platform-url`: the only origin a request goes to. */
  platformUrl: string;
  get: PlatformGet;
  level: 'codes' | 'files';
  /** With `files`: the folder that takes one subfolder per run ($RUNNER_TEMP/aep-failed-records). */
  dir?: string;
  limits?: Partial<Limits>;
  signal?: AbortSignal;
}

/** Why something could not be shown. `text` is ours, safe to print: inert, with no record contents. */
export interface Problem {
  kind:
    | 'no-batch' // the run names no batch
    | 'not-found' // 404: diagnostics off, or older than 30 days
    | 'forbidden' // 403
    | 'refused' // another status
    | 'timeout' // the API gave up, or the step's timeout came
    | 'unreachable' // a network fault after retries
    | 'malformed' // a listing or file that is not what the docs show
    | 'too-large' // over a limit while reading
    | 'left-out' // not read: the 50 MiB were spent
    | 'elsewhere' // a link to another host: not followed
    | 'write-failed'
    | 'cancelled';
  batchId?: string;
  text: string;
}

export interface RejectedRecords {
  runId: string;
  level: 'codes' | 'files';
  batchIds: string[];
  /** Row-error files the listings named, and those read to the end. */
  filesListed: number;
  filesRead: number;
  /** Rejected records counted. */
  rows: number;
  /** Distinct (code, message) pairs, and the most frequent of them (at most 10). */
  distinct: number;
  top: RowErrorCount[];
  problems: Problem[];
  /** With `files`: the run's folder, when at least one file was written to it. */
  dir?: string;
  written: { files: number; bytes: number };
  /** Requests sent (listing pages and files), for the measure of what a fetch costs. */
  requests: number;
}

/** "Turn on error diagnostics": where it applies, for every line that says none could be read. */
export const TURN_ON =
  "turn on the dataflow's error diagnostics (partial ingestion in the Platform UI, or " +
  'options.errorDiagnosticsEnabled with PATCH /flows/{id}): they apply to runs after that, and are kept 30 days';

const listing = z.looseObject({
  data: z.array(
    z.looseObject({
      name: z.unknown(),
      length: z.unknown(),
      _links: z
        .looseObject({ self: z.looseObject({ href: z.unknown() }).optional().catch(undefined) })
        .optional()
        .catch(undefined),
    }),
  ),
  _links: z
    .looseObject({ next: z.looseObject({ href: z.unknown() }).optional().catch(undefined) })
    .optional()
    .catch(undefined),
});

interface ListedFile {
  /** Safe for a path and for a log line. */
  name: string;
  url: string;
  /** As the listing gives it (a string in the docs); a hint only, the limit is kept while reading. */
  length: number | undefined;
}

/** The Data Access reads of one step: one byte budget for all its runs. */
export class DataAccess {
  private readonly limits: Limits;
  private readonly origin: string;
  private readonly base: string;
  private left: number;

  constructor(private readonly options: DataAccessOptions) {
    this.limits = { ...LIMITS, ...options.limits };
    this.left = this.limits.totalBytes;
    this.origin = new URL(options.platformUrl).origin;
    this.base = `${options.platformUrl.replace(/\/+$/, '')}/data/foundation/export`;
  }

  /** The row errors of a run that has reached its final status. Never throws. */
  async readRun(run: Pick<Run, 'id' | 'diagnostics'>): Promise<RejectedRecords> {
    const batchIds = batchIdsOf(run, this.origin);
    const result: RejectedRecords = {
      runId: run.id,
      level: this.options.level,
      batchIds,
      filesListed: 0,
      filesRead: 0,
      rows: 0,
      distinct: 0,
      top: [],
      problems: [],
      written: { files: 0, bytes: 0 },
      requests: 0,
    };
    if (batchIds.length === 0) {
      result.problems.push({ kind: 'no-batch', text: `run ${inert(run.id, 128)} names no batch` });
      return result;
    }
    const tally = new Tally();
    const runDir =
      this.options.level === 'files' && this.options.dir && SERVICE_ID.test(run.id)
        ? join(this.options.dir, run.id)
        : undefined;
    try {
      for (const batchId of batchIds) {
        const stop = await this.readBatch(batchId, runDir, tally, result);
        if (stop) break;
      }
    } catch (error) {
      // Not expected (every read's fault is a Problem already); still never the step's outcome.
      const message = error instanceof Error ? inert(error.message, 300) : 'unknown error';
      result.problems.push({ kind: 'unreachable', text: `the row errors could not all be read: ${message}` });
    }
    result.rows = tally.rows;
    result.distinct = tally.distinct;
    result.top = tally.top(10);
    if (tally.unreadable > 0) {
      result.problems.push({
        kind: 'malformed',
        text: `${tally.unreadable} entr${tally.unreadable === 1 ? 'y' : 'ies'} of the row-error files ${tally.unreadable === 1 ? 'was' : 'were'} not a row error`,
      });
    }
    if (runDir && result.written.files > 0) result.dir = runDir;
    return result;
  }

  /** One batch: list its files, read each. True when nothing more can be read (deadline, cancel). */
  private async readBatch(
    batchId: string,
    runDir: string | undefined,
    tally: Tally,
    result: RejectedRecords,
  ): Promise<boolean> {
    const problem = (kind: Problem['kind'], text: string) => result.problems.push({ kind, batchId, text });
    const listed = await this.list(batchId, result);
    if ('problem' in listed) {
      result.problems.push(listed.problem);
      return listed.stop;
    }
    result.filesListed += listed.files.length;
    const batchDir = runDir ? join(runDir, batchId) : undefined;
    const leftOut: string[] = [];
    for (const file of listed.files) {
      if (this.left <= 0 || (file.length !== undefined && file.length > this.left)) {
        leftOut.push(file.name);
        continue;
      }
      const read = await this.readFile(file, batchId, batchDir, tally, result);
      if (read === 'stop') return true;
    }
    if (leftOut.length > 0) {
      problem(
        'left-out',
        `${names(leftOut)} of batch ${batchId} left out: more than what is left of the ${mib(this.limits.totalBytes)} a step reads`,
      );
    }
    return false;
  }

  /** Every page of a batch's row-error listing, within bounds. */
  private async list(
    batchId: string,
    result: RejectedRecords,
  ): Promise<{ files: ListedFile[] } | { problem: Problem; stop: boolean }> {
    const files: ListedFile[] = [];
    const used = new Set<string>();
    const seen = new Set<string>();
    let url: string | undefined = `${this.base}/batches/${encodeURIComponent(batchId)}/meta?path=row_errors`;
    const what = `the row-error list of batch ${batchId}`;
    for (let page = 0; url !== undefined; page++) {
      if (page >= this.limits.maxPages || seen.has(url)) {
        result.problems.push({
          kind: 'too-large',
          batchId,
          text: `${what} has more than ${this.limits.maxPages} pages: the rest was not read`,
        });
        break;
      }
      seen.add(url);
      const answer = await this.fetch(url, what, this.limits.listBytes, result);
      if ('problem' in answer) return { problem: { ...answer.problem, batchId }, stop: answer.stop };
      const answerPage = listing.safeParse(parseJson(Buffer.concat(answer.chunks).toString('utf8')));
      if (!answerPage.success)
        return { problem: { kind: 'malformed', batchId, text: `${what} is not a list of files` }, stop: false };
      for (const entry of answerPage.data.data) {
        const file = this.listedFile(entry, batchId, used, result);
        if (file) files.push(file);
      }
      const next = answerPage.data._links?.next?.href;
      url = undefined;
      if (typeof next === 'string' && next !== '') {
        const nextUrl = this.onPlatform(next);
        if (nextUrl) url = nextUrl;
        else
          result.problems.push({
            kind: 'elsewhere',
            batchId,
            text: `${what} points its next page at another host: not followed`,
          });
      }
    }
    return { files };
  }

  /** A listed file worth reading, or undefined (a `_SUCCESS` marker, an empty file, a link elsewhere). */
  private listedFile(
    entry: z.output<typeof listing>['data'][number],
    batchId: string,
    used: Set<string>,
    result: RejectedRecords,
  ): ListedFile | undefined {
    const raw = typeof entry.name === 'string' ? entry.name : '';
    const listedLength = entry.length;
    const length =
      (typeof listedLength === 'string' && /^\d+$/.test(listedLength.trim())) || typeof listedLength === 'number'
        ? Number(listedLength)
        : NaN;
    const known = Number.isFinite(length) && length >= 0 ? length : undefined;
    if (raw === '_SUCCESS' || known === 0) return undefined;
    const name = safeFileName(raw, used);
    const href = entry._links?.self?.href;
    // No link: the file's path under the batch, as the docs build it.
    const given =
      typeof href === 'string' && href !== ''
        ? href
        : `${this.base}/batches/${encodeURIComponent(batchId)}/meta?path=${encodeURIComponent(`row_errors/${raw}`)}`;
    const url = this.onPlatform(given);
    if (!url) {
      result.problems.push({
        kind: 'elsewhere',
        batchId,
        text: `${name} of batch ${batchId} is linked on another host than ${this.origin}: not read (the token goes to Platform only)`,
      });
      return undefined;
    }
    return { name, url, length: known };
  }

  /**
   * One file: counted (up to `fileBytes`) and, with `files`, written (within what is left of
   * `totalBytes`). 'stop' when nothing more can be read.
   */
  private async readFile(
    file: ListedFile,
    batchId: string,
    batchDir: string | undefined,
    tally: Tally,
    result: RejectedRecords,
  ): Promise<'read' | 'skipped' | 'stop'> {
    const what = `${file.name} of batch ${batchId}`;
    const writing = batchDir !== undefined;
    const out = writing ? new Output(batchDir, file.name) : undefined;
    // Counting needs the file in memory; writing does not, and may go on past the counting cap.
    const countCap = Math.min(this.limits.fileBytes, this.left);
    const cap = writing ? this.left : countCap;
    const answer = await this.fetch(file.url, what, cap, result, out);
    if ('problem' in answer) {
      await out?.discard();
      result.problems.push({
        ...answer.problem,
        batchId,
        ...(answer.problem.kind === 'too-large' ? { text: tooLarge(what, cap, this.limits, writing) } : {}),
      });
      return answer.stop ? 'stop' : 'skipped';
    }
    this.left -= answer.bytes;
    result.filesRead += 1;
    if (out) {
      try {
        await out.close();
      } catch (error) {
        await out.discard();
        result.problems.push({
          kind: 'write-failed',
          batchId,
          text: `${what} could not be written: ${ioReason(error)}`,
        });
        return 'skipped';
      }
      result.written.files += 1;
      result.written.bytes += answer.bytes;
    }
    if (answer.bytes > countCap) {
      result.problems.push({
        kind: 'too-large',
        batchId,
        text: `${what} is larger than ${mib(countCap)}: written, not counted`,
      });
    } else if (!countRowErrors(Buffer.concat(answer.chunks).toString('utf8'), tally) && answer.bytes > 0) {
      result.problems.push({
        kind: 'malformed',
        batchId,
        text: `${what} holds no row error in JSON lines or a JSON array`,
      });
    }
    return 'read';
  }

  /**
   * A GET read to its end, at most `cap` bytes (kept in memory up to the counting cap, and copied to
   * `out` as it comes), or the Problem that stopped it.
   */
  private async fetch(
    url: string,
    what: string,
    cap: number,
    result: RejectedRecords,
    out?: Output,
  ): Promise<{ chunks: Buffer[]; bytes: number } | { problem: Problem; stop: boolean }> {
    const { signal } = this.options;
    if (signal?.aborted)
      return { problem: { kind: 'cancelled', text: `${what} was not read: the step was cancelled` }, stop: true };
    let answer: StreamedAnswer | undefined;
    const chunks: Buffer[] = [];
    let bytes = 0;
    const keep = Math.min(cap, this.limits.fileBytes);
    try {
      result.requests += 1;
      answer = await this.options.get(url, signal);
      if (answer.status !== 200) {
        answer.discard();
        return { problem: { kind: kindOf(answer.status), text: statusText(what, answer.status) }, stop: false };
      }
      for await (const chunk of answer.body) {
        const buffer = Buffer.from(chunk);
        bytes += buffer.length;
        // The limit holds while reading: a file that lied about its length stops here.
        if (bytes > cap) {
          answer.discard();
          return { problem: { kind: 'too-large', text: `${what} is larger than ${mib(cap)}: not read` }, stop: false };
        }
        if (bytes <= keep) chunks.push(buffer);
        await out?.write(buffer);
      }
      return { chunks: bytes <= keep ? chunks : [], bytes };
    } catch (error) {
      answer?.discard();
      if (signal?.aborted)
        return { problem: { kind: 'cancelled', text: `${what} was not read: the step was cancelled` }, stop: true };
      if (error instanceof NetworkError) {
        const deadline = error.code?.startsWith('DEADLINE_') ?? false;
        const timeout = deadline || /TIMEOUT|ETIMEDOUT/.test(error.code ?? '');
        return {
          problem: {
            kind: timeout ? 'timeout' : 'unreachable',
            text: `${what} could not be read: ${inert(error.message, 300)}`,
          },
          stop: deadline,
        };
      }
      if (out && isFsError(error)) {
        return {
          problem: { kind: 'write-failed', text: `${what} could not be written: ${ioReason(error)}` },
          stop: false,
        };
      }
      // An AuthError (the token) or anything else: our own message, never a stack.
      const message = error instanceof Error ? inert(error.message, 300) : 'unknown error';
      return { problem: { kind: 'unreachable', text: `${what} could not be read: ${message}` }, stop: false };
    }
  }

  /** An absolute URL for a link the service gave, if it is on the Platform host; else undefined. */
  private onPlatform(link: string): string | undefined {
    let url: URL;
    try {
      url = new URL(link, `${this.origin}/`);
    } catch {
      return undefined;
    }
    if (url.origin !== this.origin || url.username || url.password) return undefined;
    return url.href;
  }
}

/** A run's batch IDs: its target batches, and any its failed-record links name on the Platform host. */
export function batchIdsOf(run: Pick<Run, 'diagnostics'>, origin: string): string[] {
  const ids = run.diagnostics.batchIds.filter((id) => SERVICE_ID.test(id));
  for (const link of run.diagnostics.sampleLinks) {
    try {
      const url = new URL(link.url);
      const id = /^\/data\/foundation\/export\/batches\/([^/]+)\/meta$/.exec(url.pathname)?.[1];
      if (url.origin === origin && id && SERVICE_ID.test(id) && !ids.includes(id)) ids.push(id);
    } catch {
      // not a URL: nothing to take
    }
  }
  return ids;
}

/**
 * A file name the service gave, fit for a path: its last segment, only `[A-Za-z0-9._-]`, no leading
 * dot, at most 100 characters, and not one already used in the folder.
 */
export function safeFileName(raw: string, used: Set<string>): string {
  const last = raw.split(/[\\/]/).pop() ?? '';
  let name = last
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/^[.]+/, '')
    .slice(0, 100);
  if (name === '') name = 'row-errors';
  let unique = name;
  for (let n = 2; used.has(unique.toLowerCase()); n++) unique = `${n}-${name}`;
  used.add(unique.toLowerCase());
  return unique;
}

/**
 * A file being written, owner-only (it holds the customer's records): made at its first byte, never
 * over an existing one, removed if not finished.
 */
class Output {
  private readonly path: string;
  private handle: FileHandle | undefined;

  constructor(
    private readonly dir: string,
    name: string,
  ) {
    this.path = resolve(dir, name);
    // safeFileName makes this impossible; checked again because a path is where mistakes cost most.
    if (!this.path.startsWith(resolve(dir) + sep)) throw new Error(`${inert(name, 100)} is not a file name`);
  }

  async write(chunk: Buffer): Promise<void> {
    if (!this.handle) {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      this.handle = await open(this.path, 'wx', 0o600);
    }
    await this.handle.write(chunk);
  }

  /** Finishes the file; an empty body still makes one, as Adobe served it. */
  async close(): Promise<void> {
    if (!this.handle) await this.write(Buffer.alloc(0));
    await this.handle!.close();
  }

  async discard(): Promise<void> {
    if (!this.handle) return;
    await this.handle.close().catch(() => undefined);
    await rm(this.path, { force: true });
  }
}

function kindOf(status: number): Problem['kind'] {
  if (status === 404) return 'not-found';
  if (status === 403) return 'forbidden';
  if (status === 504 || status === 408) return 'timeout';
  return 'refused';
}

function statusText(what: string, status: number): string {
  if (status === 404) return `${what}: none (HTTP 404: error diagnostics off for the run, or older than 30 days)`;
  if (status === 403) return `${what}: refused (HTTP 403: the credential may not read Data Access)`;
  return `${what} could not be read: HTTP ${status}`;
}

function tooLarge(what: string, cap: number, limits: Limits, writing: boolean): string {
  return writing && cap < limits.totalBytes
    ? `${what} left out: larger than the ${mib(cap)} left of the ${mib(limits.totalBytes)} for files`
    : `${what} is larger than ${mib(cap)}: not read`;
}

function names(list: string[]): string {
  return list.length <= 3 ? list.join(', ') : `${list.slice(0, 3).join(', ')} and ${list.length - 3} more`;
}

function mib(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
}

function isFsError(error: unknown): boolean {
  return error instanceof Error && typeof (error as { syscall?: unknown }).syscall === 'string';
}

function ioReason(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? inert(code, 40) : 'unknown error';
}

/** What the adapter needs: the client's sending part (transport.ts), which alone knows headers and tokens. */
export interface PlatformGetOptions {
  transport: Pick<Transport, 'stream'>;
}

/**
 * A PlatformGet over the Transport: Platform's headers, one token renewal on 401, idempotent retries,
 * all as every other Platform request has them. The Transport refuses any URL off the Platform host
 * itself, so a token cannot leave it even by mistake.
 */
export function platformGet({ transport }: PlatformGetOptions): PlatformGet {
  return (url, signal) => transport.stream(url, signal);
}
