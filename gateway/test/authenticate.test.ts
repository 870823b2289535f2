import { createServer, type IncomingMessage, type Server } from 'node:http';
import { generateKeyPairSync, createHmac, type KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import jwt from 'jsonwebtoken';
import { createAuthenticator } from '../src/auth/authenticate.ts';
import { JwksCache } from '../src/auth/jwks.ts';

const ISS = 'storefront-identity';
const AUD = 'storefront';
const pair = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
const trusted = pair();
const rotated = pair();
const attacker = pair();
const published: { kid: string; key: KeyObject }[] = [{ kid: 'k1', key: trusted.publicKey }];
let jwksServer: Server;
let jwksRequests = 0;
let auth: ReturnType<typeof createAuthenticator>;

beforeAll(async () => {
  jwksServer = createServer((_req, res) => {
    jwksRequests += 1;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: published.map(({ kid, key }) => ({ ...key.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' })) }));
  });
  await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
  auth = createAuthenticator({ jwks: new JwksCache(url, 0), issuer: ISS, audience: AUD });
});
afterAll(() => new Promise<void>((r) => jwksServer.close(() => r())));

const claims = { sub: 'user-1', roles: ['CUSTOMER'], scope: 'orders:read cart:write' };
const sign = (key: KeyObject | string, options: jwt.SignOptions = {}, payload: object = claims) =>
  jwt.sign(payload, key as any, { algorithm: 'RS256', keyid: 'k1', issuer: ISS, audience: AUD, ...('exp' in payload ? {} : { expiresIn: '15m' }), ...options });
const request = (token: string) => ({ headers: { authorization: `Bearer ${token}` } }) as unknown as IncomingMessage;
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('gateway token verification', () => {
  it('accepts a valid RS256 token and maps it to the forwarded identity', async () => {
    const viewer = await auth.authenticate(request(sign(trusted.privateKey)));
    expect(viewer).toMatchObject({ userId: 'user-1', roles: ['CUSTOMER'], scopes: ['orders:read', 'cart:write'] });
    expect(viewer.expiresAt).toBeGreaterThan(Date.now() / 1000);
  });

  it('treats a request without credentials as anonymous', async () => {
    expect(await auth.authenticate({ headers: {} } as IncomingMessage)).toMatchObject({ roles: [], scopes: [] });
  });

  const publicPem = trusted.publicKey.export({ format: 'pem', type: 'spki' }).toString();
  const now = Math.floor(Date.now() / 1000);
  const tampered: [string, () => string][] = [
    ['signed with the wrong key', () => sign(attacker.privateKey)],
    ['expired', () => sign(trusted.privateKey, {}, { ...claims, iat: now - 3600, exp: now - 60 })],
    ['alg none', () => `${b64({ alg: 'none', typ: 'JWT', kid: 'k1' })}.${b64({ ...claims, iss: ISS, aud: AUD, exp: now + 600 })}.`],
    ['HS256 signed with the public key (algorithm confusion)', () => {
      const head = `${b64({ alg: 'HS256', typ: 'JWT', kid: 'k1' })}.${b64({ ...claims, iss: ISS, aud: AUD, exp: now + 600 })}`;
      return `${head}.${createHmac('sha256', publicPem).update(head).digest('base64url')}`;
    }],
    ['wrong audience', () => sign(trusted.privateKey, { audience: 'someone-else' })],
    ['wrong issuer', () => sign(trusted.privateKey, { issuer: 'evil-issuer' })],
    ['a payload edited after signing', () => {
      const [h, , s] = sign(trusted.privateKey).split('.');
      return `${h}.${b64({ ...claims, roles: ['ADMIN'], iss: ISS, aud: AUD, exp: now + 600 })}.${s}`;
    }],
    ['garbage', () => 'not.a.token'],
    ['an unknown key id', () => sign(attacker.privateKey, { keyid: 'nope' })],
  ];
  for (const [name, make] of tampered) {
    it(`rejects a token ${name} with 401`, async () => {
      await expect(auth.authenticate(request(make()))).rejects.toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    });
  }

  it('rejects a non-Bearer authorization header', async () => {
    await expect(auth.authenticate({ headers: { authorization: 'Basic abc' } } as unknown as IncomingMessage)).rejects.toMatchObject({ status: 401 });
  });

  it('picks up a rotated-in key by refreshing the JWKS on an unknown kid, and still accepts the old key', async () => {
    published.push({ kid: 'k2', key: rotated.publicKey });
    const before = jwksRequests;
    const viewer = await auth.authenticate(request(sign(rotated.privateKey, { keyid: 'k2' })));
    expect(viewer.userId).toBe('user-1');
    expect(jwksRequests).toBe(before + 1);
    expect((await auth.authenticate(request(sign(trusted.privateKey)))).userId).toBe('user-1');
  });
});
