import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { createLogger, type Viewer } from '@storefront/shared';
import { createTestDatabase, deleteRedisKeys, gatewayHeaders, postGraphQL, type TestDatabase } from '@storefront/shared/testing';
import { demoFixture } from '@storefront/shared/fixtures';
import { createIdentityDb, createIdentityServer, seedIdentity, type IdentityDb, type IdentityServer, type RateLimits } from '../src/index.ts';

export const fixture = demoFixture();
export const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface Harness {
  database: TestDatabase;
  db: IdentityDb;
  server: IdentityServer;
  base: string;
  url: string;
  /** Every log line the server wrote, for the "no secrets in logs" checks. */
  logs: string[];
  rateLimitPrefix: string;
  /** A GraphQL request signed as the gateway would sign it for `viewer`, from client address `ip`. */
  gql(query: string, variables?: Record<string, unknown>, options?: { viewer?: Partial<Viewer>; ip?: string }): ReturnType<typeof postGraphQL<any>>;
  close(): Promise<void>;
}

let ipCounter = 0;
/** A distinct client address per call, so tests do not share per-IP counters unless they mean to. */
export const freshIp = () => {
  const n = ++ipCounter;
  return `10.${process.pid & 255}.${(n >> 8) & 255}.${n & 255}`;
};

export async function startIdentity(options: { rateLimits?: Partial<RateLimits>; seed?: boolean } = {}): Promise<Harness> {
  const database = await createTestDatabase('identity');
  const db = createIdentityDb(database.url);
  if (options.seed !== false) await seedIdentity(db, fixture);
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const rateLimitPrefix = `test:identity:${randomUUID()}:`;
  const server = await createIdentityServer({
    databaseUrl: database.url,
    db,
    log: createLogger('identity', { level: 'debug', destination }),
    rateLimitPrefix,
    rateLimits: options.rateLimits,
  });
  const base = await server.listen(0);
  const url = `${base}/graphql`;
  return {
    database, db, server, base, url, logs, rateLimitPrefix,
    gql: (query, variables = {}, { viewer = {}, ip = freshIp() } = {}) =>
      postGraphQL(url, query, variables, { ...gatewayHeaders(viewer as Viewer), 'x-forwarded-for': ip }),
    async close() {
      await server?.close();
      await db?.$disconnect();
      await database?.drop();
      const redis = new Redis(redisUrl);
      try {
        await deleteRedisKeys(redis, rateLimitPrefix);
      } finally {
        redis.disconnect();
      }
    },
  };
}

export const SESSION_FIELDS = 'accessToken refreshToken expiresAt refreshTokenExpiresAt retryAfterSeconds user { id email name roles } userErrors { field message code }';

export const REGISTER = `mutation($input: RegisterInput!) { register(input: $input) { ${SESSION_FIELDS} } }`;
export const LOGIN = `mutation($input: LoginInput!) { login(input: $input) { ${SESSION_FIELDS} } }`;
export const REFRESH = `mutation($input: RefreshTokenInput!) { refreshToken(input: $input) { ${SESSION_FIELDS} } }`;
export const LOGOUT = 'mutation($input: LogoutInput!) { logout(input: $input) { success userErrors { field message code } } }';

let userCounter = 0;
/** A unique, valid registration input. */
export const newAccount = (label = 'user') => ({
  email: `${label}.${++userCounter}.${randomUUID().slice(0, 8)}@example.com`,
  password: `Str0ng-${randomUUID().slice(0, 8)}`,
  name: `Test ${label} ${userCounter}`,
});

/** Registers a customer and returns its session (throws on any error). */
export async function registerCustomer(h: Harness, account = newAccount()) {
  const res = await h.gql(REGISTER, { input: account });
  const payload = res.body.data?.register;
  if (!payload || payload.userErrors.length) throw new Error(`register failed: ${JSON.stringify(res.body)}`);
  return { ...account, id: payload.user.id as string, accessToken: payload.accessToken as string, refreshToken: payload.refreshToken as string };
}

/** The viewer the gateway would derive from a customer's access token. */
export const customerViewer = (id: string): Partial<Viewer> & { roles: Viewer['roles'] } => ({ userId: id, roles: ['CUSTOMER'] });
