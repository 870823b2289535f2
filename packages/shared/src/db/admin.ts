import pg from 'pg';

/** Connection to the server's maintenance database, for creating and dropping databases. */
async function withAdmin<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const databaseName = (url: string) => decodeURIComponent(new URL(url).pathname.slice(1));
const quote = (ident: string) => `"${ident.replace(/"/g, '""')}"`;

export async function ensureDatabase(url: string): Promise<boolean> {
  const name = databaseName(url);
  return withAdmin(url, async (c) => {
    const { rowCount } = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount) return false;
    try {
      await c.query(`CREATE DATABASE ${quote(name)}`);
    } catch (e: any) {
      if (e.code !== '42P04') throw e; // created concurrently
    }
    return true;
  });
}

/**
 * Drops a database, first giving its clients a few seconds to disconnect on their own: forcing
 * connections closed makes clients that are still winding down see a FATAL error.
 */
export async function dropDatabase(url: string, graceMs = 5000): Promise<void> {
  const name = databaseName(url);
  await withAdmin(url, async (c) => {
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline) {
      const { rows } = await c.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
      if (rows[0].n === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await c.query(`DROP DATABASE IF EXISTS ${quote(name)} WITH (FORCE)`);
  });
}
