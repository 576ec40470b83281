// Pictures of the job summary for the README, from real runs: the bundled action runs against the
// emulator as the e2e tests run it, its GITHUB_STEP_SUMMARY is rendered as GitHub shows it (Markdown
// to HTML, with CSS close to GitHub's), and headless Chromium takes a screenshot of each.
//
//   npm run pictures          # writes docs/summary-success.png, -failure.png, -several.png, -check.png
//
// Needs Chromium (apt-get install -y chromium fonts-noto-color-emoji; or CHROMIUM=/path/to/chrome).
// Not part of `npm test`: CI has no Chromium.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { marked } from 'marked';
import { scheduledHistory, startEmulator, type EmulatorOptions, type FlowScenario } from '../test/emulator/emulator.ts';
import { weekOfHourlyRuns } from '../test/emulator/examples.ts';
import { baseInputs, runAction } from '../test/e2e/harness.ts';

const DOCS = resolve(import.meta.dirname, '../docs');
const CHROMIUM = process.env.CHROMIUM ?? 'chromium';
const WIDTH = 1100;
const SCALE = 2;

const ORDERS = '3abea21c-7e36-4be1-bec1-d3bad0e3e0de';
const CUSTOMERS = '7f6c2a10-94d3-4c55-9a0e-2b8d1e6f4c31';
const PRODUCTS = 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f';

/** Fixed times, so that the pictures change only when the summary does. */
const TIMES = {
  'window-start': '2025-06-01T00:00:00Z',
  'window-end': '2025-06-02T00:00:00Z',
  'start-time': '2025-06-02T00:05:00Z',
};

interface Picture {
  file: string;
  flows: Record<string, FlowScenario>;
  inputs: Record<string, string>;
  /** The bundled entry (default: the main action's). */
  entry?: string;
  /** More of the emulator's options (a flow's history, for the check). */
  emulator?: EmulatorOptions;
}

const HOUR = 3_600_000;
const NOW = Date.now();

const failedRun: FlowScenario = {
  statuses: ['inProgress', 'failed'],
  errors: [{ code: 'CONNECTOR-2001-500', message: 'Processing of the copied data failed' }],
  activityErrors: [
    { code: 'MAPPER-3700-400', message: "Value '31/02/1990' of field birthDate is not a date", recordCount: 1204 },
    { code: 'INGEST-1212-400', message: 'Required field customerId is missing', recordCount: 37 },
  ],
  batchIds: ['01JXA7Q3M8V4K2N6R0T9W5Y1ZC'],
  manifest: true,
  records: { input: 48_210, created: 46_969, failed: 1241 },
  files: { input: 4, output: 3, failed: 1 },
};

const PICTURES: Picture[] = [
  {
    file: 'summary-success.png',
    flows: {
      [ORDERS]: { statuses: ['inProgress', 'success'], records: { input: 48_210, created: 48_210, failed: 0 } },
    },
    inputs: { 'flow-id': ORDERS, wait: 'true' },
  },
  {
    file: 'summary-failure.png',
    flows: { [ORDERS]: failedRun },
    inputs: { 'flow-id': ORDERS, wait: 'true' },
  },
  {
    file: 'summary-several.png',
    flows: {
      [ORDERS]: { statuses: ['inProgress', 'success'] },
      [CUSTOMERS]: {
        statuses: ['inProgress', 'partialSuccess'],
        manifest: true,
        records: { input: 9_120, created: 9_006, failed: 114 },
      },
      [PRODUCTS]: {
        statuses: ['inProgress', 'failed'],
        errors: [{ code: 'CONNECTOR-1001-500', message: 'Could not connect to the source: authentication failed' }],
        records: { input: 0, created: 0, failed: 0 },
        files: { input: 0, output: 0, failed: 0 },
      },
    },
    inputs: { 'flow-id': [ORDERS, CUSTOMERS, PRODUCTS].join('\n'), wait: 'true' },
  },
  {
    // The check action: a week of hourly runs each; one fresh, one stale, one whose newest runs failed.
    file: 'summary-check.png',
    entry: resolve(import.meta.dirname, '../dist/check/index.js'),
    flows: {
      [ORDERS]: { details: { name: 'Orders, hourly files', frequency: 'hour' } },
      [CUSTOMERS]: { details: { name: 'Customers, CRM', frequency: 'hour' } },
      [PRODUCTS]: { details: { name: 'Products, daily table', frequency: 'day' } },
    },
    emulator: {
      existingRuns: [
        ...weekOfHourlyRuns(ORDERS, CUSTOMERS, NOW),
        ...scheduledHistory(PRODUCTS, { fromMs: NOW - 7 * 24 * HOUR, toMs: NOW - 2 * 24 * HOUR, everyMs: 24 * HOUR }),
      ],
    },
    inputs: { 'flow-id': [ORDERS, CUSTOMERS, PRODUCTS].join('\n'), 'max-age': '26h', lookback: '7d' },
  },
];

/** Runs the action for one picture and returns its job summary (Markdown). */
async function summaryOf(picture: Picture): Promise<string> {
  const emulator = await startEmulator({ flows: picture.flows, ...picture.emulator });
  try {
    const inputs = baseInputs(emulator, { ...TIMES, 'poll-interval': '20ms', ...picture.inputs });
    // The manifest's failed-record addresses point at the emulator; show the host Adobe gives instead.
    emulator.url = 'https://platform.adobe.io';
    const result = await runAction(inputs, picture.entry ? { entry: picture.entry } : {});
    if (!result.summary) throw new Error(`${picture.file}: the action wrote no summary\n${result.stdout}`);
    return result.summary;
  } finally {
    await emulator.close();
  }
}

/** A page that looks like GitHub's job summary: the job's box, its title bar, and the Markdown. */
function page(markdown: string): string {
  const body = marked.parse(markdown, { async: false, gfm: true });
  return `<!doctype html>
<html><head><meta charset="utf-8"><style>${CSS}</style></head>
<body><div class="box"><div class="bar">ingest summary</div><div class="markdown-body">${body}</div></div>
<script>document.body.dataset.height = Math.ceil(document.documentElement.scrollHeight);</script>
</body></html>`;
}

const CSS = `
* { box-sizing: border-box; }
body { margin: 0; padding: 16px; background: #f6f8fa; color: #1f2328;
  font: 14px/1.5 -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif,
  "Apple Color Emoji", "Segoe UI Emoji", "Noto Color Emoji"; }
.box { background: #fff; border: 1px solid #d1d9e0; border-radius: 6px; overflow: hidden; }
.bar { padding: 12px 16px; border-bottom: 1px solid #d1d9e0; font-weight: 600; background: #f6f8fa; }
.markdown-body { padding: 16px 24px 8px; overflow-wrap: break-word; }
h3 { font-size: 1.25em; font-weight: 600; margin: 8px 0 16px; }
h4 { font-size: 1em; font-weight: 600; margin: 24px 0 12px; }
p, ul, table, pre { margin: 0 0 16px; }
ul { padding-left: 2em; }
li + li { margin-top: 4px; }
a { color: #0969da; text-decoration: none; }
code { font: 85% ui-monospace, SFMono-Regular, "DejaVu Sans Mono", Menlo, monospace;
  background: rgba(129, 139, 152, 0.12); border-radius: 6px; padding: 0.2em 0.4em; }
pre { background: #f6f8fa; border-radius: 6px; padding: 16px; overflow: auto; }
pre code { background: none; padding: 0; }
table { border-collapse: collapse; display: block; width: max-content; max-width: 100%; overflow: auto; }
th, td { border: 1px solid #d1d9e0; padding: 6px 13px; text-align: left; }
tr:nth-child(2n) { background: #f6f8fa; }
thead:not(:has(th:not(:empty))) { display: none; }
td:first-child { font-weight: 600; white-space: nowrap; }
`;

/** Headless Chromium, with nothing of its own going on and a profile of its own. */
function chromium(profile: string, ...args: string[]): string {
  const run = spawnSync(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--hide-scrollbars',
      `--user-data-dir=${profile}`,
      ...args,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (run.status !== 0) throw new Error(`${CHROMIUM} failed (${run.status ?? run.signal}): ${run.stderr}`);
  return run.stdout;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'summary-pictures-'));
  try {
    for (const picture of PICTURES) {
      const html = join(dir, picture.file.replace(/\.png$/, '.html'));
      writeFileSync(html, page(await summaryOf(picture)));
      // First the page's height, measured by the page itself; then a screenshot exactly that tall.
      const dom = chromium(join(dir, 'profile-measure'), `--window-size=${WIDTH},600`, '--dump-dom', html);
      const height = Number(/data-height="(\d+)"/.exec(dom)?.[1]);
      if (!Number.isFinite(height) || height <= 0) throw new Error(`${picture.file}: could not measure the page`);
      const out = join(DOCS, picture.file);
      chromium(
        join(dir, 'profile-shot'),
        `--window-size=${WIDTH},${height}`,
        `--force-device-scale-factor=${SCALE}`,
        `--screenshot=${out}`,
        html,
      );
      console.log(`${out}: ${WIDTH}x${height} (x${SCALE}), ${readFileSync(out).length} bytes`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
