// Runs one service as its own process, as production does: `npm run serve -- <gateway|catalog|cart|...>`.
import { SUBGRAPH_NAMES } from '@storefront/shared';

const name = process.argv[2] ?? process.env.SERVICE;
if (name === 'gateway') await import('../gateway/src/main.ts');
else if (SUBGRAPH_NAMES.includes(name as any)) await import(`../subgraphs/${name}/src/main.ts`);
else {
  console.error(`usage: npm run serve -- <gateway|${SUBGRAPH_NAMES.join('|')}>`);
  process.exit(2);
}
