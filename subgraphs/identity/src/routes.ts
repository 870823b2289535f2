import { sendJson, verifyIdentity, type Logger, type Route } from '@storefront/shared';
import type { IdentityDb } from './db.ts';
import type { SigningKeys } from './services/signingKeys.ts';
import { verifyClientCredentials } from './services/apiClients.ts';

export const JWKS_PATH = '/.well-known/jwks.json';
export const VERIFY_CLIENT_PATH = '/internal/api-clients/verify';

/** The public keys that verify access tokens. Public by nature, so it needs no gateway signature. */
export const jwksRoute = (keys: SigningKeys): Route => ({
  method: 'GET',
  path: JWKS_PATH,
  handle: async (_req, res) => {
    // Short cache: verifiers should also refetch when they meet an unknown kid (right after a rotation).
    sendJson(res, 200, await keys.jwks(), { 'cache-control': 'public, max-age=60' });
  },
});

/**
 * The gateway exchanges a partner's (clientId, secret) for its grants, rate tier and persisted query
 * policy and list. Only the gateway may ask: the request must carry a valid internal signature
 * whose identity is the gateway service.
 */
export const verifyClientRoute = (db: IdentityDb, secret: string, log: Logger): Route => ({
  method: 'POST',
  path: VERIFY_CLIENT_PATH,
  handle: async (req, res, raw) => {
    const verified = verifyIdentity((h) => req.headers[h] as string | undefined, secret);
    if (!verified.ok || verified.viewer.service !== 'gateway') {
      return sendJson(res, 401, { error: 'unauthorized', message: 'Only the gateway may verify API clients' });
    }
    let body: { clientId?: unknown; secret?: unknown };
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return sendJson(res, 400, { error: 'bad_request', message: 'Body must be JSON: { clientId, secret }' });
    }
    if (typeof body?.clientId !== 'string' || typeof body.secret !== 'string') {
      return sendJson(res, 400, { error: 'bad_request', message: 'Body must be JSON: { clientId, secret }' });
    }
    const client = await verifyClientCredentials(db, body.clientId, body.secret);
    if (!client) {
      log.info({ clientId: body.clientId.slice(0, 100) }, 'api client verification failed');
      return sendJson(res, 401, { error: 'invalid_client', message: 'Unknown, revoked or mismatched client credentials' });
    }
    sendJson(res, 200, client, { 'cache-control': 'no-store' });
  },
});
