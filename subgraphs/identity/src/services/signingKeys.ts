import { createHash, createPrivateKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { IdentityDb } from '../db.ts';
import { KEY_CACHE_SECONDS, KEY_RETENTION_SECONDS } from '../config.ts';

const generateRsa = promisify(generateKeyPair);

export interface PublicJwk {
  kty: 'RSA';
  n: string;
  e: string;
  kid: string;
  alg: 'RS256';
  use: 'sig';
}

export interface ActiveKey {
  kid: string;
  privateKey: KeyObject;
}

/** RFC 7638 thumbprint: a kid derived from the key itself. */
const thumbprint = (jwk: { e: string; n: string }) =>
  createHash('sha256').update(JSON.stringify({ e: jwk.e, kty: 'RSA', n: jwk.n })).digest('base64url');

async function newKeyRow() {
  const { publicKey, privateKey } = await generateRsa('rsa', { modulusLength: 2048 });
  const exported = publicKey.export({ format: 'jwk' }) as { n: string; e: string };
  const kid = thumbprint(exported);
  const publicJwk: PublicJwk = { kty: 'RSA', n: exported.n, e: exported.e, kid, alg: 'RS256', use: 'sig' };
  return { kid, publicJwk: publicJwk as object, privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}

const isUniqueViolation = (e: unknown) => (e as { code?: string })?.code === 'P2002';

/**
 * The signing keys of access tokens. One key is active (signs); retired keys stay published in the
 * JWKS for KEY_RETENTION_SECONDS so tokens they signed verify until they expire. A key is generated
 * on first use. The active key is cached per instance for a short while; other instances pick up a
 * rotation within KEY_CACHE_SECONDS, and their tokens stay verifiable because the old key is still published.
 */
export class SigningKeys {
  private cached: { key: ActiveKey; until: number } | null = null;

  constructor(private readonly db: IdentityDb, private readonly now: () => number = Date.now) {}

  async active(): Promise<ActiveKey> {
    if (this.cached && this.cached.until > this.now()) return this.cached.key;
    let row = await this.db.signingKey.findFirst({ where: { retiredAt: null }, orderBy: { createdAt: 'desc' } });
    if (!row) {
      const fresh = await newKeyRow();
      try {
        row = await this.db.signingKey.create({ data: fresh });
      } catch (e) {
        // Another instance created the first key at the same moment (one active key is a unique index).
        if (!isUniqueViolation(e)) throw e;
        row = await this.db.signingKey.findFirstOrThrow({ where: { retiredAt: null } });
      }
    }
    const key = { kid: row.kid, privateKey: createPrivateKey(row.privateKeyPem) };
    this.cached = { key, until: this.now() + KEY_CACHE_SECONDS * 1000 };
    return key;
  }

  /** Makes a new key active and retires the current one (it stays in the JWKS for the retention period). */
  async rotate(): Promise<{ kid: string; retiredKids: string[] }> {
    const fresh = await newKeyRow();
    const retiredKids = await this.db.$transaction(async (tx) => {
      const current = await tx.signingKey.findMany({ where: { retiredAt: null }, select: { kid: true } });
      await tx.signingKey.updateMany({ where: { retiredAt: null }, data: { retiredAt: new Date(this.now()) } });
      await tx.signingKey.create({ data: fresh });
      return current.map((k) => k.kid);
    });
    this.cached = null;
    return { kid: fresh.kid, retiredKids };
  }

  /** Public keys that may have signed a still-valid token: the active one and recently retired ones. */
  async jwks(): Promise<{ keys: PublicJwk[] }> {
    await this.active();
    const since = new Date(this.now() - KEY_RETENTION_SECONDS * 1000);
    const rows = await this.db.signingKey.findMany({
      where: { OR: [{ retiredAt: null }, { retiredAt: { gt: since } }] },
      orderBy: { createdAt: 'desc' },
      select: { publicJwk: true },
    });
    return { keys: rows.map((r) => r.publicJwk as unknown as PublicJwk) };
  }
}

/** The rotation service: a new active key, the old one kept verifiable until its tokens expire. */
export const rotateSigningKey = (keys: SigningKeys) => keys.rotate();
