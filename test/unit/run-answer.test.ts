// What the action reads of a run answer in the spellings Adobe's own files use.
import { describe, expect, it } from 'vitest';
import { parseRunAnswer } from '../../src/answers.ts';

const RUN = '7af3ba45-4952-4371-8361-1b30134be7eb';
const answer = (run: Record<string, unknown>) => ({
  status: 200,
  headers: {},
  text: JSON.stringify({ items: [{ id: RUN, metrics: { statusSummary: { status: 'success' } }, ...run }] }),
});
const copyActivity = {
  id: 'copyActivity',
  durationSummary: { extensions: { windowStart: 1_700_000_000_000, windowEnd: 1_700_003_600_000 } },
  statusSummary: { errors: [{ code: 'CONNECTOR-1001-500', message: 'copy failed' }] },
};

describe('parseRunAnswer', () => {
  it("reads the window and errors from 'activites', as Adobe's OpenAPI file (FlowRunItemDTO) spells it", () => {
    for (const key of ['activities', 'activites']) {
      const run = parseRunAnswer(answer({ [key]: [copyActivity] }), 'the read', { runId: RUN });
      expect(run.window, key).toEqual({ start: 1_700_000_000, end: 1_700_003_600, from: 'copy activity' });
      expect(run.errors, key).toEqual([{ code: 'CONNECTOR-1001-500', message: 'copy failed' }]);
    }
  });
});
