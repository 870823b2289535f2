import { runSubgraph } from '@storefront/shared';
import { createIdentityServer } from './server.ts';

await runSubgraph('identity', createIdentityServer);
