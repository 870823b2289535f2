import { runSubgraph } from '@storefront/shared';
import { createCartServer } from './server.ts';

await runSubgraph('cart', createCartServer);
