import type { PersistedQueryPolicy } from '../auth/authenticate.ts';
import { sha256Hex } from './manifest.ts';
import type { PersistedQueryList } from './registry.ts';

export type { PersistedQueryPolicy };

export const PQ_NOT_IN_LIST = 'PERSISTED_QUERY_NOT_IN_LIST';
export const PQ_ID_REQUIRED = 'PERSISTED_QUERY_ID_REQUIRED';
/** Apollo Server's hash check ("provided sha does not match query") carries no code of its own. */
export const PQ_HASH_MISMATCH = 'PERSISTED_QUERY_HASH_MISMATCH';

/** The parts of a GraphQL request (one operation of a batch) that the policy looks at. */
export interface OperationRequest {
  query?: unknown;
  extensions?: unknown;
}

export type Verdict =
  | { allowed: true; id: string | null; listed: boolean }
  | { allowed: false; id: string | null; code: typeof PQ_NOT_IN_LIST | typeof PQ_ID_REQUIRED; message: string };

/** The operation's persisted id: the SHA-256 of its text when it has one, else the hash it was sent by. */
export function operationId(request: OperationRequest): { id: string | null; byIdOnly: boolean } {
  const query = typeof request.query === 'string' && request.query.length > 0 ? request.query : null;
  const persisted = (request.extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery;
  const hash = typeof persisted?.sha256Hash === 'string' ? persisted.sha256Hash : null;
  if (query !== null) return { id: sha256Hex(query), byIdOnly: false };
  return { id: hash, byIdOnly: hash !== null };
}

/**
 * Judges one operation against a client's policy and list:
 * - SAFELIST: only listed operations, sent by id or with a body identical to the listed one (same hash);
 * - REQUIRE_ID: only listed operations, sent by id alone;
 * - LOG_UNKNOWN: anything (the caller logs and counts what is not listed);
 * - OFF: anything.
 * A request with neither text nor id is let through for Apollo Server to refuse.
 */
export function judgeOperation(policy: PersistedQueryPolicy, list: PersistedQueryList | undefined, request: OperationRequest): Verdict {
  const { id, byIdOnly } = operationId(request);
  const listed = id !== null && !!list?.operations.has(id);
  if (policy === 'OFF' || policy === 'LOG_UNKNOWN' || id === null) return { allowed: true, id, listed };
  if (policy === 'REQUIRE_ID' && !byIdOnly) {
    return { allowed: false, id, code: PQ_ID_REQUIRED, message: 'This client must send operations by persisted query id only (extensions.persistedQuery.sha256Hash, without query text).' };
  }
  if (!listed) {
    const why = list ? `is not in the persisted query list "${list.name}"` : 'cannot run: this client has no persisted query list';
    return { allowed: false, id, code: PQ_NOT_IN_LIST, message: `Operation ${id.slice(0, 16)}… ${why}.` };
  }
  return { allowed: true, id, listed };
}
