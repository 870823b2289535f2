import { badInput } from './errors.ts';

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: PageInfo;
}

export function pageSize(first: number | null | undefined): number {
  if (first == null) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) {
    throw badInput(`first must be between 0 and ${MAX_PAGE_SIZE}`, 'first');
  }
  return first;
}

/**
 * Cursors are opaque to clients: base64url of a JSON array of the keyset values of the last row,
 * prefixed with a kind tag so a cursor from one list is refused by another.
 */
export function encodeCursor(kind: string, values: readonly (string | number | null)[]): string {
  return Buffer.from(JSON.stringify([kind, ...values])).toString('base64url');
}

export function decodeCursor(kind: string, cursor: string | null | undefined, arity: number, maxLength = 512): (string | number | null)[] | null {
  if (cursor == null) return null;
  try {
    if (cursor.length > maxLength) throw new Error('too long');
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(parsed) || parsed[0] !== kind || parsed.length !== arity + 1) throw new Error('shape');
    const values = parsed.slice(1);
    if (!values.every((v) => v === null || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)))) throw new Error('values');
    return values;
  } catch {
    throw badInput('Invalid cursor', 'after');
  }
}

/** Builds a connection from `limit + 1` fetched rows: the extra row only says there is a next page. */
export function toConnection<T>(rows: T[], limit: number, cursorOf: (row: T) => string, hasPreviousPage = false): Connection<T> {
  const page = rows.slice(0, limit);
  const edges = page.map((node) => ({ cursor: cursorOf(node), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > limit,
      hasPreviousPage,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
  };
}
