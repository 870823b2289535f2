import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Guest cart tokens: 32 random bytes (base64url, prefixed `gct_`), handed out once by createCart.
 * Only their SHA-256 is stored (Cart.guestTokenHash), so a database leak reveals no usable token.
 */
export const GUEST_TOKEN_PREFIX = 'gct_';

export const newGuestToken = (): string => GUEST_TOKEN_PREFIX + randomBytes(32).toString('base64url');

export const hashGuestToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** True when `token` is the one whose hash is stored; constant time in the hash comparison. */
export function guestTokenMatches(token: string | null | undefined, storedHash: string | null): boolean {
  if (!token || !storedHash || token.length > 200) return false;
  const presented = Buffer.from(hashGuestToken(token), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
