// `npm run db:seed`: writes the demo data into every subgraph's database (idempotent).
import { SUBGRAPH_NAMES, databaseUrl, createLogger } from '@storefront/shared';
import { prepareDatabase } from './lib/stack.ts';

const log = createLogger('seed', { level: 'info' });
for (const name of SUBGRAPH_NAMES) await prepareDatabase(name, databaseUrl(name), 'always', log);
