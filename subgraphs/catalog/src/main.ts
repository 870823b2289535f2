import { runSubgraph } from '@storefront/shared';
import { createCatalogServer } from './server.ts';

await runSubgraph('catalog', createCatalogServer);
