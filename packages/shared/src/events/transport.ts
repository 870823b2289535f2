import type { Logger } from '../log.ts';
import { MemoryTransport } from './memoryTransport.ts';
import { RedisStreamsTransport } from './redisTransport.ts';
import type { EventTransport } from './types.ts';

let shared: MemoryTransport | null = null;

/** Redis Streams when REDIS_URL is set; otherwise one in-process transport shared by the process. */
export function createEventTransport(env: NodeJS.ProcessEnv = process.env, log?: Logger): EventTransport {
  if (env.REDIS_URL) return new RedisStreamsTransport(env.REDIS_URL, log);
  shared ??= new MemoryTransport();
  return shared;
}
