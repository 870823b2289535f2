import { performance } from 'node:perf_hooks';

/**
 * A small closed-loop load generator (autocannon-style): `concurrency` workers each send one request, wait for
 * the answer, and send the next, for `durationMs` after a warm-up. Uses node's fetch; no extra dependency.
 */

export interface LoadOptions {
  name: string;
  concurrency: number;
  durationMs: number;
  warmupMs?: number;
  /** Sends request number `i` and resolves when its response has been read; throws (or returns false) on failure. */
  request: (i: number) => Promise<boolean | void>;
}

export interface LoadResult {
  name: string;
  concurrency: number;
  durationSeconds: number;
  requests: number;
  errors: number;
  rps: number;
  latencyMs: { mean: number; p50: number; p95: number; p99: number; max: number };
}

/** Nearest-rank percentile of an ascending list. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

const round = (n: number) => Math.round(n * 100) / 100;

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  let counter = 0;
  const phase = async (durationMs: number, record: boolean) => {
    const latencies: number[] = [];
    let errors = 0;
    const deadline = performance.now() + durationMs;
    const worker = async () => {
      while (performance.now() < deadline) {
        const i = counter++;
        const started = performance.now();
        let ok = false;
        try {
          ok = (await options.request(i)) !== false;
        } catch {
          ok = false;
        }
        if (!record) continue;
        if (ok) latencies.push(performance.now() - started);
        else errors += 1;
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: options.concurrency }, worker));
    return { latencies, errors, elapsedMs: performance.now() - started };
  };

  if (options.warmupMs) await phase(options.warmupMs, false);
  const { latencies, errors, elapsedMs } = await phase(options.durationMs, true);
  latencies.sort((a, b) => a - b);
  const total = latencies.reduce((s, x) => s + x, 0);
  return {
    name: options.name,
    concurrency: options.concurrency,
    durationSeconds: round(elapsedMs / 1000),
    requests: latencies.length,
    errors,
    rps: round(latencies.length / (elapsedMs / 1000)),
    latencyMs: {
      mean: round(latencies.length ? total / latencies.length : 0),
      p50: round(percentile(latencies, 50)),
      p95: round(percentile(latencies, 95)),
      p99: round(percentile(latencies, 99)),
      max: round(latencies[latencies.length - 1] ?? 0),
    },
  };
}

export function formatTable(results: LoadResult[]): string {
  const header = ['scenario', 'conc', 'requests', 'errors', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'];
  const rows = results.map((r) => [r.name, r.concurrency, r.requests, r.errors, r.rps, r.latencyMs.p50, r.latencyMs.p95, r.latencyMs.p99, r.latencyMs.max].map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
