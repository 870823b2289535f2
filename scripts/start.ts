// `npm start`: the whole supergraph on this machine. Uses DATABASE_URL when set, otherwise an
// embedded PostgreSQL under .data/; migrates every subgraph database and seeds it on first run.
process.env.APOLLO_TELEMETRY_DISABLED ??= '1';
const { createLogger } = await import('@storefront/shared');
const { startStack } = await import('./lib/stack.ts');
const { startEmbeddedPostgres } = await import('./lib/embeddedPostgres.ts');

const log = createLogger('start', { level: process.env.LOG_LEVEL ?? 'info' });
const started = Date.now();
const embedded = process.env.DATABASE_URL ? null : await startEmbeddedPostgres();
if (embedded) log.info(`DATABASE_URL is unset: using embedded PostgreSQL at ${embedded.url.replace(/:[^:@/]*@/, ':***@')}`);
if (!process.env.REDIS_URL) log.info('REDIS_URL is unset: events and caches use the in-process transport');

const stack = await startStack({ databaseServerUrl: process.env.DATABASE_URL ?? embedded!.url, seed: 'when-created', log });
for (const [name, url] of Object.entries(stack.subgraphUrls)) log.info(`subgraph ${name.padEnd(9)} ${url}`);
log.info(`gateway ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
console.log(`\n  Storefront supergraph: ${stack.gatewayUrl}\n  Open it in a browser for Apollo Sandbox.\n`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    if (stopping) return;
    stopping = true;
    await stack.stop();
    await embedded?.stop();
    process.exit(0);
  });
}
