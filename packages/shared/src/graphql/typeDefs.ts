import { readFileSync } from 'node:fs';
import { parse, type DocumentNode } from 'graphql';

const here = (file: string) => new URL(file, import.meta.url);

/** The SDL every subgraph shares: the auth directives and the common value types (Money, PageInfo). */
export const SHARED_SDL = [readFileSync(here('./directives.graphql'), 'utf8'), readFileSync(here('./common.graphql'), 'utf8')].join('\n');

/** A subgraph's full SDL as composed and served: its own schema.graphql followed by the shared SDL. */
export function subgraphSdl(schemaFile: URL | string): string {
  return `${readFileSync(schemaFile, 'utf8')}\n${SHARED_SDL}`;
}

export const subgraphTypeDefs = (schemaFile: URL | string): DocumentNode => parse(subgraphSdl(schemaFile));
