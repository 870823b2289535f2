import { runSubgraph } from '@storefront/shared';
import { createPaymentServer } from './server.ts';

await runSubgraph('payment', createPaymentServer);
