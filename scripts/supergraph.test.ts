import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SUBGRAPH_NAMES } from '@storefront/shared';
import { composeSupergraph, SUPERGRAPH_PATH } from './lib/supergraph.ts';

describe('the committed supergraph', () => {
  const result = composeSupergraph();

  it('composes without errors', () => {
    expect('errors' in result ? result.errors : []).toEqual([]);
  });

  it('is up to date with every subgraph SDL (run `npm run compose` after changing one)', () => {
    if ('errors' in result) throw new Error('composition failed');
    expect(readFileSync(SUPERGRAPH_PATH, 'utf8')).toBe(result.supergraphSdl);
  });

  it('joins all seven subgraphs', () => {
    const sdl = readFileSync(SUPERGRAPH_PATH, 'utf8');
    for (const name of SUBGRAPH_NAMES) expect(sdl).toContain(`name: "${name}", url: "http://localhost:`);
  });
});
