import pg from 'pg';
import { Redis } from 'ioredis';

/** Fails fast, with a clear message, when the services the integration tests need are not up. */
export default async function setup() {
  const url = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (e) {
    throw new Error(`Tests need PostgreSQL at ${url} (set DATABASE_URL): ${(e as Error).message}`);
  } finally {
    await client.end().catch(() => {});
  }
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    await redis.ping();
  } catch (e) {
    throw new Error(`Tests need Redis at ${redisUrl} (set REDIS_URL): ${(e as Error).message}`);
  } finally {
    redis.disconnect();
  }
}
