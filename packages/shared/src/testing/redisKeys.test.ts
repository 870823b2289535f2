import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteRedisKeys } from './redisKeys.ts';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
afterAll(() => redis.quit());

describe('deleteRedisKeys', () => {
  it('deletes the keys under the prefix and nothing else, and accepts a prefix with no keys', async () => {
    const prefix = `test:redisKeys:${randomUUID()}:`;
    const outside = `test:redisKeys:${randomUUID()}`;
    await redis.mset(`${prefix}a`, '1', `${prefix}b:c`, '2', outside, '3');
    await deleteRedisKeys(redis, prefix);
    expect(await redis.keys(`${prefix}*`)).toEqual([]);
    expect(await redis.get(outside)).toBe('3');
    await deleteRedisKeys(redis, prefix);
    await redis.del(outside);
  });
});
