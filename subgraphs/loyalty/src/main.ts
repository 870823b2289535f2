import { runSubgraph } from '@storefront/shared';
import { createLoyaltyServer } from './server.ts';

await runSubgraph('loyalty', createLoyaltyServer);
