// Cancellation: the runner sends SIGINT, then SIGTERM, when the job is cancelled. Every entry's story
// listens for them first, and every request and every sleep listens to the one signal this gives.

/** SIGINT/SIGTERM (the job was cancelled) abort whatever is in flight. */
export function cancelOnSignals(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = (name: string) => controller.abort(new Error(`received ${name}`));
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
