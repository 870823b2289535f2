import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import type { Logger } from '../log.ts';

/** An expected failure, returned in a mutation payload rather than thrown. */
export interface UserError<Code extends string = string> {
  field: string[] | null;
  message: string;
  code: Code;
}

export const userError = <Code extends string>(code: Code, message: string, field?: string[]): UserError<Code> => ({
  code,
  message,
  field: field ?? null,
});

export const notFound = (what: string) => new GraphQLError(`${what} not found`, { extensions: { code: 'NOT_FOUND' } });
export const unauthenticated = () =>
  new GraphQLError('Authentication required', { extensions: { code: 'UNAUTHENTICATED', http: { status: 200 } } });
export const forbidden = (message = 'Not allowed') => new GraphQLError(message, { extensions: { code: 'FORBIDDEN' } });
export const badInput = (message: string, field?: string) =>
  new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', ...(field ? { field } : {}) } });

/** Codes that describe the client's own mistake or permissions; everything else is masked. */
const PUBLIC_CODES = new Set([
  'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT', 'BAD_REQUEST', 'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED', 'OPERATION_RESOLUTION_FAILURE', 'NOT_FOUND', 'UNAUTHENTICATED', 'FORBIDDEN',
  'RATE_LIMITED', 'QUERY_TOO_COMPLEX', 'SUBGRAPH_UNAVAILABLE', 'SUBGRAPH_ERROR', 'DOWNSTREAM_SERVICE_ERROR',
]);

/**
 * Apollo `formatError`: client mistakes and authorization errors go out as they are; anything
 * unexpected is logged in full and replaced by a generic message carrying the request id.
 */
export function createErrorMasker(log: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code as string | undefined;
    if (code && PUBLIC_CODES.has(code)) {
      const { stacktrace: _drop, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    const original = unwrapResolverError(error);
    const requestId = (original as any)?.requestId ?? (error as any)?.extensions?.requestId;
    log.error({ err: original, path: formatted.path }, 'unexpected error');
    return {
      message: 'Internal server error',
      path: formatted.path,
      locations: formatted.locations,
      extensions: { code: 'INTERNAL_SERVER_ERROR', ...(requestId ? { requestId } : {}) },
    };
  };
}
