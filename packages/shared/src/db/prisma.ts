import { PrismaPg } from '@prisma/adapter-pg';

export interface PrismaOptions {
  /** Pool size per process. */
  max?: number;
  /** Emit 'query' events, so tests can count SQL statements. */
  logQueries?: boolean;
}

/** The one way subgraphs build their Prisma client: Prisma 7's client on the pg driver adapter. */
export function createPrismaClient<T>(Client: new (options: any) => T, url: string, options: PrismaOptions = {}): T {
  const adapter = new PrismaPg({ connectionString: url, max: options.max ?? Number(process.env.DB_POOL_SIZE ?? 10) });
  return new Client({ adapter, ...(options.logQueries ? { log: [{ emit: 'event', level: 'query' }] } : {}) });
}

/** Counts statements a client sends; the client must have been built with logQueries. */
export function countStatements(client: { $on(event: 'query', cb: (e: { query: string }) => void): void }) {
  const counter = { count: 0, statements: [] as string[], reset() { this.count = 0; this.statements = []; } };
  client.$on('query', (e) => {
    counter.count += 1;
    counter.statements.push(e.query);
  });
  return counter;
}
