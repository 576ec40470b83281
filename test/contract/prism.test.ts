// The contract test (issue #16): the bundled action, run as the runner runs it, against Stoplight Prism
// serving Adobe's own OpenAPI description of the Flow Service (../shared/flow-service/flow-service.yaml),
// in every mode, with static answers (the file's examples) and generated ones (its schemas). It fails when
// a request the action sends violates the file (Prism answers 422 and logs the violation), or when the
// action mishandles an answer the file allows. What the action must do with an answer is worked out from
// the answer itself, so the same test holds for every answer Prism may give.
//
// Where Adobe's file contradicts Adobe's tutorial or itself, the test that meets it names the spot.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SERVICE_ID } from '../../src/ids.ts';
import { cleanliness, runAction, type ActionResult } from '../e2e/harness.ts';
import { startEmulator } from '../emulator/emulator.ts';
import { BASE_PATH, haveSpec, Prism, PrismProxy, SPEC, specExamples, type AnswerMode, type Exchange } from './prism.ts';

/** The etag form answers.ts accepts (visible ASCII, as RFC 9110 entity tags). */
const ETAG = /^[\x21-\x7e]{1,200}$/;
const ORG = '5C1328435BF324E90A49402A@AdobeOrg';
const TOKEN = 'contract-token-7b1d3e9a5c2f4e8b';
/** A run and a flow that none of the file's examples name. */
const OTHER_RUN = '0d9a6c1e-5b7f-4e2a-9c3d-8f1e2a4b6c70';
const OTHER_FLOW = '6e2f8a1b-3c4d-4e5f-8a9b-0c1d2e3f4a5b';
const FAST_WAIT = { wait: 'true', 'poll-interval': '500ms', timeout: '3s' };

/** A run as an answer shows it: from `items`, or the answer itself (re-trigger, per the file). */
interface Listed {
  id: unknown;
  flowId?: unknown;
  eTag?: unknown;
  etag?: unknown;
  metrics?: { statusSummary?: { status?: unknown } };
}

function runsIn(exchange: Exchange): Listed[] {
  try {
    const body = JSON.parse(exchange.answer);
    return Array.isArray(body?.items) ? body.items : [body];
  } catch {
    return [];
  }
}

const statusOf = (run: Listed | undefined) => run?.metrics?.statusSummary?.status;
const errorText = (result: ActionResult) => result.errors.join('\n');

describe.skipIf(!haveSpec)("the action against Prism serving Adobe's flow-service.yaml", () => {
  const examples = haveSpec ? specExamples() : undefined!;
  let prism: Prism;

  beforeAll(async () => {
    prism = await Prism.start();
  }, 30_000);
  afterAll(async () => {
    await prism?.stop();
  });

  /** Runs the bundled action with its platform-url on a fresh proxy to Prism, and checks the contract. */
  async function act(mode: AnswerMode, inputs: Record<string, string>) {
    const proxy = await PrismProxy.start(prism, mode);
    let result: ActionResult;
    try {
      result = await runAction({
        'client-id': 'contract-client',
        'access-token': TOKEN,
        'org-id': ORG,
        'platform-url': proxy.url,
        ...inputs,
      });
    } finally {
      await proxy.close();
    }
    last = { result, exchanges: proxy.exchanges };
    return { result, exchanges: proxy.exchanges, proxy };
  }

  // Checked after each test's own assertions, so that a test fails first on what it is about.
  let last: { result: ActionResult; exchanges: Exchange[] } | undefined;
  afterEach(() => {
    const run = last;
    last = undefined;
    if (run) expectContractKept(run.result, run.exchanges);
  });

  /**
   * What holds for every run: nothing leaks or breaks the log; every request is a Flow Service path with
   * the documented headers and passes Prism's validation. The one refusal allowed is of the re-trigger
   * spelling, when the next request tries the spelling the file allows.
   */
  function expectContractKept(result: ActionResult, exchanges: Exchange[]) {
    expect(cleanliness(result, { clientSecret: TOKEN, tokensMintedList: [] })).toEqual({
      leaked: [],
      stray: [],
      markers: [],
      stack: false,
    });
    expect(result.signal).toBeNull();
    for (const [i, e] of exchanges.entries()) {
      expect(e.sentPath.startsWith(`${BASE_PATH}/`), `${e.method} ${e.sentPath} is a Flow Service path`).toBe(true);
      expect(e.path, 'only runs and flows are the action’s business').toMatch(/^\/(runs|flows)\b/);
      expect(e.headers['x-sandbox-name']).toMatch(/^[a-z0-9-]+$/);
      expect(e.headers.authorization).toMatch(/^Bearer \S+$/);
      if (e.violations.length === 0) continue;
      const next = exchanges[i + 1];
      const spellingRefused =
        /\/action$/.test(e.path.split('?')[0]!) && e.violations.every((v) => v.startsWith('query.op:'));
      const triedTheOther =
        next !== undefined &&
        next.path.split('?')[0] === e.path.split('?')[0] &&
        examples.opEnum.includes(next.query.get('op')!);
      expect(
        spellingRefused && triedTheOther,
        `${e.method} ${e.path} violates flow-service.yaml: ${e.violations.join('; ')}`,
      ).toBe(true);
    }
  }

  it("Adobe's file is served as it is: Prism starts on it and serves its paths without the base path", () => {
    expect(prism.port).toBeGreaterThan(0);
    // servers[0].url carries /data/foundation/flowservice; Prism ignores it, hence the proxy.
    expect(examples.spec.servers[0].url).toContain(BASE_PATH);
  });

  describe.each<AnswerMode>(['static', 'dynamic'])('%s answers', (mode) => {
    it('create, preflight off: POST /runs is all that is sent, and the run it answers is `run-id` (etag kept only when well-formed)', async () => {
      const { result, exchanges } = await act(mode, {
        'flow-id': OTHER_FLOW,
        'window-start': '24h',
        preflight: 'false',
      });
      expect(exchanges.map((e) => `${e.method} ${e.path.split('?')[0]}`)).toEqual(['POST /runs']);
      const sent = JSON.parse(exchanges[0]!.body);
      expect(sent).toMatchObject({ flowId: OTHER_FLOW, params: { windowEndTime: expect.any(Number) } });
      const created = runsIn(exchanges[0]!)[0]!;
      if (typeof created.id !== 'string' || !SERVICE_ID.test(created.id)) {
        // No well-formed run ID: the "may exist" rule.
        expect(result.code).toBe(1);
        expect(errorText(result)).toMatch(/may exist/);
        expect(result.outputs['run-id'] ?? '').toBe('');
        return;
      }
      // Issue #16 item 4: a well-formed ID is never lost to a malformed etag.
      expect(result.code, errorText(result)).toBe(0);
      expect(result.outputs['run-id']).toBe(created.id);
      expect(result.outputs.status).toBe('scheduled');
      if (typeof created.etag === 'string' && ETAG.test(created.etag)) {
        expect(result.outputs.etag).toBe(created.etag);
      } else {
        expect(result.outputs.etag ?? '').toBe('');
        expect(result.warnings.join('\n')).toMatch(/etag/i);
      }
    });

    it('create and wait: a read of the created run answered with another run (FlowRunsListResponse example) is malformed, never adopted', async () => {
      const { result, exchanges } = await act(mode, {
        'flow-id': OTHER_FLOW,
        'window-start': '24h',
        preflight: 'false',
        ...FAST_WAIT,
      });
      const created = runsIn(exchanges[0]!)[0]!;
      if (typeof created.id !== 'string' || !SERVICE_ID.test(created.id)) {
        expect(errorText(result)).toMatch(/may exist/);
        return;
      }
      const reads = exchanges.filter((e) => e.method === 'GET' && e.path.startsWith('/runs/'));
      // Only the created run is ever read, and `run-id` keeps naming it (issue #16 item 1).
      expect(new Set(reads.map((e) => e.path))).toEqual(new Set([`/runs/${encodeURIComponent(created.id)}`]));
      expect(result.outputs['run-id']).toBe(created.id);
      const answered = runsIn(reads[0]!).find((r) => r.id === created.id);
      if (!answered) {
        expect(result.code).toBe(1);
        expect(errorText(result)).toContain(created.id);
        expect(result.outputs.status ?? '').not.toMatch(/success|completed/i);
        for (const other of runsIn(reads[0]!)) {
          if (typeof other.id === 'string' && other.id !== created.id) {
            expect(JSON.stringify(result.outputs)).not.toContain(other.id);
          }
        }
      }
    });

    it('run-id: the run given, read back (FlowRunItemDTO example), is followed to its end', async () => {
      const given = examples.runId;
      const { result, exchanges } = await act(mode, { 'run-id': given, ...FAST_WAIT });
      expect(exchanges.every((e) => e.method === 'GET' && e.path === `/runs/${given}`)).toBe(true);
      const answered = runsIn(exchanges[0]!).find((r) => r.id === given);
      if (!answered) {
        expect(result.code).toBe(1);
        expect(errorText(result)).toContain(given);
        expect(result.outputs['run-id'] ?? given).toBe(given);
        return;
      }
      expect(result.outputs['run-id']).toBe(given);
      if (/^(success|completed)$/i.test(String(statusOf(answered)).replace(/_/g, ''))) {
        expect(result.code, errorText(result)).toBe(0);
        expect(result.outputs.status).toBe(statusOf(answered));
        expect(JSON.parse(result.outputs.metrics!)).toMatchObject({ recordSummary: expect.any(Object) });
      }
    });

    it('run-id: an answer about another run is malformed: never reported as this run, never followed', async () => {
      const { result, exchanges } = await act(mode, { 'run-id': OTHER_RUN, ...FAST_WAIT });
      expect(exchanges.every((e) => e.method === 'GET' && e.path === `/runs/${OTHER_RUN}`)).toBe(true);
      expect(runsIn(exchanges[0]!).some((r) => r.id === OTHER_RUN)).toBe(false);
      // Issue #16 item 1.
      expect(result.code).toBe(1);
      expect(errorText(result)).toContain(OTHER_RUN);
      expect(result.outputs.status ?? '').not.toMatch(/success/i);
      expect(JSON.stringify(result.outputs) + result.summary).not.toContain(examples.runId);
    });

    it('re-trigger: a refused `op=re-trigger` (paths./runs/{RUN_ID}/action.post.parameters op enum is RE_TRIGGER; the tutorial sends re-trigger) is followed by one try of the other spelling, and a same-ID answer is the run restarting', async () => {
      const given = examples.runId;
      const { result, exchanges } = await act(mode, { 'run-id': given, 're-trigger': 'true' });
      const actions = exchanges.filter((e) => e.method === 'POST');
      const answered = runsIn(exchanges[0]!).find((r) => r.id === given);
      if (!answered) {
        // Not the run given: nothing is re-triggered (issue #16 item 1).
        expect(actions).toEqual([]);
        expect(result.code).toBe(1);
        expect(errorText(result)).toContain(given);
        return;
      }
      // Issue #16 item 3: at most one refusal of a spelling, then the other, each of the run given.
      expect(actions.length).toBeGreaterThanOrEqual(1);
      expect(actions.length).toBeLessThanOrEqual(2);
      expect(actions.every((e) => e.path.startsWith(`/runs/${given}/action?`))).toBe(true);
      const last = actions.at(-1)!;
      expect(examples.opEnum).toContain(last.query.get('op'));
      expect(last.status).toBe(200);
      // The file answers the run itself (FlowRunItemDTO, not in `items`): paths./runs/{RUN_ID}/action.post
      // responses.200 "returns the updated flow run", where the tutorial answers a new run {id, etag}.
      const fresh = runsIn(last)[0]!;
      expect(result.code, errorText(result)).toBe(0);
      if (typeof fresh.id === 'string' && SERVICE_ID.test(fresh.id)) {
        expect(result.outputs['run-id']).toBe(fresh.id);
        if (fresh.id === given && (fresh.eTag ?? fresh.etag) === (answered.eTag ?? answered.etag)) {
          // The same run, same etag: its earlier final status is not the new attempt's.
          expect(result.outputs.status).not.toBe(statusOf(answered));
        }
      }
    });

    it('re-trigger: an answer about another run re-triggers nothing', async () => {
      const { result, exchanges } = await act(mode, { 'run-id': OTHER_RUN, 're-trigger': 'true' });
      // Issue #16 item 1: the action sent POST /runs/{the example run}/action for a run never given.
      expect(exchanges.filter((e) => e.method === 'POST')).toEqual([]);
      expect(result.code).toBe(1);
      expect(errorText(result)).toContain(OTHER_RUN);
      expect(result.outputs['run-id'] ?? '').not.toBe(examples.runId);
    });

    it('re-trigger and wait: a same-ID, same-etag answer does not end the new attempt with the old final status', async () => {
      const given = examples.runId;
      const { result, exchanges } = await act(mode, { 'run-id': given, 're-trigger': 'true', ...FAST_WAIT });
      const answered = runsIn(exchanges[0]!).find((r) => r.id === given);
      const accepted = exchanges.find((e) => e.method === 'POST' && e.status === 200);
      const fresh = accepted && runsIn(accepted)[0];
      // Re-triggered at most once, whatever the reads say (issue #16: "never re-triggered twice by mistake").
      expect(exchanges.filter((e) => e.method === 'POST' && e.status === 200).length).toBeLessThanOrEqual(1);
      if (!answered || !fresh || fresh.id !== given) return;
      const sameEtag = (fresh.eTag ?? fresh.etag) === (answered.eTag ?? answered.etag);
      const reads = exchanges.filter((e) => e.method === 'GET' && exchanges.indexOf(e) > exchanges.indexOf(accepted));
      if (
        sameEtag &&
        reads.every((r) => (runsIn(r)[0]?.eTag ?? runsIn(r)[0]?.etag) === (answered.eTag ?? answered.etag))
      ) {
        // Every read still shows the old attempt: the step can only reach its timeout.
        expect(result.code).toBe(1);
        expect(errorText(result)).toMatch(/did not finish within|timeout|timed out/i);
        expect(result.outputs.status).not.toBe(statusOf(answered));
      }
    });

    it("last-success: successful runs whose window cannot be read (FlowRunItemDTO has no params and spells 'activites') stop the step before any run request", async () => {
      const flow = examples.runFlowId;
      const { result, exchanges } = await act(mode, {
        'flow-id': flow,
        'window-start': 'last-success',
        'first-window-start': '7d',
        preflight: 'false',
        'if-running': 'start',
      });
      const lists = exchanges.filter((e) => e.method === 'GET' && e.path.split('?')[0] === '/runs');
      expect(lists.length).toBeGreaterThanOrEqual(1);
      for (const list of lists) expect(list.query.getAll('property').join(',')).toContain(`flowId==${flow}`);
      // Issue #16 item 5: a next-page token that repeats ends the list
      // (FlowRunsListResponse._links.next.href example: always the same /connections?continuationToken=...).
      expect(lists.length).toBeLessThanOrEqual(2);
      const listed = lists.flatMap(runsIn);
      const ours = listed.filter((r) => r.flowId === flow && typeof r.id === 'string' && SERVICE_ID.test(r.id));
      const succeeded = ours.filter((r) =>
        /^(success|completed|partialsuccess)$/i.test(String(statusOf(r)).replace(/_/g, '')),
      );
      const posts = exchanges.filter((e) => e.method === 'POST');
      if (succeeded.length > 0 || listed.some((r) => typeof r.id !== 'string' || !SERVICE_ID.test(r.id))) {
        // Issue #16 item 2: never a run from first-window-start when a success exists (or may).
        expect(posts).toEqual([]);
        expect(result.code).toBe(1);
      }
      if (succeeded.length > 0) {
        expect(errorText(result)).toMatch(/window/i);
        expect(errorText(result)).toContain('window-start');
        expect(errorText(result)).not.toMatch(/no successful run/i);
      }
    });

    it('preflight on: GET /flows/{id} comes first, and a flow that cannot take a run (FlowItemDTO example: scheduleParams.frequency minute) is refused before the run request', async () => {
      const flow = examples.flowId;
      const { result, exchanges } = await act(mode, { 'flow-id': flow, 'window-start': '24h' });
      expect(exchanges[0]).toMatchObject({ method: 'GET', path: `/flows/${flow}` });
      const answered = runsIn(exchanges[0]!)[0] as Record<string, unknown> | undefined;
      const frequency = (answered?.scheduleParams as { frequency?: unknown } | undefined)?.frequency;
      if (answered?.id === flow && answered.state === 'enabled' && frequency === 'once') return;
      expect(exchanges.filter((e) => e.method === 'POST')).toEqual([]);
      expect(result.code).toBe(1);
      expect(errorText(result)).toContain(flow);
      if (answered?.id === flow && frequency !== 'once') expect(errorText(result)).toMatch(/once/);
    });

    it('preflight on: a flow answer about another flow is malformed, not this flow’s name, state or schedule', async () => {
      const { result, exchanges } = await act(mode, { 'flow-id': OTHER_FLOW, 'window-start': '24h' });
      expect(exchanges.map((e) => `${e.method} ${e.path}`)).toEqual([`GET /flows/${OTHER_FLOW}`]);
      const answered = runsIn(exchanges[0]!)[0] as Record<string, unknown> | undefined;
      expect(answered?.id).not.toBe(OTHER_FLOW);
      // Issue #16 item 1: another flow's name and schedule were reported as this flow's.
      expect(result.code).toBe(1);
      expect(errorText(result)).toContain(OTHER_FLOW);
      if (typeof answered?.name === 'string') expect(errorText(result) + result.summary).not.toContain(answered.name);
      expect(errorText(result)).not.toMatch(/scheduled|frequency|once/i);
    });
  });

  it('sandbox-name in upper case fails before any request (info.description: the all-lowercase sandbox name)', async () => {
    const { result, exchanges } = await act('static', {
      'flow-id': OTHER_FLOW,
      'window-start': '24h',
      'sandbox-name': 'Prod',
    });
    // Issue #16 item 6.
    expect(exchanges).toEqual([]);
    expect(result.code).toBe(1);
    expect(errorText(result)).toMatch(/sandbox-name/);
    expect(errorText(result)).toContain("'prod'");
  });

  it('dry run sends nothing, and the request it prints passes CreateFlowRunRequest at Prism', async () => {
    const { result, exchanges, proxy } = await act('static', {
      'flow-id': OTHER_FLOW,
      'window-start': '1700000000',
      'window-end': '1700003600',
      'dry-run': 'true',
    });
    expect(result.code).toBe(0);
    expect(exchanges).toEqual([]);
    const printed = result.stdout.slice(result.stdout.indexOf('{')).match(/^\{[\s\S]*?\n\}/)?.[0];
    expect(printed).toBeDefined();
    const check = await PrismProxy.start(prism, 'static');
    try {
      const res = await fetch(`${check.url}${BASE_PATH}/runs`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${TOKEN}`,
          'x-api-key': 'contract-client',
          'x-gw-ims-org-id': ORG,
          'x-sandbox-name': 'prod',
          'content-type': 'application/json',
        },
        body: printed,
      });
      expect(check.exchanges[0]?.violations).toEqual([]);
      expect(res.status).toBe(201);
    } finally {
      await check.close();
    }
    expect(proxy.exchanges).toEqual([]);
  });

  it("a token minted by the emulator's IMS reaches Prism as the bearer, and nothing leaks", async () => {
    const ims = await startEmulator();
    const proxy = await PrismProxy.start(prism, 'static');
    try {
      const result = await runAction({
        'run-id': examples.runId,
        'client-id': ims.clientId,
        'client-secret': ims.clientSecret,
        'org-id': ims.orgId,
        'ims-url': ims.url,
        'platform-url': proxy.url,
        ...FAST_WAIT,
      });
      expect(cleanliness(result, ims)).toEqual({ leaked: [], stray: [], markers: [], stack: false });
      expect(ims.tokensMintedList).toHaveLength(1);
      expect(proxy.exchanges.length).toBeGreaterThan(0);
      for (const e of proxy.exchanges) {
        expect(e.headers.authorization).toBe(`Bearer ${ims.tokensMintedList[0]}`);
        expect(e.headers['x-api-key']).toBe(ims.clientId);
        expect(e.violations).toEqual([]);
      }
      expect(result.code, errorText(result)).toBe(0);
      expect(result.outputs.status).toBe('success');
    } finally {
      await proxy.close();
      await ims.close();
    }
  });

  it("Prism's own log shows no request violation but refused re-trigger spellings", async () => {
    await new Promise((done) => setTimeout(done, 200));
    const { requests } = prism.validatorErrors();
    expect(requests.filter((e) => !/query parameter op must be equal to one of the allowed values/.test(e))).toEqual(
      [],
    );
  });

  it("Adobe's file contradicts itself: the FlowItemDTO example's flowSpec is a string, components.schemas.FlowItemDTO.properties.flowSpec is typed object", async () => {
    const from = prism.log.length;
    const check = await PrismProxy.start(prism, 'static');
    try {
      await fetch(`${check.url}${BASE_PATH}/flows/${OTHER_FLOW}`, {
        headers: { authorization: `Bearer ${TOKEN}`, 'x-api-key': 'contract-client', 'x-gw-ims-org-id': ORG },
      });
    } finally {
      await check.close();
    }
    await new Promise((done) => setTimeout(done, 200));
    expect(typeof examples.spec.components.schemas.FlowItemDTO.properties.flowSpec.example).toBe('string');
    expect(prism.validatorErrors(from).responses).toEqual([
      expect.stringMatching(/response\.body\.items\.0\.flowSpec .* must be object/),
    ]);
    // It is the only answer of the file that contradicts the file in every test above.
    const known = /response\.body\.items\.0\.flowSpec .* must be object/;
    expect(prism.validatorErrors().responses.filter((e) => !known.test(e))).toEqual([]);
  });
});

it.runIf(!haveSpec)(
  'skips the contract test against Prism: ../shared/flow-service/flow-service.yaml is not beside the project',
  () => {
    console.log(`skipped: the Prism contract test needs Adobe's file at ${SPEC}, which is not there`);
  },
);
