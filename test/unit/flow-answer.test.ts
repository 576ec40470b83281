import { describe, expect, it } from 'vitest';
import { parseFlowAnswer } from '../../src/answers.ts';

const ID = 'f1f1f1f1-0000-4000-8000-000000000001';
const answer = (flow: Record<string, unknown>) => ({
  status: 200,
  headers: {},
  text: JSON.stringify({ items: [{ id: ID, name: 'Orders', state: 'enabled', ...flow }] }),
});

describe('parseFlowAnswer: what the check reads of a flow', () => {
  it('reads the schedule and lastRunDetails', () => {
    const flow = parseFlowAnswer(
      answer({
        scheduleParams: { frequency: 'hour', interval: 1, startTime: '1700000000' },
        lastRunDetails: {
          id: 'run-1',
          state: 'success',
          startedAtUTC: 1_700_000_000_000,
          completedAtUTC: 1_700_000_600_000,
        },
      }),
      ID,
    );
    expect(flow).toMatchObject({
      frequency: 'hour',
      interval: 1,
      lastRunDetails: {
        id: 'run-1',
        state: 'success',
        startedAtUTC: 1_700_000_000_000,
        completedAtUTC: 1_700_000_600_000,
      },
    });
  });

  it('takes an interval given as a string, and drops one that is not a count', () => {
    expect(parseFlowAnswer(answer({ scheduleParams: { frequency: 'minute', interval: '15' } }), ID)?.interval).toBe(15);
    expect(parseFlowAnswer(answer({ scheduleParams: { frequency: 'minute', interval: 'x' } }), ID)?.interval).toBe(
      undefined,
    );
  });

  it('drops lastRunDetails without a well-formed run ID, and times that are not epoch ms', () => {
    expect(
      parseFlowAnswer(answer({ lastRunDetails: { id: '<img src=x>', state: 'success' } }), ID)?.lastRunDetails,
    ).toBe(undefined);
    const flow = parseFlowAnswer(
      answer({
        lastRunDetails: {
          id: 'run-1',
          state: 'failed\n::error::x',
          startedAtUTC: 1_700_000_000,
          completedAtUTC: 'soon',
        },
      }),
      ID,
    );
    expect(flow?.lastRunDetails).toEqual({
      id: 'run-1',
      state: 'failed ::error::x',
      startedAtUTC: undefined,
      completedAtUTC: undefined,
    });
  });

  it('has no lastRunDetails for a flow that never ran', () => {
    expect(parseFlowAnswer(answer({}), ID)?.lastRunDetails).toBeUndefined();
  });
});
