import { runSubgraph } from '@storefront/shared';
import { createInventoryServer } from './server.ts';

await runSubgraph('inventory', createInventoryServer);
