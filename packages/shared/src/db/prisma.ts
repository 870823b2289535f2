import { createHash } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';

export interface PrismaOptions {
  /** Pool size per process. */
  max?: number;
  /** Emit 'query' events, so tests can count SQL statements. */
  logQueries?: boolean;
  /** Prepare each distinct statement once per connection (default: DB_PREPARED_STATEMENTS, on unless "false"). */
  preparedStatements?: boolean;
}

/**
 * Names a statement after a hash of its text, so the pg driver prepares it once per connection and PostgreSQL can
 * keep its plan: parsing and planning the catalog's search statements cost more than running them. The names are
 * memoised because the same few hundred texts come back all the time.
 */
function statementNames(): (query: { sql: string }) => string {
  const names = new Map<string, string>();
  return ({ sql }) => {
    let name = names.get(sql);
    if (name === undefined) {
      name = `sf_${createHash('sha1').update(sql).digest('base64url').slice(0, 22)}`;
      if (names.size > 5_000) names.clear();
      names.set(sql, name);
    }
    return name;
  };
}

/** The one way subgraphs build their Prisma client: Prisma 7's client on the pg driver adapter. */
export function createPrismaClient<T>(Client: new (options: any) => T, url: string, options: PrismaOptions = {}): T {
  const prepared = options.preparedStatements ?? process.env.DB_PREPARED_STATEMENTS !== 'false';
  const adapter = new PrismaPg(
    { connectionString: url, max: options.max ?? Number(process.env.DB_POOL_SIZE ?? 10) },
    prepared ? { statementNameGenerator: statementNames() } : undefined,
  );
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
