// Running at most `limit` tasks at once, each started as soon as a place is free.

export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<void>,
): Promise<void> {
  const slots = limiter(limit);
  await Promise.all(items.map((item, index) => slots(() => task(item, index))));
}

/** At most `limit` tasks at once, in the order they ask; for stages that send requests. */
export function limiter(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const queue: Array<() => void> = [];
  return async (task) => {
    if (running >= limit) await new Promise<void>((resolve) => queue.push(resolve));
    else running += 1;
    try {
      return await task();
    } finally {
      // The place passes straight to the next in line, or is freed.
      const next = queue.shift();
      if (next) next();
      else running -= 1;
    }
  };
}
