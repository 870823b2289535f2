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

export async function dropDatabase(url: string): Promise<void> {
  await withAdmin(url, (c) => c.query(`DROP DATABASE IF EXISTS ${quote(databaseName(url))} WITH (FORCE)`));
}
