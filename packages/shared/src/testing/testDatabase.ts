import { randomBytes } from 'node:crypto';
import { applyMigrations } from '../db/migrate.ts';
import { dropDatabase, ensureDatabase } from '../db/admin.ts';
import { withDatabase } from '../services.ts';

/** The PostgreSQL server tests use: DATABASE_URL, else the local one on the default port. */
export const testServerUrl = () => process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A fresh, fully migrated database of one subgraph's schema, owned by one test file. */
export async function createTestDatabase(name: string): Promise<TestDatabase> {
  const url = withDatabase(testServerUrl(), `test_${name}_${process.pid}_${randomBytes(4).toString('hex')}`);
  await ensureDatabase(url);
  await applyMigrations(name, url);
  return { url, drop: () => dropDatabase(url) };
}
