// Telling the story through a fake runner: outputs as soon as they are known, one layout for one flow
// and one for several, each event told once; and the runner's redaction, in one place.
import type * as Core from '@actions/core';
import { describe, expect, it } from 'vitest';
import type { Run } from '../../src/answers.ts';
import { createMode } from '../../src/create.ts';
import { OneFlowReport, SeveralFlowsReport, type Report } from '../../src/report.ts';
import { actionsRunner, type Runner } from '../../src/runner.ts';
import { Secrets } from '../../src/secrets.ts';
import { readSettings, type CreateSettings, type InputName } from '../../src/settings.ts';
import type { RejectedRecords } from '../../src/data-access.ts';
import { wantsRejectedRecords, type FlowStory } from '../../src/outcome.ts';
import { aRun } from '../builders.ts';

const FLOW = '3abea21c-7e36-4be1-bec1-d3bad0e3e0de';
const FLOW_B = '5b0f3c1e-9a4d-4e2b-8c6a-1d2e3f4a5b6c';

function settingsFor(inputs: Partial<Record<InputName, string>>) {
  const all: Partial<Record<InputName, string>> = {
    'flow-id': FLOW,
    'client-id': 'abc',
    'access-token': 'tok',
    'org-id': 'ABC123@AdobeOrg',
    'window-start': '24h',
    ...inputs,
  };
  return readSettings({ getInput: (n) => all[n] ?? '', setSecret: () => {} }, Date.UTC(2023, 10, 14)) as CreateSettings;
}

/** The report main.ts makes for these settings: the layout chosen once, by how many flows there are. */
function reportFor(settings: CreateSettings, runner: Runner): Report {
  const mode = createMode(settings);
  const Layout = mode.stories.length > 1 ? SeveralFlowsReport : OneFlowReport;
  const rules = { failOnPartial: settings.failOnPartial, timeoutMs: settings.timeoutMs };
  return new Layout(mode.stories, runner, { context: mode.context, rules, startedAt: Date.now() });
}

/** A runner that records what it was told, in order. */
function fakeRunner() {
  const events: string[] = [];
  const outputs: Record<string, string> = {};
  const runner: Runner = {
    setOutput: (name, value) => {
      outputs[name] = value;
      events.push(`output ${name}`);
    },
    info: (line) => events.push(`info ${line}`),
    notice: (m) => events.push(`notice ${m}`),
    warning: (m) => events.push(`warning ${m}`),
    error: (m) => events.push(`error ${m}`),
    debug: () => {},
    group: (title, lines) => events.push(`group ${title} (${lines.length} lines)`),
    fail: (m) => events.push(`fail ${m}`),
    summary: async (md) => void events.push(`summary ${md.split('\n')[0]}`),
  };
  return { runner, events, outputs };
}

const run = (id: string, status: string | undefined, flowId = FLOW): Run =>
  aRun({ id, etag: `"${id}-etag"`, status, flowId, createdAt: 0 });

describe('Report with one flow', () => {
  it('sets run-id, etag, status and run-url the moment the run exists', () => {
    const { runner, outputs, events } = fakeRunner();
    const report = reportFor(settingsFor({}), runner);
    report.started(report.stories[0]!, run('r1', undefined), 'created');
    expect(outputs).toMatchObject({ 'run-id': 'r1', etag: '"r1-etag"', status: 'scheduled' });
    expect(outputs['run-url']).toBe(
      `https://experience.adobe.com/#/@ABC123@AdobeOrg/sname:prod/platform/source/dataflows/${FLOW}/activity/r1`,
    );
    expect(events.filter((e) => e.startsWith('info'))).toEqual([
      `info Created run r1 of flow ${FLOW} (status: scheduled).`,
    ]);
  });

  it('keeps the newest attempt in run-id and every attempt in runs', () => {
    const { runner, outputs } = fakeRunner();
    const report = reportFor(settingsFor({}), runner);
    const story = report.stories[0]!;
    report.started(story, run('r1', 'failed'), 'created');
    report.started(story, run('r2', undefined), 'retriggered');
    report.finished();
    expect(outputs['run-id']).toBe('r2');
    expect(JSON.parse(outputs.runs!)[0].attempts).toEqual(['r1', 'r2']);
  });

  it('says a run may exist, where to look, and that running again may ingest twice', () => {
    const { runner, events } = fakeRunner();
    const report = reportFor(settingsFor({}), runner);
    report.notStarted(report.stories[0]!, 'The answer to the run request was lost. A run may exist.', true);
    report.finished();
    const fail = events.find((e) => e.startsWith('fail'))!;
    expect(fail).toMatch(/A run may exist\. Check Sources > Dataflows > .* > Dataflow activity in Platform\./);
    expect(fail).toMatch(/Running this step again may start a second ingestion/);
  });

  it('takes a skipped flow as success: a notice and status skipped, no failure', () => {
    const { runner, outputs, events } = fakeRunner();
    const report = reportFor(settingsFor({}), runner);
    report.skipped(report.stories[0]!, 'Nothing new to ingest since run r0.');
    report.finished();
    expect(outputs.status).toBe('skipped');
    expect(events).toContain('notice Nothing new to ingest since run r0.');
    expect(events.some((e) => e.startsWith('fail'))).toBe(false);
  });
});

describe('Report with several flows', () => {
  it('writes one line per flow in each output, one group per flow, and fails naming the failed flow', () => {
    const { runner, outputs, events } = fakeRunner();
    const report = reportFor(settingsFor({ 'flow-id': `${FLOW}\n${FLOW_B}` }), runner);
    const [a, b] = report.stories as [(typeof report.stories)[0], (typeof report.stories)[0]];
    report.started(a, run('ra', undefined), 'created');
    report.notStarted(b, 'HTTP 400 FLOW-1430-400');
    report.allStarted();
    expect(outputs['run-id']).toBe('ra\n');
    report.finished();
    expect(events.filter((e) => e.startsWith('group'))).toEqual([
      `group Flow ${FLOW}: scheduled (1 lines)`,
      `group Flow ${FLOW_B}: not started (1 lines)`,
    ]);
    expect(events).toContain(`error Flow ${FLOW_B}: HTTP 400 FLOW-1430-400`);
    expect(events.filter((e) => e.startsWith('fail'))).toEqual([`fail 1 of 2 flows did not succeed: ${FLOW_B}.`]);
  });
});

describe('rejected records', () => {
  const rejected = (more: Partial<RejectedRecords> = {}): RejectedRecords => ({
    runId: 'r1',
    level: 'codes',
    batchIds: ['B1'],
    filesListed: 1,
    filesRead: 1,
    rows: 7,
    distinct: 1,
    top: [{ code: '1401', message: 'Row is corrupted', count: 7 }],
    problems: [],
    written: { files: 0, bytes: 0 },
    requests: 2,
    ...more,
  });
  const ended = (status: string, end: 'final' | 'timeout' = 'final'): FlowStory => ({
    flowId: FLOW,
    run: run('r1', status),
    wait: { end, run: run('r1', status) } as FlowStory['wait'],
  });

  it('are wanted for a run followed to a failure or a partial success, and for nothing else', () => {
    expect(wantsRejectedRecords(ended('failed'))).toBe(true);
    expect(wantsRejectedRecords(ended('partialSuccess'))).toBe(true);
    expect(wantsRejectedRecords(ended('success'))).toBe(false);
    expect(wantsRejectedRecords(ended('failed', 'timeout'))).toBe(false);
    expect(wantsRejectedRecords({ flowId: FLOW, run: run('r1', 'failed') })).toBe(false);
  });

  it('are wanted for a run that ended success but broke a record gate (issue #19, #20)', () => {
    const gateBreach = {
      gate: 'max-failed-records' as const,
      recordsIn: 1000,
      recordsFailed: 40,
      countsMissing: false,
      message: 'too many failed records',
    };
    expect(wantsRejectedRecords({ ...ended('success'), gateBreach })).toBe(true);
  });

  it('add the most frequent row errors to the error, leave the outcome, warn once for what could not be read', () => {
    const { runner, events, outputs } = fakeRunner();
    const report = reportFor(settingsFor({ wait: 'true' }), runner);
    const story = report.stories[0]!;
    report.started(story, run('r1', 'inProgress'), 'created');
    report.waited(story, { end: 'final', run: run('r1', 'failed') } as NonNullable<FlowStory['wait']>);
    report.followed();
    expect(outputs.status).toBe('failed');
    const before = story.failure!;
    report.rejectedRead(
      story,
      rejected({
        dir: '/tmp/rt/aep-failed-records/r1',
        written: { files: 1, bytes: 10 },
        problems: [
          { kind: 'too-large', text: 'a.json of batch B1 is larger than 10 MiB: not read' },
          { kind: 'elsewhere', text: 'b.json of batch B1 is linked on another host' },
        ],
      }),
      5,
    );
    expect(story.failure).toBe(`${before} Row errors: 1401 Row is corrupted (7 records).`);
    expect(outputs['failed-records-dir']).toBe('/tmp/rt/aep-failed-records');
    expect(events.filter((e) => e.startsWith('warning'))).toEqual([
      "warning Not every rejected record of run r1 could be read: a.json of batch B1 is larger than 10 MiB: not read (and 1 more: see the summary). The step's outcome does not depend on it.",
    ]);
  });

  it('do not warn when the run keeps no diagnostics, and turn no warning into a failure', () => {
    const { runner, events } = fakeRunner();
    const report = reportFor(settingsFor({ wait: 'true' }), runner);
    const story = report.stories[0]!;
    report.started(story, run('r1', 'inProgress'), 'created');
    report.waited(story, { end: 'final', run: run('r1', 'partialSuccess') } as NonNullable<FlowStory['wait']>);
    report.rejectedRead(
      story,
      rejected({ rows: 0, top: [], distinct: 0, problems: [{ kind: 'not-found', text: 'none (HTTP 404)' }] }),
      5,
    );
    expect(story.failure).toBeUndefined();
    expect(story.warning).toMatch(/ Row errors not available \(none \(HTTP 404\)\); turn on /);
    expect(events.filter((e) => e.startsWith('warning'))).toEqual([]);
  });
});

describe('actionsRunner', () => {
  it('redacts every secret from outputs, log lines, annotations, groups and the summary', async () => {
    const said: string[] = [];
    const core = {
      setOutput: (n: string, v: string) => said.push(`${n}=${v}`),
      info: (m: string) => said.push(m),
      notice: (m: string) => said.push(m),
      warning: (m: string) => said.push(m),
      error: (m: string) => said.push(m),
      debug: (m: string) => said.push(m),
      startGroup: (m: string) => said.push(m),
      endGroup: () => {},
      setFailed: (m: string) => said.push(m),
      setSecret: () => {},
      summary: { addRaw: (m: string) => ({ write: async () => said.push(m) }) },
    } as unknown as typeof Core;
    const secrets = new Secrets(() => {});
    secrets.add('s3cret-token');
    const io = actionsRunner(core, secrets);
    const text = 'before s3cret-token after';
    io.setOutput('x', text);
    io.info(text);
    io.notice(text);
    io.warning(text);
    io.error(text);
    io.group(text, [text]);
    io.fail(text);
    process.env.GITHUB_STEP_SUMMARY ??= '/dev/null';
    await io.summary(text);
    expect(said.length).toBeGreaterThanOrEqual(9);
    expect(said.every((s) => !s.includes('s3cret-token') && s.includes('***'))).toBe(true);
  });
});

describe('Report of a catch-up', () => {
  const H = 3600;
  const T = 1_699_920_000;
  const windows = [0, 1, 2].map((i) => ({ start: T + i * H, end: T + (i + 1) * H }));
  const waited = (r: Run) => ({ end: 'final' as const, run: r, reads: 1 });

  it('keeps each window’s runs as the next one starts, and sets windows-left and the window outputs', () => {
    const { runner, events, outputs } = fakeRunner();
    const report = reportFor(settingsFor({ 'catch-up': 'true', 'max-window': '1h' }), runner);
    const story = report.stories[0]!;
    report.windowsPlanned(story, windows, { kind: 'inputs' });
    report.windowStarting(story, 0);
    report.started(story, run('w1', 'scheduled'), 'created');
    report.waited(story, waited(run('w1', 'partialSuccess')));
    report.windowStarting(story, 1);
    report.started(story, run('w2', 'scheduled'), 'created');
    report.waited(story, waited(run('w2', 'failed')));
    report.catchUpEnded(story, 'stopped', 1);
    report.finished();
    // The first window's partial success is told as the next window starts, once.
    expect(events.filter((e) => e.startsWith('warning'))).toHaveLength(1);
    expect(outputs['windows-left']).toBe('1');
    expect(outputs['window-start']).toBe(String(T));
    expect(outputs['window-end']).toBe(String(T + 2 * H));
    expect(outputs['run-id']).toBe('w2');
    const [entry] = JSON.parse(outputs.runs!) as Array<Record<string, unknown>>;
    expect(entry!.attempts).toEqual(['w1', 'w2']);
    expect(entry!.windows).toEqual([
      { start: T, end: T + H, runId: 'w1', status: 'partialSuccess' },
      { start: T + H, end: T + 2 * H, runId: 'w2', status: 'failed' },
    ]);
    expect(events.filter((e) => e.startsWith('fail'))).toEqual([
      expect.stringMatching(
        /ended failed.*The first window not ingested is .* \(window 2 of 3\) and the 1 window after it/,
      ),
    ]);
  });

  it('at the timeout after the last success, ends with a notice and no failure; with a given range, fails', () => {
    for (const end of ['timeout, resumable', 'timeout'] as const) {
      const { runner, events } = fakeRunner();
      const report = reportFor(settingsFor({ 'catch-up': 'true', 'max-window': '1h' }), runner);
      const story = report.stories[0]!;
      report.windowsPlanned(story, windows, { kind: 'inputs' });
      report.windowStarting(story, 0);
      report.started(story, run('w1', 'scheduled'), 'created');
      report.waited(story, waited(run('w1', 'success')));
      report.catchUpEnded(story, end, 1);
      report.finished();
      const fails = events.filter((e) => e.startsWith('fail'));
      const notices = events.filter((e) => e.startsWith('notice'));
      if (end === 'timeout') {
        expect(notices).toEqual([]);
        expect(fails).toEqual([expect.stringContaining('came with 2 windows not started.')]);
      } else {
        expect(fails).toEqual([]);
        expect(notices).toEqual([expect.stringContaining('The next step resumes')]);
      }
    }
  });
});
