import type { EventTransport } from '@storefront/shared/events';
import { createSubgraphServer, subgraphTypeDefs, type Logger } from '@storefront/shared';
import { createLoyaltyDb, type LoyaltyDb } from './db.ts';
import { createLoyaltyContext } from './context.ts';
import { resolvers } from './resolvers/index.ts';
import { privacyExportRoute, userDeletedConsumer } from './privacy.ts';
import { DEFAULT_EXPIRE_AFTER_MS, DEFAULT_HOLD_PENDING_MS, startExpiryJob } from './services/expiry.ts';
import { applyOrderEvent, ORDER_EVENTS_CONSUMER } from './services/orderEvents.ts';

export interface LoyaltyServerOptions {
  /** When given, the outbox relay and this subgraph's event consumers run with the server. */
  events?: EventTransport;
  databaseUrl: string;
  db?: LoyaltyDb;
  log?: Logger;
  secret?: string;
  /**
   * The points-expiry job: runs every intervalMs (0 = off; default LOYALTY_EXPIRY_INTERVAL_MS or
   * hourly) and expires available points older than expireAfterMs (default
   * LOYALTY_POINTS_EXPIRE_AFTER_MS or 365 days); the same run releases pending points held longer
   * than holdPendingMs (default LOYALTY_HOLD_PENDING_MS or 30 days). See services/expiry.ts.
   */
  expiry?: { intervalMs?: number; expireAfterMs?: number; holdPendingMs?: number };
}

export async function createLoyaltyServer(options: LoyaltyServerOptions) {
  const db = options.db ?? createLoyaltyDb(options.databaseUrl);
  const env = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
  const expiry = startExpiryJob(db, {
    intervalMs: options.expiry?.intervalMs ?? env('LOYALTY_EXPIRY_INTERVAL_MS', 60 * 60 * 1000),
    expireAfterMs: options.expiry?.expireAfterMs ?? env('LOYALTY_POINTS_EXPIRE_AFTER_MS', DEFAULT_EXPIRE_AFTER_MS),
    holdPendingMs: options.expiry?.holdPendingMs ?? env('LOYALTY_HOLD_PENDING_MS', DEFAULT_HOLD_PENDING_MS),
    log: options.log,
  });
  return createSubgraphServer({
    name: 'loyalty',
    typeDefs: subgraphTypeDefs(new URL('./schema.graphql', import.meta.url)),
    resolvers: resolvers as any,
    createContext: createLoyaltyContext(db),
    routes: [privacyExportRoute(db, options.secret)],
    ready: () => db.$queryRaw`SELECT 1`,
    onClose: async () => {
      await expiry.stop();
      if (!options.db) await db.$disconnect();
    },
    log: options.log,
    secret: options.secret,
    events: options.events
      ? {
          transport: options.events,
          outbox: db,
          listenUrl: options.databaseUrl,
          consumers: [{ group: ORDER_EVENTS_CONSUMER, types: ['OrderStatusChanged'], handler: (e) => applyOrderEvent(db, e) }, userDeletedConsumer(db)],
        }
      : undefined,
  });
}
