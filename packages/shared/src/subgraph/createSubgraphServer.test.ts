import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../log.ts';
import { createSubgraphServer } from './createSubgraphServer.ts';

describe('createSubgraphServer', () => {
  it('leaves termination signals to main.ts, even in production (Apollo would re-raise them mid-shutdown)', async () => {
    const before = { int: process.listenerCount('SIGINT'), term: process.listenerCount('SIGTERM') };
    const env = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      const server = await createSubgraphServer({
        name: 'catalog',
        typeDefs: parse('type Query { ping: String }'),
        resolvers: { Query: { ping: () => 'pong' } },
        createContext: (base) => base,
        secret: 'unit-test-secret-0123456789abcdef0123456789',
        log: createLogger('catalog', { level: 'silent' }),
      });
      expect({ int: process.listenerCount('SIGINT'), term: process.listenerCount('SIGTERM') }).toEqual(before);
      await server.close();
    } finally {
      process.env.NODE_ENV = env;
    }
  });
});
