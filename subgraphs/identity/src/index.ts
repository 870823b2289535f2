export { createIdentityServer, type IdentityServer, type IdentityServerOptions } from './server.ts';
export { createIdentityDb, type IdentityDb } from './db.ts';
export { seedIdentity } from './seed.ts';
export { SigningKeys, rotateSigningKey, type PublicJwk } from './services/signingKeys.ts';
export { createRateLimiter, RedisRateLimiter, MemoryRateLimiter, DEFAULT_RATE_LIMITS, type RateLimiter, type RateLimits, type RateRule } from './services/rateLimit.ts';
export { TOKEN_ISSUER, TOKEN_AUDIENCE, ACCESS_TOKEN_TTL_SECONDS, REFRESH_TOKEN_TTL_SECONDS } from './config.ts';
export { JWKS_PATH, VERIFY_CLIENT_PATH } from './routes.ts';
