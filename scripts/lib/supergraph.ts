import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { SUBGRAPHS, SUBGRAPH_NAMES, subgraphSdl } from '@storefront/shared';
import { REPO_ROOT } from '@storefront/shared/db';

export const SUPERGRAPH_PATH = join(REPO_ROOT, 'schema', 'supergraph.graphql');
export const schemaFileOf = (name: string) => join(REPO_ROOT, 'subgraphs', name, 'src', 'schema.graphql');

/**
 * Composes the supergraph from each subgraph's SDL as it serves it. The committed supergraph names
 * the default local URLs; the gateway overrides them from the environment at run time.
 */
export function composeSupergraph(): { supergraphSdl: string } | { errors: string[] } {
  const services = SUBGRAPH_NAMES.filter((name) => existsSync(schemaFileOf(name))).map((name) => ({
    name,
    url: `http://localhost:${SUBGRAPHS[name]}/graphql`,
    typeDefs: parse(subgraphSdl(schemaFileOf(name))),
  }));
  const result = composeServices(services);
  if (result.errors?.length) return { errors: result.errors.map((e) => e.message) };
  return { supergraphSdl: `${result.supergraphSdl!.trimEnd()}\n` };
}
