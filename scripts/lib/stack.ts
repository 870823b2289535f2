import { SUBGRAPH_NAMES, SUBGRAPHS, withDatabase, createLogger, type SubgraphName, type SubgraphServer, type Logger } from '@storefront/shared';
import { applyMigrations, ensureDatabase, dropDatabase } from '@storefront/shared/db';
import { demoFixture } from '@storefront/shared/fixtures';
import { createEventTransport, type EventTransport } from '@storefront/shared/events';
import { createGateway, loadGatewayConfig, type GatewayServer } from '@storefront/gateway';

/**
 * Runs the whole supergraph in one process: seven subgraphs, each on its own port and database,
 * and the gateway in front. `npm start` and the end-to-end tests both use it; production runs
 * each service as its own process (`npm start -w @storefront/<name>`).
 */

interface SubgraphModule {
  create: (options: { databaseUrl: string; log?: Logger; events?: EventTransport } & Record<string, unknown>) => Promise<SubgraphServer>;
  createDb: (url: string) => { $disconnect(): Promise<void> };
  seed: (db: any, fixture: ReturnType<typeof demoFixture>) => Promise<void>;
}

const pascal = (name: string) => name[0].toUpperCase() + name.slice(1);

async function loadSubgraph(name: SubgraphName): Promise<SubgraphModule> {
  const mod: Record<string, any> = await import(`@storefront/${name}`);
  const P = pascal(name);
  return { create: mod[`create${P}Server`], createDb: mod[`create${P}Db`], seed: mod[`seed${P}`] };
}

export interface StackOptions {
  /** A PostgreSQL server URL; each subgraph gets its own database on it. */
  databaseServerUrl: string;
  /** Database name per subgraph; defaults to storefront_<name>. */
  databaseName?: (name: SubgraphName) => string;
  /** Seed the demo data: 'always', 'when-created' (first run) or 'never'. */
  seed?: 'always' | 'when-created' | 'never';
  /** 0 picks free ports (tests); otherwise the default ports. */
  ports?: 'default' | 'random';
  gatewayPort?: number;
  log?: Logger;
  /** Where domain events travel; defaults to Redis Streams at REDIS_URL, else in-process. */
  events?: EventTransport;
  /** Extra options for a subgraph's server factory (tests isolate Redis key prefixes this way). */
  subgraphOptions?: Partial<Record<SubgraphName, Record<string, unknown>>>;
}

export interface Stack {
  gatewayUrl: string;
  events: EventTransport;
  gateway: GatewayServer;
  subgraphUrls: Record<SubgraphName, string>;
  databaseUrls: Record<SubgraphName, string>;
  stopSubgraph(name: SubgraphName): Promise<void>;
  startSubgraph(name: SubgraphName): Promise<void>;
  stop(options?: { dropDatabases?: boolean }): Promise<void>;
}

export async function prepareDatabase(name: SubgraphName, url: string, seed: StackOptions['seed'], log: Logger): Promise<void> {
  const created = await ensureDatabase(url);
  const applied = await applyMigrations(name, url);
  if (applied.length) log.info({ subgraph: name, applied }, 'applied migrations');
  if (seed === 'always' || (seed === 'when-created' && created)) {
    const mod = await loadSubgraph(name);
    const db = mod.createDb(url);
    try {
      await mod.seed(db, demoFixture());
    } finally {
      await db.$disconnect();
    }
    log.info({ subgraph: name }, 'seeded demo data');
  }
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const log = options.log ?? createLogger('stack');
  const dbName = options.databaseName ?? ((n: SubgraphName) => `storefront_${n}`);
  const databaseUrls = Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, withDatabase(options.databaseServerUrl, dbName(n))])) as Record<SubgraphName, string>;
  await Promise.all(SUBGRAPH_NAMES.map((n) => prepareDatabase(n, databaseUrls[n], options.seed ?? 'when-created', log)));

  const events = options.events ?? createEventTransport(process.env, log);
  const servers = new Map<SubgraphName, SubgraphServer>();
  const ports = new Map<SubgraphName, number>();
  const subgraphUrls = {} as Record<SubgraphName, string>;
  async function startSubgraph(name: SubgraphName) {
    const mod = await loadSubgraph(name);
    const server = await mod.create({ ...options.subgraphOptions?.[name], databaseUrl: databaseUrls[name], events });
    const port = ports.get(name) ?? (options.ports === 'random' ? 0 : SUBGRAPHS[name]);
    const base = await server.listen(port);
    ports.set(name, Number(new URL(base).port));
    subgraphUrls[name] = `${base}/graphql`;
    // Subgraphs that call each other (cart asks catalog for prices) find their peers here.
    process.env[`${name.toUpperCase()}_URL`] = subgraphUrls[name];
    servers.set(name, server);
  }
  for (const name of SUBGRAPH_NAMES) await startSubgraph(name);

  const env = { ...process.env, ...Object.fromEntries(SUBGRAPH_NAMES.map((n) => [`${n.toUpperCase()}_URL`, subgraphUrls[n]])) };
  const config = loadGatewayConfig(env);
  const gateway = await createGateway(config, undefined, { events });
  const gatewayUrl = `${await gateway.listen(options.gatewayPort ?? (options.ports === 'random' ? 0 : config.port))}/graphql`;

  return {
    gatewayUrl,
    events,
    gateway,
    subgraphUrls,
    databaseUrls,
    startSubgraph,
    async stopSubgraph(name) {
      await servers.get(name)?.close();
      servers.delete(name);
    },
    async stop({ dropDatabases = false } = {}) {
      await gateway.close();
      await Promise.all([...servers.values()].map((s) => s.close()));
      await events.close();
      if (dropDatabases) await Promise.all(Object.values(databaseUrls).map((u) => dropDatabase(u)));
    },
  };
}
