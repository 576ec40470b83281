// What a run's `metrics.statusSummary.status` means. No enum is published and the service spells
// the same status several ways (`success`, `SUCCESS`, `partialSuccess`, `PARTIAL_SUCCESS`), so
// statuses are compared without case or underscores, and anything unknown means "not finished".

export type Outcome = 'success' | 'failure' | 'partial' | 'pending';

const OUTCOMES: Record<string, Outcome> = {
  success: 'success',
  completed: 'success',
  failed: 'failure',
  partialfailure: 'failure',
  cancelled: 'failure',
  partialsuccess: 'partial',
};

export function classifyStatus(status: string | undefined): Outcome {
  if (!status) return 'pending';
  return OUTCOMES[status.replaceAll('_', '').toLowerCase()] ?? 'pending';
}

export function isFinal(status: string | undefined): boolean {
  return classifyStatus(status) !== 'pending';
}
