// Incidents as GitHub issues (`issues: true`): one open issue per stale or failing flow, found again by
// a marker in its body (not by its title, which people may edit), updated while the flow stays so, and
// commented on and closed when it is healthy again. The plan (what to open, update or close) and the
// issue text are pure; only keepIncidents() talks to GitHub, through @actions/github, which it loads
// with import() so that a check without `issues` never loads it.
import { errorLine, facts, FACTS, dataflowUrl, healthIcon, reasons, type CheckView } from './check-summary.js';
import { findingsOf, type FlowHealth } from './health.js';
import { code, quiet } from './markdown.js';
import { isoSeconds } from './time.js';
import { inert } from './untrusted.js';

/** Where the issues are kept, and with what. */
export interface IncidentSettings {
  /** `github-token`: a secret (the entry masks it). */
  token: string;
  /** GITHUB_REPOSITORY: `owner/name`. */
  repository: string;
  /** GITHUB_API_URL. */
  apiUrl: string;
  /** `issue-labels`. */
  labels: string[];
}

/** An open issue of the repository that carries our marker. */
export interface FoundIssue {
  number: number;
  flowId: string;
  htmlUrl: string | undefined;
}

export type IncidentAction =
  | { kind: 'open'; flowId: string; title: string; body: string }
  | { kind: 'update'; flowId: string; number: number; title: string; body: string }
  | { kind: 'close'; flowId: string; number: number; comment: string };

const MARKER = /<!-- aep-flow-run-action check: flow ([A-Za-z0-9][A-Za-z0-9._-]{0,127}) -->/;

/** The marker that finds a flow's issue again: an HTML comment, invisible on the page. */
export function markerFor(flowId: string): string {
  return `<!-- aep-flow-run-action check: flow ${flowId} -->`;
}

/** The flow an issue body is about, by its marker (service text in a body is escaped: it cannot forge one). */
export function flowOfBody(body: string | null | undefined): string | undefined {
  return MARKER.exec(body ?? '')?.[1];
}

/** Words for a flow's findings: "stale", "failing", "stale and failing". */
function findingWords(health: FlowHealth): string {
  return findingsOf(health)
    .map((f) => (f === 'failed' ? 'failing' : f))
    .join(' and ');
}

/** An issue's title: our words and the flow ID only (titles are shown in many places GitHub links in). */
export function issueTitle(health: FlowHealth): string {
  return `Dataflow ${health.flowId} is ${findingWords(health) || 'unhealthy'}`;
}

/** An issue's body: the marker, what is wrong, the figures, the newest errors. Service text quieted. */
export function issueBody(health: FlowHealth, view: CheckView): string {
  const name = health.flow?.name ? ` ${quiet(health.flow.name)}` : '';
  const lines = [
    markerFor(health.flowId),
    `### ${healthIcon(health)} Dataflow ${code(health.flowId)}${name} is ${findingWords(health)}`,
    '',
    ...reasons(health, view).map((r) => `- ${r}`),
    `- In Platform: ${dataflowUrl(view.link, health.flowId)} (sandbox ${code(view.link.sandboxName)})`,
    '',
    `| ${FACTS.join(' | ')} |`,
    `| ${FACTS.map(() => '---').join(' | ')} |`,
    `| ${facts(health, view).join(' | ')} |`,
    '',
  ];
  const errors = health.newestErrors;
  if (errors.length > 0) lines.push('**Newest errors**', '', ...errors.map((e) => `- ${errorLine(e)}`), '');
  lines.push(
    `_Kept by the dataflow check: updated while the flow stays ${findingWords(health)}, closed when it is healthy again. Last checked ${isoSeconds(Math.floor(view.nowMs / 1000))}._`,
    '',
  );
  return lines.join('\n');
}

/** The comment that closes an issue: the flow is healthy again, with its data through. */
export function recoveryComment(health: FlowHealth, view: CheckView): string {
  const through = health.dataThrough === undefined ? '' : ` Its data now reaches ${isoSeconds(health.dataThrough)}.`;
  const newest = health.newest
    ? ` Its newest run ${code(health.newest.id)} is ${quiet(health.newest.status ?? 'unknown')}.`
    : '';
  return `✅ Dataflow ${code(health.flowId)} is healthy again as of ${isoSeconds(Math.floor(view.nowMs / 1000))}.${through}${newest} Closing.`;
}

/**
 * What to do: open an issue for a stale or failing flow that has none, update the one it has, and
 * comment on and close the one of a flow that is healthy again. A flow that could not be read is left
 * as it is: nothing is known of it. Of two issues of one flow, the older one is kept up.
 */
export function planIncidents(
  healths: readonly FlowHealth[],
  found: readonly FoundIssue[],
  view: CheckView,
): IncidentAction[] {
  const actions: IncidentAction[] = [];
  for (const health of healths) {
    if (health.unreadable !== undefined) continue;
    const issue = found.filter((i) => i.flowId === health.flowId).sort((a, b) => a.number - b.number)[0];
    const sick = findingsOf(health).length > 0;
    if (sick && !issue) {
      actions.push({ kind: 'open', flowId: health.flowId, title: issueTitle(health), body: issueBody(health, view) });
    } else if (sick && issue) {
      actions.push({
        kind: 'update',
        flowId: health.flowId,
        number: issue.number,
        title: issueTitle(health),
        body: issueBody(health, view),
      });
    } else if (issue) {
      actions.push({
        kind: 'close',
        flowId: health.flowId,
        number: issue.number,
        comment: recoveryComment(health, view),
      });
    }
  }
  return actions;
}

/** What keeping the incidents gave: the issue of each unhealthy flow, and why it stopped, if it did. */
export interface IncidentsResult {
  /** Flow ID → the issue's page, for the report's `issueUrl` and the summary. */
  urls: Map<string, string>;
  /** Actions done, in order ("opened #3 for flow X"), for the log. */
  done: string[];
  /** Set when GitHub refused or failed: one message, naming the permission when that is the cause. */
  problem?: string;
}

/** Finds our open issues, then opens, updates and closes them as planned. Stops at the first refusal. */
export async function keepIncidents(
  healths: readonly FlowHealth[],
  settings: IncidentSettings,
  view: CheckView,
): Promise<IncidentsResult> {
  const result: IncidentsResult = { urls: new Map(), done: [] };
  const [owner, repo] = settings.repository.split('/');
  if (!owner || !repo) {
    result.problem = `Issues cannot be kept: GITHUB_REPOSITORY is '${inert(settings.repository, 100)}', not owner/name.`;
    return result;
  }
  const { getOctokit } = await import('@actions/github');
  const octokit = getOctokit(settings.token, { baseUrl: settings.apiUrl.replace(/\/+$/, '') });
  const at = `${owner}/${repo}`;
  let step = `list the open issues of ${at}`;
  try {
    const listed = await octokit.paginate(octokit.rest.issues.listForRepo, {
      owner,
      repo,
      state: 'open',
      labels: settings.labels.join(','),
      per_page: 100,
    });
    const found: FoundIssue[] = [];
    for (const issue of listed) {
      const flowId = issue.pull_request ? undefined : flowOfBody(issue.body);
      if (flowId) found.push({ number: issue.number, flowId, htmlUrl: issue.html_url });
    }
    for (const action of planIncidents(healths, found, view)) {
      if (action.kind === 'open') {
        step = `open an issue in ${at} for flow ${action.flowId}`;
        const { data } = await octokit.rest.issues.create({
          owner,
          repo,
          title: action.title,
          body: action.body,
          labels: settings.labels,
        });
        result.urls.set(action.flowId, data.html_url);
        result.done.push(`Opened issue #${data.number} for flow ${action.flowId}: ${data.html_url}`);
      } else if (action.kind === 'update') {
        step = `update issue #${action.number} of ${at}`;
        const { data } = await octokit.rest.issues.update({
          owner,
          repo,
          issue_number: action.number,
          title: action.title,
          body: action.body,
        });
        result.urls.set(action.flowId, data.html_url);
        result.done.push(`Updated issue #${action.number} of flow ${action.flowId}: ${data.html_url}`);
      } else {
        step = `comment on issue #${action.number} of ${at}`;
        await octokit.rest.issues.createComment({ owner, repo, issue_number: action.number, body: action.comment });
        step = `close issue #${action.number} of ${at}`;
        const { data } = await octokit.rest.issues.update({
          owner,
          repo,
          issue_number: action.number,
          state: 'closed',
          state_reason: 'completed',
        });
        result.done.push(
          `Closed issue #${action.number} of flow ${action.flowId}: it is healthy again (${data.html_url})`,
        );
      }
    }
  } catch (error) {
    result.problem = refusal(error, step);
  }
  return result;
}

/** One message for a failed GitHub request; a 403 (or 404 on a write) names the missing permission. */
export function refusal(error: unknown, step: string): string {
  const status = (error as { status?: unknown } | null)?.status;
  const said = inert((error as { message?: unknown } | null)?.message ?? String(error), 200);
  if (status === 403 || status === 401) {
    return `GitHub refused to ${step} (HTTP ${status}: ${said}). 'issues: true' needs a token that may write issues: give the job 'permissions: issues: write', or pass a 'github-token' that has it.`;
  }
  const code = typeof status === 'number' ? `HTTP ${status}: ` : '';
  return `Could not ${step} on GitHub (${code}${said}); the issues were left as they are.`;
}
