import { LiveEvents, type EventTransport } from '@storefront/shared/events';
import { LIVE_EVENT_TYPES } from './services/live.ts';
import { createLogger, createSubgraphServer, publicQueriesPlugin, subgraphTypeDefs, type Logger } from '@storefront/shared';
import { startReservationSweeper } from './services/reservations.ts';
import { createInventoryDb, type InventoryDb } from './db.ts';
import { createInventoryContext } from './context.ts';
import { resolvers } from './resolvers/index.ts';
import { privacyExportRoute } from './privacy.ts';

export interface InventoryServerOptions {
  /** When given, the outbox relay and this subgraph's event consumers run with the server. */
  events?: EventTransport;
  databaseUrl: string;
  db?: InventoryDb;
  log?: Logger;
  secret?: string;
  /** How often expired reservations are released; 0 turns the sweeper off (tests drive it directly). */
  sweepIntervalMs?: number;
  /**
   * How long the gateway may reuse a customer-facing stock answer (INVENTORY_STOCK_MAX_AGE_MS, default 2000;
   * under 1000 marks nothing cacheable). Checkout never reads through it: its reservations ask inventory directly.
   */
  stockMaxAgeMs?: number;
}

export async function createInventoryServer(options: InventoryServerOptions) {
  const db = options.db ?? createInventoryDb(options.databaseUrl);
  const live = options.events ? new LiveEvents(options.events, 'inventory', LIVE_EVENT_TYPES) : undefined;
  const log = options.log ?? createLogger('inventory');
  const sweepIntervalMs = options.sweepIntervalMs ?? Number(process.env.INVENTORY_SWEEP_INTERVAL_MS ?? 30_000);
  const sweeper = sweepIntervalMs > 0 ? startReservationSweeper(db, log.child({ component: 'reservation-sweeper' }), sweepIntervalMs) : null;
  const stockMaxAgeMs = options.stockMaxAgeMs ?? Number(process.env.INVENTORY_STOCK_MAX_AGE_MS ?? 2_000);
  return createSubgraphServer({
    name: 'inventory',
    plugins: [publicQueriesPlugin(stockMaxAgeMs)],
    typeDefs: subgraphTypeDefs(new URL('./schema.graphql', import.meta.url)),
    resolvers: resolvers as any,
    createContext: createInventoryContext(db, live),
    routes: [privacyExportRoute(options.secret)],
    subscriptions: true,
    ready: () => db.$queryRaw`SELECT 1`,
    onClose: async () => {
      await sweeper?.stop();
      await live?.close();
      if (!options.db) await db.$disconnect();
    },
    log,
    secret: options.secret,
    events: options.events ? { transport: options.events, outbox: db, listenUrl: options.databaseUrl } : undefined,
  });
}
