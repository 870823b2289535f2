/**
 * At most `concurrency` tasks at once; the rest wait their turn in arrival order. Used where work
 * needs scarce resources (database connections, downstream calls), so a burst queues instead of
 * failing on pool timeouts.
 */
export function createLimiter(concurrency: number) {
  let active = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    active -= 1;
    waiting.shift()?.();
  };
  return {
    get pending() {
      return waiting.length;
    },
    async run<T>(task: () => Promise<T>): Promise<T> {
      if (active >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
      active += 1;
      try {
        return await task();
      } finally {
        release();
      }
    },
  };
}

export type Limiter = ReturnType<typeof createLimiter>;
