/** Token lifetimes and names other services rely on (the gateway verifies iss/aud). */
export const TOKEN_ISSUER = 'storefront-identity';
export const TOKEN_AUDIENCE = 'storefront';
export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
export const REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 60 * 60;
export const RESET_TOKEN_TTL_SECONDS = 30 * 60;
/**
 * How long a retired signing key stays in the JWKS: the access-token lifetime (tokens it signed
 * just before rotation) plus a margin for clock skew and for signers that still held the old key.
 */
export const KEY_RETENTION_SECONDS = ACCESS_TOKEN_TTL_SECONDS + 45 * 60;
/** How long a server instance reuses the active signing key before reading it again. */
export const KEY_CACHE_SECONDS = 30;
export const MAX_ADDRESSES_PER_USER = 20;
