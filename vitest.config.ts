import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The end-to-end files mostly wait (on child processes, timeouts, retry back-off), so they need
    // fewer cores than workers. Vitest's default, one worker fewer than the cores, is one worker on
    // a 2-core runner: 144 s for `npm test` there, against 68-71 s with three (85 s with a busy
    // loop beside it), with every timing assertion still inside its bound.
    maxWorkers: 3,
  },
});
