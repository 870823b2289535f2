// `npm run db:migrate`: creates each subgraph's database if needed and applies its migrations.
import { SUBGRAPH_NAMES, databaseUrl } from '@storefront/shared';
import { applyMigrations, ensureDatabase } from '@storefront/shared/db';

for (const name of SUBGRAPH_NAMES) {
  const url = databaseUrl(name);
  await ensureDatabase(url);
  const applied = await applyMigrations(name, url);
  console.log(`${name.padEnd(9)} ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'}`);
}
