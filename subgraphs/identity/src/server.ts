import type { EventTransport } from '@storefront/shared/events';
import { createLogger, createSubgraphServer, internalSecret, subgraphTypeDefs, type Logger, type SubgraphServer } from '@storefront/shared';
import { createIdentityDb, type IdentityDb } from './db.ts';
import { createIdentityContext } from './context.ts';
import { resolvers } from './resolvers/index.ts';
import { captureRequestInfo } from './requestInfo.ts';
import { jwksRoute, verifyClientRoute } from './routes.ts';
import { SigningKeys } from './services/signingKeys.ts';
import { createRateLimiter, DEFAULT_RATE_LIMITS, MemoryRateLimiter, type RateLimiter, type RateLimits } from './services/rateLimit.ts';

export interface IdentityServerOptions {
  /** When given, the outbox relay and this subgraph's event consumers run with the server. */
  events?: EventTransport;
  databaseUrl: string;
  db?: IdentityDb;
  log?: Logger;
  secret?: string;
  /** Defaults to Redis at REDIS_URL (see createRateLimiter). A limiter passed in is not closed with the server. */
  limiter?: RateLimiter;
  /** Prefix of the limiter's Redis keys (tests use a fresh one so runs do not share counters). */
  rateLimitPrefix?: string;
  rateLimits?: Partial<RateLimits>;
}

export interface IdentityServer extends SubgraphServer {
  keys: SigningKeys;
  limiter: RateLimiter;
}

export async function createIdentityServer(options: IdentityServerOptions): Promise<IdentityServer> {
  const db = options.db ?? createIdentityDb(options.databaseUrl);
  const log = options.log ?? createLogger('identity');
  const secret = options.secret ?? internalSecret();
  let reported = false; // one log line, not one per reconnect attempt
  const limiter = options.limiter ?? createRateLimiter(process.env, options.rateLimitPrefix, (error) => {
    if (!reported) log.error({ err: { message: error.message } }, 'rate limiter cannot reach Redis');
    reported = true;
  });
  if (limiter instanceof MemoryRateLimiter) log.warn('REDIS_URL is not set: login rate limits are kept in memory, per instance');
  const keys = new SigningKeys(db);
  const limits = { ...DEFAULT_RATE_LIMITS, ...options.rateLimits };

  const server = await createSubgraphServer({
    name: 'identity',
    typeDefs: subgraphTypeDefs(new URL('./schema.graphql', import.meta.url)),
    resolvers: resolvers as any,
    createContext: createIdentityContext({ db, keys, limiter, limits, privacy: { secret } }),
    routes: [jwksRoute(keys), verifyClientRoute(db, secret, log)],
    ready: () => db.$queryRaw`SELECT 1`,
    onClose: async () => {
      if (!options.limiter) await limiter.close();
      if (!options.db) await db.$disconnect();
    },
    log,
    secret,
    events: options.events ? { transport: options.events, outbox: db, listenUrl: options.databaseUrl } : undefined,
  });
  captureRequestInfo(server.http);
  return Object.assign(server, { keys, limiter });
}
