import { expect, it } from 'vitest';
import { forEachLimited } from '../../src/pool.ts';

it('runs every task, never more than the limit at once, starting the next as soon as one ends', async () => {
  let running = 0;
  let most = 0;
  const done: number[] = [];
  // The first task ends only once the five others have (or after a second, should the pool hold
  // them back behind it): no race between timers, so a loaded machine cannot change the order.
  const slowMayEnd = Promise.withResolvers<void>();
  setTimeout(slowMayEnd.resolve, 1000);
  await forEachLimited(['slow', 'fast', 'fast', 'fast', 'fast', 'fast'], 2, async (kind, i) => {
    running += 1;
    most = Math.max(most, running);
    if (kind === 'slow') await slowMayEnd.promise;
    else await new Promise((r) => setTimeout(r, 1));
    running -= 1;
    done.push(i);
    if (done.length === 5) slowMayEnd.resolve();
  });
  expect(most).toBe(2);
  expect([...done].sort()).toEqual([0, 1, 2, 3, 4, 5]);
  expect(done.indexOf(0)).toBe(5); // the slow one did not hold the others back
});

it('handles fewer items than the limit, and none', async () => {
  const seen: string[] = [];
  await forEachLimited(['a'], 5, async (x) => void seen.push(x));
  await forEachLimited([], 5, async () => expect.fail('no task expected'));
  expect(seen).toEqual(['a']);
});
