// Builds schema/supergraph.graphql from the subgraph SDLs with @apollo/composition (rover's
// binary cannot be installed everywhere). `npm test` fails when the committed file is stale.
import { writeFileSync } from 'node:fs';
import { composeSupergraph, SUPERGRAPH_PATH } from './lib/supergraph.ts';

const result = composeSupergraph();
if ('errors' in result) {
  console.error(`composition failed:\n- ${result.errors.join('\n- ')}`);
  process.exit(1);
}
writeFileSync(SUPERGRAPH_PATH, result.supergraphSdl);
console.log(`wrote ${SUPERGRAPH_PATH}`);
