import { performance } from 'node:perf_hooks';
import { percentile } from './load.ts';

/**
 * A closed-loop load test of several variants of one thing (protections off / on), interleaved in
 * short slices: off, on, on, off, off, on, ... so that whatever else the machine is doing weighs on
 * every variant alike. Reports per variant: req/s over its own slices, latency percentiles over all
 * its requests, and this process's CPU time per request.
 */
export interface InterleavedResult {
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  latencyMs: { mean: number; p50: number; p95: number; p99: number; max: number };
  cpuMsPerRequest: number;
}

const r2 = (n: number) => Math.round(n * 100) / 100;

export async function interleavedLoad(options: {
  concurrency: number;
  slices: number;
  sliceMs: number;
  warmupMs: number;
  variants: Record<string, () => Promise<boolean>>;
}): Promise<Record<string, InterleavedResult>> {
  const names = Object.keys(options.variants);
  const acc = Object.fromEntries(names.map((n) => [n, { latencies: [] as number[], errors: 0, ms: 0, cpuUs: 0, sent: 0 }]));

  async function slice(name: string, durationMs: number, record: boolean) {
    const request = options.variants[name];
    const a = acc[name];
    const deadline = performance.now() + durationMs;
    const cpu = process.cpuUsage();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (performance.now() < deadline) {
          const t = performance.now();
          let ok = false;
          try {
            ok = await request();
          } catch {
            ok = false;
          }
          if (!record) continue;
          a.sent += 1;
          if (ok) a.latencies.push(performance.now() - t);
          else a.errors += 1;
        }
      }),
    );
    if (!record) return;
    a.ms += performance.now() - started;
    const used = process.cpuUsage(cpu);
    a.cpuUs += used.user + used.system;
  }

  for (const name of names) await slice(name, options.warmupMs, false);
  for (let i = 0; i < options.slices; i++) {
    const order = i % 2 ? [...names].reverse() : names;
    for (const name of order) await slice(name, options.sliceMs, true);
  }

  return Object.fromEntries(
    names.map((name) => {
      const a = acc[name];
      const sorted = a.latencies.sort((x, y) => x - y);
      return [
        name,
        {
          requests: sorted.length,
          errors: a.errors,
          seconds: r2(a.ms / 1000),
          rps: r2(sorted.length / (a.ms / 1000)),
          latencyMs: {
            mean: r2(sorted.reduce((s, x) => s + x, 0) / Math.max(1, sorted.length)),
            p50: r2(percentile(sorted, 50)),
            p95: r2(percentile(sorted, 95)),
            p99: r2(percentile(sorted, 99)),
            max: r2(sorted[sorted.length - 1] ?? 0),
          },
          cpuMsPerRequest: r2(a.cpuUs / 1000 / Math.max(1, a.sent)),
        },
      ];
    }),
  );
}
