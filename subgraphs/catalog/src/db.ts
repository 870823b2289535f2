import { createPrismaClient, type PrismaOptions } from '@storefront/shared/db';
import { PrismaClient } from './generated/prisma/client.ts';

export type CatalogDb = PrismaClient;

/**
 * Session settings for the catalog's connections (settings already given in the URL's `options` win):
 * - jit=off: the search and facet statements are short OLTP queries whose estimated cost crosses jit_above_cost,
 *   and compiling them costs more (tens of ms) than running them;
 * - work_mem=16MB: facet counts over a whole-catalog listing hash ~50k (product, option value) pairs, which spills
 *   to disk at the 4MB default.
 */
const SESSION_SETTINGS: Record<string, string> = { jit: 'off', work_mem: '16MB' };

export function catalogConnectionUrl(url: string): string {
  const u = new URL(url);
  let options = u.searchParams.get('options') ?? '';
  for (const [name, value] of Object.entries(SESSION_SETTINGS)) {
    if (!new RegExp(`\\b${name}\\s*=`).test(options)) options = `${options} -c ${name}=${value}`.trim();
  }
  u.searchParams.set('options', options);
  return u.toString();
}

export const createCatalogDb = (url: string, options?: PrismaOptions): CatalogDb => createPrismaClient(PrismaClient, catalogConnectionUrl(url), options);
