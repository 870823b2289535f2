import type { IncomingMessage } from 'node:http';
import jwt from 'jsonwebtoken';
import { ANONYMOUS, HttpError, signIdentity, type Role, type Viewer } from '@storefront/shared';
import type { JwksCache } from './jwks.ts';

export type RateTier = 'FREE' | 'STANDARD' | 'PREMIUM';
export type PersistedQueryPolicy = 'SAFELIST' | 'REQUIRE_ID' | 'LOG_UNKNOWN' | 'OFF';

/** What identity tells the gateway about a partner API client, beyond its scopes. */
export interface ApiClientProfile {
  clientId: string;
  name: string;
  rateTier: RateTier;
  persistedQueryPolicy: PersistedQueryPolicy;
  /** The client's persisted query list (schema/persisted-queries/<name>.json); null: none. */
  persistedQueryList: string | null;
}

export interface VerifiedApiClient extends ApiClientProfile {
  scopes: string[];
}

/** The caller's identity (forwarded to subgraphs) and, for a partner, its client profile (kept at the gateway). */
export interface Authentication {
  viewer: Viewer;
  client?: ApiClientProfile;
}

export interface Authenticator {
  authenticate(req: IncomingMessage): Promise<Viewer>;
  authenticateRequest(req: IncomingMessage): Promise<Authentication>;
  verifyToken(token: string): Promise<Viewer>;
}

export interface AuthenticatorOptions {
  jwks: JwksCache;
  issuer: string;
  audience: string;
  /** Partner key check against identity; null means partner keys are not accepted. */
  verifyApiKey?: (clientId: string, secret: string) => Promise<VerifiedApiClient | null>;
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

  async function authenticateRequest(req: IncomingMessage): Promise<Authentication> {
    const header = req.headers.authorization;
    if (header) {
      const [scheme, token] = header.split(' ');
      if (scheme?.toLowerCase() !== 'bearer' || !token) throw invalidToken('expected a Bearer token');
      return { viewer: await verifyToken(token.trim()) };
    }
    const apiKey = req.headers['x-api-key'];
    if (typeof apiKey === 'string' && options.verifyApiKey) {
      const dot = apiKey.indexOf('.');
      const verified = dot > 0 ? await options.verifyApiKey(apiKey.slice(0, dot), apiKey.slice(dot + 1)) : null;
      if (!verified) throw new HttpError(401, 'Invalid API key', 'UNAUTHENTICATED');
      const { scopes, ...client } = verified;
      return { viewer: { clientId: client.clientId, roles: [], scopes }, client };
    }
    return { viewer: ANONYMOUS };
  }

  return {
    verifyToken,
    authenticateRequest,
    authenticate: async (req) => (await authenticateRequest(req)).viewer,
  };
}

const RATE_TIERS: readonly RateTier[] = ['FREE', 'STANDARD', 'PREMIUM'];
const POLICIES: readonly PersistedQueryPolicy[] = ['SAFELIST', 'REQUIRE_ID', 'LOG_UNKNOWN', 'OFF'];

/**
 * Asks identity whether a partner key is valid; answers are cached for `ttlMs`. A client that predates
 * persisted query policies (or an identity that does not send one) gets SAFELIST with no list,
 * which allows nothing: the safe reading of a missing policy.
 *
 * `forget(clientId)` drops a client's cached answers at once (called on ApiClientChanged events, see
 * apiClientChanges.ts); the TTL bounds how long a change goes unseen when no event arrives.
 */
export function identityApiKeyVerifier(identityUrl: string, secret: string, ttlMs = 60_000) {
  const cache = new Map<string, { client: VerifiedApiClient | null; until: number }>();
  // Bumped by forget: an answer fetched before a change must not be cached after it.
  const generations = new Map<string, number>();
  const endpoint = new URL('/internal/api-clients/verify', identityUrl).toString();
  const verify = async (clientId: string, clientSecret: string): Promise<VerifiedApiClient | null> => {
    const cacheKey = `${clientId}.${clientSecret}`;
    const hit = cache.get(cacheKey);
    if (hit && hit.until > Date.now()) return hit.client;
    const generation = generations.get(clientId) ?? 0;
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signIdentity({ roles: [], scopes: [], service: 'gateway' }, secret) },
      body: JSON.stringify({ clientId, secret: clientSecret }),
    });
    let client: VerifiedApiClient | null = null;
    if (res.ok) {
      const body = (await res.json()) as Partial<VerifiedApiClient> & { clientId: string; scopes: string[] };
      client = {
        clientId: body.clientId,
        name: body.name ?? body.clientId,
        scopes: body.scopes,
        rateTier: RATE_TIERS.includes(body.rateTier as RateTier) ? (body.rateTier as RateTier) : 'FREE',
        persistedQueryPolicy: POLICIES.includes(body.persistedQueryPolicy as PersistedQueryPolicy) ? (body.persistedQueryPolicy as PersistedQueryPolicy) : 'SAFELIST',
        persistedQueryList: typeof body.persistedQueryList === 'string' ? body.persistedQueryList : null,
      };
    }
    if ((generations.get(clientId) ?? 0) !== generation) return client;
    if (cache.size > 10_000) cache.clear();
    cache.set(cacheKey, { client, until: Date.now() + ttlMs });
    return client;
  };
  /** True when this exact key (clientId.secret) was verified as valid recently: no identity call is needed for it. */
  const knownValid = (apiKey: string) => {
    const hit = cache.get(apiKey);
    return !!hit?.client && hit.until > Date.now();
  };
  /** Drops every cached answer for this client, so its next request asks identity again. */
  const forget = (clientId: string) => {
    const prefix = `${clientId}.`;
    for (const key of cache.keys()) if (key.startsWith(prefix)) cache.delete(key);
    if (generations.size > 10_000) generations.clear();
    generations.set(clientId, (generations.get(clientId) ?? 0) + 1);
  };
  return Object.assign(verify, { knownValid, forget });
}
