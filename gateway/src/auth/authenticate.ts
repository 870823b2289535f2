import type { IncomingMessage } from 'node:http';
import jwt from 'jsonwebtoken';
import { ANONYMOUS, HttpError, signIdentity, type Role, type Viewer } from '@storefront/shared';
import type { JwksCache } from './jwks.ts';

export interface Authenticator {
  authenticate(req: IncomingMessage): Promise<Viewer>;
  verifyToken(token: string): Promise<Viewer>;
}

export interface AuthenticatorOptions {
  jwks: JwksCache;
  issuer: string;
  audience: string;
  /** Partner key check against identity; null means partner keys are not accepted. */
  verifyApiKey?: (clientId: string, secret: string) => Promise<Viewer | null>;
}

const invalidToken = (why: string) =>
  new HttpError(401, `Invalid access token: ${why}`, 'UNAUTHENTICATED', { 'www-authenticate': 'Bearer error="invalid_token"' });

/**
 * Turns a request's credentials into the identity forwarded to subgraphs. No credentials means
 * anonymous; wrong credentials are refused outright rather than downgraded to anonymous.
 */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  async function verifyToken(token: string): Promise<Viewer> {
    const decoded = jwt.decode(token, { complete: true });
    if (!decoded || typeof decoded.payload === 'string') throw invalidToken('malformed');
    if (decoded.header.alg !== 'RS256') throw invalidToken('unsupported algorithm');
    const kid = decoded.header.kid;
    const key = kid ? await options.jwks.get(kid) : undefined;
    if (!key) throw invalidToken('unknown signing key');
    let claims: jwt.JwtPayload;
    try {
      claims = jwt.verify(token, key, { algorithms: ['RS256'], issuer: options.issuer, audience: options.audience }) as jwt.JwtPayload;
    } catch (e) {
      throw invalidToken(e instanceof jwt.TokenExpiredError ? 'expired' : 'verification failed');
    }
    if (!claims.sub) throw invalidToken('no subject');
    return {
      userId: claims.sub,
      roles: (Array.isArray(claims.roles) ? claims.roles : []) as Role[],
      scopes: typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : [],
      expiresAt: claims.exp,
    };
  }

  return {
    verifyToken,
    async authenticate(req) {
      const header = req.headers.authorization;
      if (header) {
        const [scheme, token] = header.split(' ');
        if (scheme?.toLowerCase() !== 'bearer' || !token) throw invalidToken('expected a Bearer token');
        return verifyToken(token.trim());
      }
      const apiKey = req.headers['x-api-key'];
      if (typeof apiKey === 'string' && options.verifyApiKey) {
        const dot = apiKey.indexOf('.');
        const viewer = dot > 0 ? await options.verifyApiKey(apiKey.slice(0, dot), apiKey.slice(dot + 1)) : null;
        if (!viewer) throw new HttpError(401, 'Invalid API key', 'UNAUTHENTICATED');
        return viewer;
      }
      return ANONYMOUS;
    },
  };
}

/** Asks identity whether a partner key is valid; answers are cached briefly. */
export function identityApiKeyVerifier(identityUrl: string, secret: string, ttlMs = 60_000) {
  const cache = new Map<string, { viewer: Viewer | null; until: number }>();
  const endpoint = new URL('/internal/api-clients/verify', identityUrl).toString();
  return async (clientId: string, clientSecret: string): Promise<Viewer | null> => {
    const cacheKey = `${clientId}.${clientSecret}`;
    const hit = cache.get(cacheKey);
    if (hit && hit.until > Date.now()) return hit.viewer;
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signIdentity({ roles: [], scopes: [], service: 'gateway' }, secret) },
      body: JSON.stringify({ clientId, secret: clientSecret }),
    });
    let viewer: Viewer | null = null;
    if (res.ok) {
      const client = (await res.json()) as { clientId: string; scopes: string[] };
      viewer = { clientId: client.clientId, roles: [], scopes: client.scopes };
    }
    if (cache.size > 10_000) cache.clear();
    cache.set(cacheKey, { viewer, until: Date.now() + ttlMs });
    return viewer;
  };
}
