// A local stand-in for the part of GitHub's REST API the check's incidents use: a repository's issues
// and their comments (list by label and state, paged with a Link header; create; update; comment).
// Plain node:http on 127.0.0.1, port 0; it records every request, and can refuse writes with 403 the
// way GitHub answers a token without `issues: write`.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface GitHubIssue {
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  state_reason: string | null;
  labels: string[];
  comments: string[];
}

export interface GitHubRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  status: number;
}

export interface GitHubEmulatorOptions {
  /** `owner/name` of the one repository served (default `octo-org/pipelines`). */
  repository?: string;
  /** The token that may use the API (default `ghs_test-token`); any other answers 401. */
  token?: string;
  /** Refuse creates, updates and comments with 403, as for a token without `issues: write`. */
  readOnly?: boolean;
  /** Refuse every request with 403 (a token with no access to issues at all). */
  noAccess?: boolean;
  /** Issues that exist before the test. */
  issues?: Array<Partial<GitHubIssue> & { title: string; body: string }>;
}

const FORBIDDEN = {
  message: 'Resource not accessible by integration',
  documentation_url: 'https://docs.github.com/rest/issues/issues#create-an-issue',
  status: '403',
};

export class GitHubEmulator {
  readonly repository: string;
  readonly token: string;
  readonly issues: GitHubIssue[] = [];
  readonly requests: GitHubRequest[] = [];
  url = '';
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly options: GitHubEmulatorOptions;

  constructor(options: GitHubEmulatorOptions = {}) {
    this.options = options;
    this.repository = options.repository ?? 'octo-org/pipelines';
    this.token = options.token ?? 'ghs_test-token';
    for (const issue of options.issues ?? []) {
      this.issues.push({
        number: this.issues.length + 1,
        state: 'open',
        state_reason: null,
        labels: [],
        comments: [],
        ...issue,
      });
    }
    this.server = createServer((req, res) => void this.handle(req, res).catch(() => req.socket.destroy()));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The issue page a person would open. */
  htmlUrl(number: number): string {
    return `${this.url}/${this.repository}/issues/${number}`;
  }

  /** Requests that change something (create, update, comment). */
  get writes(): GitHubRequest[] {
    return this.requests.filter((r) => r.method !== 'GET');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://github');
    const record: GitHubRequest = {
      method: req.method ?? '',
      path: `${url.pathname}${url.search}`,
      headers: req.headers,
      body,
      status: 0,
    };
    this.requests.push(record);
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(payload));
    };
    const auth = String(req.headers.authorization ?? '');
    if (auth !== `token ${this.token}` && auth !== `Bearer ${this.token}`) {
      return send(401, {
        message: 'Bad credentials',
        documentation_url: 'https://docs.github.com/rest',
        status: '401',
      });
    }
    if (this.options.noAccess) return send(403, FORBIDDEN);
    const base = `/repos/${this.repository}/issues`;
    const path = url.pathname;
    const number = Number(/^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)(?:\/comments)?$/.exec(path)?.[1]);
    const issue = this.issues.find((i) => i.number === number);
    const write = req.method === 'POST' || req.method === 'PATCH';
    if (write && this.options.readOnly) return send(403, FORBIDDEN);
    const json = (() => {
      try {
        return body ? (JSON.parse(body) as Record<string, unknown>) : {};
      } catch {
        return undefined;
      }
    })();
    if (write && json === undefined) return send(400, { message: 'Problems parsing JSON', status: '400' });

    if (req.method === 'GET' && path === base) return this.list(url, send);
    if (req.method === 'POST' && path === base) {
      if (typeof json!.title !== 'string' || !json!.title) {
        return send(422, { message: 'Validation Failed', errors: [{ field: 'title', code: 'missing_field' }] });
      }
      const created: GitHubIssue = {
        number: this.issues.length + 1,
        title: json!.title,
        body: String(json!.body ?? ''),
        state: 'open',
        state_reason: null,
        labels: Array.isArray(json!.labels) ? json!.labels.map(String) : [],
        comments: [],
      };
      this.issues.push(created);
      return send(201, this.view(created));
    }
    if (!issue) return send(404, { message: 'Not Found', status: '404' });
    if (req.method === 'PATCH' && path === `${base}/${number}`) {
      if (typeof json!.title === 'string') issue.title = json!.title;
      if (typeof json!.body === 'string') issue.body = json!.body;
      if (json!.state === 'open' || json!.state === 'closed') issue.state = json!.state;
      if (typeof json!.state_reason === 'string') issue.state_reason = json!.state_reason;
      if (Array.isArray(json!.labels)) issue.labels = json!.labels.map(String);
      return send(200, this.view(issue));
    }
    if (req.method === 'POST' && path === `${base}/${number}/comments`) {
      issue.comments.push(String(json!.body ?? ''));
      return send(201, { id: issue.comments.length, body: json!.body, html_url: `${this.htmlUrl(number)}#comment` });
    }
    if (req.method === 'GET' && path === `${base}/${number}`) return send(200, this.view(issue));
    return send(404, { message: 'Not Found', status: '404' });
  }

  /** GET /repos/{o}/{r}/issues: by state (default open) and every label named, newest first, paged. */
  private list(url: URL, send: (status: number, payload: unknown, headers?: Record<string, string>) => void) {
    const state = url.searchParams.get('state') ?? 'open';
    const labels = (url.searchParams.get('labels') ?? '').split(',').filter(Boolean);
    const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30), 100);
    const page = Number(url.searchParams.get('page') ?? 1);
    const all = this.issues
      .filter((i) => state === 'all' || i.state === state)
      .filter((i) => labels.every((l) => i.labels.includes(l)))
      .sort((a, b) => b.number - a.number);
    const items = all.slice((page - 1) * perPage, page * perPage);
    const headers: Record<string, string> = {};
    if (page * perPage < all.length) {
      const next = new URL(url.href.replace('http://github', this.url));
      next.searchParams.set('page', String(page + 1));
      headers.link = `<${next.href}>; rel="next"`;
    }
    send(
      200,
      items.map((i) => this.view(i)),
      headers,
    );
  }

  private view(issue: GitHubIssue) {
    return {
      id: 1000 + issue.number,
      number: issue.number,
      title: issue.title,
      body: issue.body,
      state: issue.state,
      state_reason: issue.state_reason,
      labels: issue.labels.map((name) => ({ name })),
      comments: issue.comments.length,
      html_url: this.htmlUrl(issue.number),
      url: `${this.url}/repos/${this.repository}/issues/${issue.number}`,
    };
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startGitHubEmulator(options: GitHubEmulatorOptions = {}): Promise<GitHubEmulator> {
  return new GitHubEmulator(options).start();
}
