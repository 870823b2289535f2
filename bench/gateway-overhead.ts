// Gateway overhead on the standard federation workload (../shared/bench/federation-gateways):
// this project's gateway against plain @apollo/gateway, on the same four subgraphs (responses
// cached, so the gateways are what is measured), and both against calling a subgraph directly.
//   npx tsx bench/gateway-overhead.ts        (BENCH_SECONDS per run, default 10; BENCH_CONCURRENCY, default 20)
// Runs alternate A B A B; figures go to bench/results/gateway-overhead.json.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '@storefront/shared/db';
import { formatTable, runLoad, type LoadResult } from './lib/load.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 20);
const workload = join(REPO_ROOT, '..', 'shared', 'bench', 'federation-gateways');
if (!existsSync(workload)) throw new Error(`workload not found at ${workload}`);

// The workload folder is read-only; run it from a copy that resolves packages from this repo.
const dir = mkdtempSync(join(os.tmpdir(), 'fedbench-'));
cpSync(workload, dir, { recursive: true });
symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));

const children: ChildProcess[] = [];
function start(args: string[], env: Record<string, string>, ready: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, ...env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    child.stdout!.on('data', (d) => ready.test(String(d)) && resolve());
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}`)));
  });
}
const tsx = join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');

try {
  await start([join(dir, 'subgraphs.mjs')], { PORT: '4200', SUBGRAPH_CACHE: '1' }, /subgraphs on/);
  await start([join(dir, 'gateway.mjs')], { PORT: '4300' }, /gateway at/);
  await start([tsx, join(REPO_ROOT, 'bench/lib/ourGateway.ts')], // Protections stay on; the workload's unbounded lists need a higher cost ceiling than the storefront's default.
    { GATEWAY_PORT: '4400', SUPERGRAPH_PATH: join(dir, 'supergraph.loopback.graphql'), NODE_ENV: 'development', LIMIT_MAX_COST: '100000', LIMIT_MAX_DEPTH: '15', INVENTORY_URL: 'http://127.0.0.1:4200/inventory' }, /gateway at/);

  const expected = JSON.parse(readFileSync(join(dir, 'expected-response.json'), 'utf8'));
  const full = readFileSync(join(dir, 'payload.json'), 'utf8');
  const single = JSON.stringify({ query: '{ topProducts(first: 5) { upc name price weight } }' });
  const post = (url: string, body: string, check?: (json: any) => boolean) => async () => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const json = await res.json();
    return res.ok && !json.errors && (!check || check(json));
  };
  const exact = (json: any) => JSON.stringify(json.data) === JSON.stringify(expected.data);
  for (const [name, url] of [['plain @apollo/gateway', 'http://127.0.0.1:4300/graphql'], ['this gateway', 'http://127.0.0.1:4400/graphql']]) {
    if (!(await post(url, full, exact)())) throw new Error(`${name} does not return the expected response`);
  }

  const scenarios: { name: string; request: () => Promise<boolean> }[] = [
    { name: 'nested query (16 fetches): plain @apollo/gateway', request: post('http://127.0.0.1:4300/graphql', full) },
    { name: 'nested query (16 fetches): this gateway', request: post('http://127.0.0.1:4400/graphql', full) },
    { name: 'single-subgraph query: direct to products', request: post('http://127.0.0.1:4200/products', single) },
    { name: 'single-subgraph query: plain @apollo/gateway', request: post('http://127.0.0.1:4300/graphql', single) },
    { name: 'single-subgraph query: this gateway', request: post('http://127.0.0.1:4400/graphql', single) },
  ];
  const results: LoadResult[] = [];
  for (let round = 0; round < 2; round++) {
    for (const s of scenarios) results.push(await runLoad({ name: `${s.name} (round ${round + 1})`, concurrency, durationMs: seconds * 1000, warmupMs: 2000, request: s.request }));
  }
  console.log(formatTable(results));
  const rps = (prefix: string) => {
    const rs = results.filter((r) => r.name.startsWith(prefix)).map((r) => r.rps);
    return rs.reduce((a, b) => a + b, 0) / rs.length;
  };
  const ratios = {
    nestedOursOverPlain: rps('nested query (16 fetches): this gateway') / rps('nested query (16 fetches): plain'),
    singleOursOverDirect: rps('single-subgraph query: this gateway') / rps('single-subgraph query: direct'),
    singlePlainOverDirect: rps('single-subgraph query: plain') / rps('single-subgraph query: direct'),
  };
  console.log('\nratios (mean RPS of both rounds):', Object.fromEntries(Object.entries(ratios).map(([k, v]) => [k, Math.round(v * 100) / 100])));
  mkdirSync(join(REPO_ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(
    join(REPO_ROOT, 'bench', 'results', 'gateway-overhead.json'),
    `${JSON.stringify({ ranAt: new Date().toISOString(), machine: { cpus: os.cpus().length, node: process.version }, seconds, concurrency, results, ratios }, null, 2)}\n`,
  );
} finally {
  for (const c of children) c.kill('SIGTERM');
}
