import type { Logger } from '../log.ts';

export interface PeriodicJob {
  stop(): Promise<void>;
}

/**
 * Runs `work` every `intervalMs` until stopped (sweepers, expiry jobs). A run still going skips the
 * next tick instead of piling up; failures are logged and the next tick tries again; `stop` waits
 * for a run in progress.
 */
export function startPeriodicJob(name: string, intervalMs: number, work: () => Promise<unknown>, log: Logger): PeriodicJob {
  let running: Promise<unknown> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = work()
      .catch((err) => log.error({ err, job: name }, `${name} failed`))
      .finally(() => {
        running = null;
      });
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
