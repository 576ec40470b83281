import { describe, expect, it } from 'vitest';
import { classifyStatus } from '../../src/status.ts';

describe('classifyStatus', () => {
  it.each([
    ['success', 'success'],
    ['SUCCESS', 'success'],
    ['completed', 'success'],
    ['COMPLETED', 'success'],
    ['failed', 'failure'],
    ['Failed', 'failure'],
    ['FAILED', 'failure'],
    ['partialFailure', 'failure'],
    ['PARTIAL_FAILURE', 'failure'],
    ['cancelled', 'failure'],
    ['partialSuccess', 'partial'],
    ['PARTIAL_SUCCESS', 'partial'],
    ['scheduled', 'pending'],
    ['SCHEDULED', 'pending'],
    ['inProgress', 'pending'],
    ['IN_PROGRESS', 'pending'],
    ['QUEUED', 'pending'],
    ['somethingNew', 'pending'],
    ['', 'pending'],
    [undefined, 'pending'],
  ])('%s is %s', (status, outcome) => {
    expect(classifyStatus(status)).toBe(outcome);
  });
});
