import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Viewer } from './viewer.ts';
import { ANONYMOUS } from './viewer.ts';

/**
 * Subgraphs trust only the gateway (and sibling services): every request carries the caller's
 * identity and an HMAC over it and a timestamp, keyed by a secret shared inside the deployment.
 */
export const IDENTITY_HEADER = 'x-storefront-identity';
export const TIMESTAMP_HEADER = 'x-storefront-timestamp';
export const SIGNATURE_HEADER = 'x-storefront-signature';
export const INTERNAL_HEADERS = [IDENTITY_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER] as const;

const MAX_SKEW_MS = 5 * 60_000;
const DEV_SECRET = 'storefront-development-only-internal-secret';

export function internalSecret(env: NodeJS.ProcessEnv = process.env): string {
  const secret = env.INTERNAL_HMAC_SECRET;
  if (secret) return secret;
  if (env.NODE_ENV === 'production') throw new Error('INTERNAL_HMAC_SECRET must be set in production');
  return DEV_SECRET;
}

const sign = (secret: string, timestamp: string, identity: string) =>
  createHmac('sha256', secret).update(`${timestamp}.${identity}`).digest('base64url');

export function signIdentity(viewer: Viewer, secret: string, now = Date.now()): Record<string, string> {
  const identity = Buffer.from(JSON.stringify(viewer)).toString('base64url');
  const timestamp = String(now);
  return { [IDENTITY_HEADER]: identity, [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: sign(secret, timestamp, identity) };
}

export type VerifyResult = { ok: true; viewer: Viewer } | { ok: false; reason: string };

export function verifyIdentity(get: (name: string) => string | undefined, secret: string, now = Date.now()): VerifyResult {
  const identity = get(IDENTITY_HEADER);
  const timestamp = get(TIMESTAMP_HEADER);
  const signature = get(SIGNATURE_HEADER);
  if (!identity || !timestamp || !signature) return { ok: false, reason: 'missing gateway signature' };
  const ts = Number(timestamp);
  if (!Number.isFinite(ts) || Math.abs(now - ts) > MAX_SKEW_MS) return { ok: false, reason: 'stale gateway signature' };
  const expected = Buffer.from(sign(secret, timestamp, identity));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'invalid gateway signature' };
  try {
    const parsed = JSON.parse(Buffer.from(identity, 'base64url').toString('utf8')) as Viewer;
    return { ok: true, viewer: { ...ANONYMOUS, ...parsed, roles: parsed.roles ?? [], scopes: parsed.scopes ?? [] } };
  } catch {
    return { ok: false, reason: 'malformed identity' };
  }
}
