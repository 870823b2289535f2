import { runSubgraph } from '@storefront/shared';
import { createOrderServer } from './server.ts';

await runSubgraph('order', createOrderServer);
