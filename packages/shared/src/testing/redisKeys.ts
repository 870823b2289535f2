/** The two commands of an ioredis client this needs (the shared package does not depend on ioredis). */
interface KeyCommands {
  keys(pattern: string): Promise<string[]>;
  del(...keys: string[]): Promise<number>;
}

/** Deletes every key under `prefix`: what a test left in the shared Redis under its own unique prefix. */
export async function deleteRedisKeys(redis: KeyCommands, prefix: string): Promise<void> {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
}
