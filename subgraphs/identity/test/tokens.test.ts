import { createPublicKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import jwt from 'jsonwebtoken';
import { isUuid, scopesForRoles } from '@storefront/shared';
import { ACCESS_TOKEN_TTL_SECONDS, rotateSigningKey, SigningKeys, TOKEN_AUDIENCE, TOKEN_ISSUER, type PublicJwk } from '../src/index.ts';
import { KEY_RETENTION_SECONDS } from '../src/config.ts';
import { fixture, LOGIN, REFRESH, registerCustomer, newAccount, startIdentity, type Harness } from './harness.ts';

let h: Harness;

beforeAll(async () => {
  h = await startIdentity();
});

afterAll(async () => {
  await h?.close();
});

async function jwks(): Promise<{ status: number; cacheControl: string | null; keys: PublicJwk[] }> {
  // Public: no gateway signature needed.
  const res = await fetch(`${h.base}/.well-known/jwks.json`);
  const body = (await res.json()) as { keys: PublicJwk[] };
  return { status: res.status, cacheControl: res.headers.get('cache-control'), keys: body.keys };
}

/** Verifies an access token the way the gateway does: by the kid in its header, against the JWKS. */
async function verifyWithJwks(token: string) {
  const { keys } = await jwks();
  const header = jwt.decode(token, { complete: true })!.header;
  const jwk = keys.find((k) => k.kid === header.kid);
  if (!jwk) throw new Error(`kid ${header.kid} is not in the JWKS`);
  const key = createPublicKey({ key: jwk as any, format: 'jwk' });
  return { header, claims: jwt.verify(token, key, { algorithms: ['RS256'], issuer: TOKEN_ISSUER, audience: TOKEN_AUDIENCE }) as jwt.JwtPayload };
}

const login = async (email: string, password: string) => {
  const res = await h.gql(LOGIN, { input: { email, password } });
  expect(res.body.data.login.userErrors).toEqual([]);
  return res.body.data.login as { accessToken: string; refreshToken: string; expiresAt: string };
};

describe('access tokens', () => {
  it('generates a signing key on first use and publishes it as a JWK', async () => {
    expect(await h.db.signingKey.count()).toBe(0);
    const res = await jwks();
    expect(res.status).toBe(200);
    expect(res.cacheControl).toContain('max-age');
    expect(res.keys).toHaveLength(1);
    const [key] = res.keys;
    expect(key).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', e: 'AQAB' });
    expect(key.kid).toEqual(expect.any(String));
    expect(Object.keys(key).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']); // no private parts (d, p, q...)
    expect(await h.db.signingKey.count()).toBe(1);
  });

  it('signs RS256 JWTs that verify against the JWKS and carry the agreed claims', async () => {
    const customer = await login(fixture.customer.email, fixture.customer.password);
    const { header, claims } = await verifyWithJwks(customer.accessToken);
    expect(header.alg).toBe('RS256');
    expect(header.kid).toEqual(expect.any(String));
    expect(claims.sub).toBe(fixture.customer.id);
    expect(claims.roles).toEqual(['CUSTOMER']);
    expect(claims.scope).toBe(scopesForRoles(['CUSTOMER']).join(' '));
    expect(claims.iss).toBe('storefront-identity');
    expect(claims.aud).toBe('storefront');
    expect(claims.exp! - claims.iat!).toBe(ACCESS_TOKEN_TTL_SECONDS);
    expect(ACCESS_TOKEN_TTL_SECONDS).toBe(15 * 60);
    expect(Math.abs(claims.iat! - Date.now() / 1000)).toBeLessThan(30);
    expect(new Date(claims.exp! * 1000).toISOString()).toBe(customer.expiresAt);
    expect(isUuid(String(claims.jti))).toBe(true);
    expect(claims).not.toHaveProperty('email');

    const admin = await login(fixture.users[2].email, fixture.users[2].password);
    const adminClaims = (await verifyWithJwks(admin.accessToken)).claims;
    expect(adminClaims.roles).toEqual(['ADMIN']);
    expect(adminClaims.scope.split(' ')).toContain('clients:write');
    expect(adminClaims.jti).not.toBe(claims.jti);
  });

  it('produces tokens that fail verification when tampered with or checked against the wrong audience', async () => {
    const { accessToken } = await login(fixture.customer.email, fixture.customer.password);
    const [head, payload, signature] = accessToken.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), roles: ['ADMIN'] })).toString('base64url');
    await expect(verifyWithJwks(`${head}.${forgedPayload}.${signature}`)).rejects.toThrow(/invalid signature/);
    const { keys } = await jwks();
    const key = createPublicKey({ key: keys[0] as any, format: 'jwk' });
    expect(() => jwt.verify(accessToken, key, { algorithms: ['RS256'], audience: 'someone-else' })).toThrow(/audience/);
  });

  it('re-reads roles at refresh so the new access token reflects the current account', async () => {
    const user = await registerCustomer(h, newAccount('promote'));
    await h.db.user.update({ where: { id: user.id }, data: { roles: ['CUSTOMER', 'SUPPORT'] } });
    const res = await h.gql(REFRESH, { input: { refreshToken: user.refreshToken } });
    const { claims } = await verifyWithJwks(res.body.data.refreshToken.accessToken);
    expect(claims.roles).toEqual(['CUSTOMER', 'SUPPORT']);
    expect(claims.scope.split(' ')).toContain('users:read:any');
  });
});

describe('signing key rotation', () => {
  it('signs with the new key while tokens signed by the old key keep verifying', async () => {
    const before = await login(fixture.customer.email, fixture.customer.password);
    const oldKid = jwt.decode(before.accessToken, { complete: true })!.header.kid;

    const rotated = await rotateSigningKey(h.server.keys);
    expect(rotated.retiredKids).toEqual([oldKid]);
    expect(rotated.kid).not.toBe(oldKid);

    const after = await login(fixture.customer.email, fixture.customer.password);
    const newKid = jwt.decode(after.accessToken, { complete: true })!.header.kid;
    expect(newKid).toBe(rotated.kid);

    const published = (await jwks()).keys.map((k) => k.kid);
    expect(published).toEqual([newKid, oldKid]);
    expect((await verifyWithJwks(before.accessToken)).claims.sub).toBe(fixture.customer.id);
    expect((await verifyWithJwks(after.accessToken)).claims.sub).toBe(fixture.customer.id);

    // Exactly one key signs.
    expect(await h.db.signingKey.count({ where: { retiredAt: null } })).toBe(1);

    // Once every token the old key signed has expired, the key leaves the JWKS.
    await h.db.signingKey.update({ where: { kid: oldKid }, data: { retiredAt: new Date(Date.now() - (KEY_RETENTION_SECONDS + 60) * 1000) } });
    expect((await jwks()).keys.map((k) => k.kid)).toEqual([newKid]);
    await expect(verifyWithJwks(before.accessToken)).rejects.toThrow(/not in the JWKS/);
  });

  it('keeps retired keys for at least the access-token lifetime', () => {
    expect(KEY_RETENTION_SECONDS).toBeGreaterThanOrEqual(ACCESS_TOKEN_TTL_SECONDS);
  });

  it('creates a single first key when several instances start at once', async () => {
    await h.db.signingKey.deleteMany();
    const instances = Array.from({ length: 5 }, () => new SigningKeys(h.db));
    const kids = new Set((await Promise.all(instances.map((k) => k.active()))).map((k) => k.kid));
    expect(kids.size).toBe(1);
    expect(await h.db.signingKey.count()).toBe(1);
  });
});
