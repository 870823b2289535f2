import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { postGraphQL } from '@storefront/shared/testing';
import { DEFAULT_RATE_LIMITS, seedIdentity } from '../src/index.ts';
import {
  customerViewer, fixture, LOGIN, LOGOUT, newAccount, REFRESH, REGISTER, redisUrl, registerCustomer, startIdentity, type Harness,
} from './harness.ts';

let h: Harness;
/** Every password and token the tests handle; none may appear in a log line. */
const secrets = new Set<string>();
const remember = <T extends Record<string, any>>(o: T): T => {
  for (const key of ['password', 'accessToken', 'refreshToken', 'token', 'newPassword', 'currentPassword']) if (typeof o?.[key] === 'string') secrets.add(o[key]);
  return o;
};

beforeAll(async () => {
  h = await startIdentity();
});

afterAll(async () => {
  await h?.close();
});

const ME = '{ me { id email name roles createdAt addresses { id } } }';

describe('register, login and me', () => {
  it('registers a customer, signs in and reads the profile through me', async () => {
    const account = remember(newAccount('alice'));
    const reg = await h.gql(REGISTER, { input: { ...account, email: `  ${account.email.toUpperCase()} ` } });
    expect(reg.body.errors).toBeUndefined();
    const registered = remember(reg.body.data.register);
    expect(registered.userErrors).toEqual([]);
    expect(registered.user).toMatchObject({ email: account.email, name: account.name, roles: ['CUSTOMER'] });
    expect(registered.accessToken).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(registered.refreshToken).toMatch(/^rt_/);
    const expiresIn = Date.parse(registered.expiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan(14 * 60_000);
    expect(expiresIn).toBeLessThanOrEqual(15 * 60_000);
    expect(Date.parse(registered.refreshTokenExpiresAt) - Date.now()).toBeGreaterThan(29 * 24 * 3600_000);

    const stored = await h.db.user.findUniqueOrThrow({ where: { id: registered.user.id } });
    expect(stored.passwordHash).toMatch(/^\$argon2id\$/);
    expect(stored.passwordHash).not.toContain(account.password);

    const login = await h.gql(LOGIN, { input: { email: account.email, password: account.password } });
    const session = remember(login.body.data.login);
    expect(session.userErrors).toEqual([]);
    expect(session.user.id).toBe(registered.user.id);
    expect(session.refreshToken).not.toBe(registered.refreshToken);

    const me = await h.gql(ME, {}, { viewer: customerViewer(registered.user.id) });
    expect(me.body.errors).toBeUndefined();
    expect(me.body.data.me).toMatchObject({ id: registered.user.id, email: account.email, name: account.name, roles: ['CUSTOMER'], addresses: [] });
    expect(Date.parse(me.body.data.me.createdAt)).not.toBeNaN();
  });

  it('answers me with null for anonymous callers', async () => {
    const res = await h.gql(ME);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.me).toBeNull();
  });

  it('signs in the seeded demo users with their fixture passwords, and seeding again changes nothing', async () => {
    for (const user of fixture.users) {
      const res = await h.gql(LOGIN, { input: { email: user.email, password: user.password } });
      expect(remember(res.body.data.login).userErrors).toEqual([]);
      expect(res.body.data.login.user).toMatchObject({ id: user.id, roles: user.roles });
    }
    const before = await h.db.user.findMany({ where: { id: { in: fixture.users.map((u) => u.id) } }, orderBy: { id: 'asc' } });
    expect(before).toHaveLength(fixture.users.length);
    await seedIdentity(h.db, fixture);
    const after = await h.db.user.findMany({ where: { id: { in: fixture.users.map((u) => u.id) } }, orderBy: { id: 'asc' } });
    expect(after.map((u) => u.passwordHash)).toEqual(before.map((u) => u.passwordHash));
  });

  it('refuses a wrong password and an unknown email with the same answer', async () => {
    const user = await registerCustomer(h, remember(newAccount('wrongpw')));
    const wrong = await h.gql(LOGIN, { input: { email: user.email, password: 'Wr0ng-password!' } });
    const unknown = await h.gql(LOGIN, { input: { email: 'nobody.here@example.com', password: 'Wr0ng-password!' } });
    for (const res of [wrong, unknown]) {
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data.login).toMatchObject({ accessToken: null, refreshToken: null, user: null });
      expect(res.body.data.login.userErrors).toEqual([{ field: null, code: 'INVALID_CREDENTIALS', message: 'The email or password is incorrect.' }]);
    }
  });

  it('refuses weak passwords and creates no account', async () => {
    const email = 'weak.one1@example.com';
    const cases = ['Sh0rt!', 'alllowercaseletters', 'lowercase123456', email.toUpperCase(), 'NoDigitsOrSymbols'];
    for (const password of cases) {
      secrets.add(password);
      const res = await h.gql(REGISTER, { input: { email, password, name: 'Weak' } });
      expect(res.body.errors).toBeUndefined();
      const errors = res.body.data.register.userErrors;
      expect(errors, password).toHaveLength(1);
      expect(errors[0]).toMatchObject({ code: 'WEAK_PASSWORD', field: ['password'] });
      expect(errors[0].message).not.toContain(password);
      expect(res.body.data.register.accessToken).toBeNull();
    }
    expect(await h.db.user.count({ where: { email } })).toBe(0);
    // Three classes out of four is enough.
    const ok = await h.gql(REGISTER, { input: { email, password: remember({ password: 'lower-and-123' }).password, name: 'Weak' } });
    expect(ok.body.data.register.userErrors).toEqual([]);
  });

  it('reports every invalid field of a registration at once', async () => {
    const res = await h.gql(REGISTER, { input: { email: 'not-an-email', password: 'short', name: '   ' } });
    expect(res.body.data.register.userErrors.map((e: any) => e.code).sort()).toEqual(['INVALID_EMAIL', 'INVALID_INPUT', 'WEAK_PASSWORD']);
  });

  it('normalises emails (trim, NFC, lower-case) and keeps them unique', async () => {
    const decomposed = '  E\u0301lodie.Dupont@Example.COM ';
    const password = remember({ password: 'Élodie-2026-pw' }).password;
    const first = await h.gql(REGISTER, { input: { email: decomposed, password, name: 'Élodie' } });
    expect(first.body.data.register.userErrors).toEqual([]);
    const normalised = '\u00e9lodie.dupont@example.com';
    expect(first.body.data.register.user.email).toBe(normalised);
    expect((await h.db.user.findUniqueOrThrow({ where: { id: first.body.data.register.user.id } })).email).toBe(normalised);

    const again = await h.gql(REGISTER, { input: { email: 'ÉLODIE.DUPONT@EXAMPLE.COM', password, name: 'Copy' } });
    expect(again.body.data.register.userErrors).toEqual([expect.objectContaining({ code: 'EMAIL_TAKEN', field: ['email'] })]);

    const login = await h.gql(LOGIN, { input: { email: ' \u00c9lodie.dupont@EXAMPLE.com', password } });
    expect(login.body.data.login.userErrors).toEqual([]);
    expect(login.body.data.login.user.id).toBe(first.body.data.register.user.id);
  });

  it('lets exactly one of two concurrent registrations of an email win', async () => {
    const account = remember(newAccount('race'));
    const results = await Promise.all([h.gql(REGISTER, { input: account }), h.gql(REGISTER, { input: { ...account, email: account.email.toUpperCase() } })]);
    const codes = results.map((r) => r.body.data.register.userErrors.map((e: any) => e.code).join() || 'OK').sort();
    expect(codes).toEqual(['EMAIL_TAKEN', 'OK']);
    expect(await h.db.user.count({ where: { email: account.email } })).toBe(1);
  });
});

describe('refresh tokens', () => {
  it('rotates the refresh token on every use and stores only hashes', async () => {
    const user = remember(await registerCustomer(h, remember(newAccount('rotate'))));
    const first = await h.gql(REFRESH, { input: { refreshToken: user.refreshToken } });
    const next = remember(first.body.data.refreshToken);
    expect(next.userErrors).toEqual([]);
    expect(next.refreshToken).toMatch(/^rt_/);
    expect(next.refreshToken).not.toBe(user.refreshToken);
    expect(next.accessToken).not.toBe(user.accessToken);
    expect(next.user.email).toBe(user.email);

    const second = remember((await h.gql(REFRESH, { input: { refreshToken: next.refreshToken } })).body.data.refreshToken);
    expect(second.userErrors).toEqual([]);

    const rows = await h.db.refreshToken.findMany({ where: { family: { userId: user.id } } });
    expect(rows).toHaveLength(3);
    expect(new Set(rows.map((r) => r.familyId)).size).toBe(1);
    for (const token of [user.refreshToken, next.refreshToken, second.refreshToken]) {
      expect(rows.some((r) => r.tokenHash === token)).toBe(false);
    }
  });

  it('revokes the whole family when a used refresh token is presented again', async () => {
    const user = await registerCustomer(h, remember(newAccount('reuse')));
    remember(user);
    const other = remember((await h.gql(LOGIN, { input: { email: user.email, password: user.password } })).body.data.login);
    const rotated = remember((await h.gql(REFRESH, { input: { refreshToken: user.refreshToken } })).body.data.refreshToken);
    expect(rotated.userErrors).toEqual([]);

    const replay = await h.gql(REFRESH, { input: { refreshToken: user.refreshToken } });
    expect(replay.body.data.refreshToken).toMatchObject({ accessToken: null, refreshToken: null });
    expect(replay.body.data.refreshToken.userErrors).toEqual([expect.objectContaining({ code: 'TOKEN_REUSED', field: ['refreshToken'] })]);

    // The legitimate successor is dead too: the family is revoked.
    const successor = await h.gql(REFRESH, { input: { refreshToken: rotated.refreshToken } });
    expect(successor.body.data.refreshToken.userErrors[0].code).toBe('INVALID_TOKEN');
    const revoked = await h.db.refreshTokenFamily.findMany({ where: { userId: user.id, revokedAt: { not: null } } });
    expect(revoked.map((f) => f.revokedReason)).toEqual(['REUSE']);

    // A separate sign-in (another device) is a separate family and keeps working.
    const otherDevice = await h.gql(REFRESH, { input: { refreshToken: other.refreshToken } });
    expect(remember(otherDevice.body.data.refreshToken).userErrors).toEqual([]);
  });

  it('lets only one of two concurrent uses of a refresh token succeed', async () => {
    const user = remember(await registerCustomer(h, remember(newAccount('concurrent'))));
    const results = await Promise.all([1, 2, 3].map(() => h.gql(REFRESH, { input: { refreshToken: user.refreshToken } })));
    const payloads = results.map((r) => remember(r.body.data.refreshToken));
    expect(payloads.filter((p) => p.userErrors.length === 0).length).toBeLessThanOrEqual(1);
    expect(payloads.some((p) => p.userErrors[0]?.code === 'TOKEN_REUSED')).toBe(true);
  });

  it('refuses unknown and expired refresh tokens', async () => {
    const unknown = await h.gql(REFRESH, { input: { refreshToken: 'rt_made-up' } });
    expect(unknown.body.data.refreshToken.userErrors[0].code).toBe('INVALID_TOKEN');
    const user = remember(await registerCustomer(h, remember(newAccount('expired'))));
    await h.db.refreshToken.updateMany({ where: { family: { userId: user.id } }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const expired = await h.gql(REFRESH, { input: { refreshToken: user.refreshToken } });
    expect(expired.body.data.refreshToken.userErrors[0].code).toBe('INVALID_TOKEN');
  });

  it('logout revokes the family so its refresh token no longer works', async () => {
    const user = remember(await registerCustomer(h, remember(newAccount('logout'))));
    const rotated = remember((await h.gql(REFRESH, { input: { refreshToken: user.refreshToken } })).body.data.refreshToken);
    const out = await h.gql(LOGOUT, { input: { refreshToken: rotated.refreshToken } });
    expect(out.body.data.logout).toEqual({ success: true, userErrors: [] });
    const after = await h.gql(REFRESH, { input: { refreshToken: rotated.refreshToken } });
    expect(after.body.data.refreshToken.userErrors[0].code).toBe('INVALID_TOKEN');
    const family = await h.db.refreshTokenFamily.findFirstOrThrow({ where: { userId: user.id } });
    expect(family.revokedReason).toBe('LOGOUT');
    // Idempotent for a known token, INVALID_TOKEN for garbage.
    expect((await h.gql(LOGOUT, { input: { refreshToken: rotated.refreshToken } })).body.data.logout.success).toBe(true);
    const garbage = await h.gql(LOGOUT, { input: { refreshToken: 'rt_nope' } });
    expect(garbage.body.data.logout).toMatchObject({ success: false, userErrors: [expect.objectContaining({ code: 'INVALID_TOKEN' })] });
  });
});

const REQUEST_RESET = 'mutation($input: RequestPasswordResetInput!) { requestPasswordReset(input: $input) { success retryAfterSeconds userErrors { code message } } }';
const RESET = 'mutation($input: ResetPasswordInput!) { resetPassword(input: $input) { success userErrors { field code message } } }';

describe('password reset', () => {
  const resetEvents = (userId: string) =>
    h.db.outboxEvent.findMany({ where: { type: 'PasswordResetRequested', aggregateId: userId }, orderBy: { occurredAt: 'asc' } });

  it('delivers a single-use token through the outbox and ends existing sessions', async () => {
    const user = remember(await registerCustomer(h, remember(newAccount('reset'))));
    const before = await h.db.outboxEvent.count();
    const unknown = await h.gql(REQUEST_RESET, { input: { email: 'no.such.account@example.com' } });
    expect(unknown.body.data.requestPasswordReset).toEqual({ success: true, retryAfterSeconds: null, userErrors: [] });
    expect(await h.db.outboxEvent.count()).toBe(before);

    const requested = await h.gql(REQUEST_RESET, { input: { email: ` ${user.email.toUpperCase()}` } });
    expect(requested.body.data.requestPasswordReset).toEqual({ success: true, retryAfterSeconds: null, userErrors: [] });
    const [event] = await resetEvents(user.id);
    const payload = event.payload as { userId: string; email: string; token: string; expiresAt: string };
    secrets.add(payload.token);
    expect(payload).toMatchObject({ userId: user.id, email: user.email });
    expect(Date.parse(payload.expiresAt) - Date.now()).toBeGreaterThan(29 * 60_000);
    expect(Date.parse(payload.expiresAt) - Date.now()).toBeLessThanOrEqual(30 * 60_000);
    const stored = await h.db.passwordResetToken.findFirstOrThrow({ where: { userId: user.id } });
    expect(stored.tokenHash).not.toBe(payload.token);
    expect(stored.tokenHash).toMatch(/^[0-9a-f]{64}$/);

    const weak = await h.gql(RESET, { input: { token: payload.token, newPassword: 'weakweak' } });
    expect(weak.body.data.resetPassword.userErrors).toEqual([expect.objectContaining({ code: 'WEAK_PASSWORD', field: ['newPassword'] })]);

    const newPassword = remember({ password: 'Brand-new-2026' }).password;
    const done = await h.gql(RESET, { input: { token: payload.token, newPassword } });
    expect(done.body.data.resetPassword).toEqual({ success: true, userErrors: [] });

    const again = await h.gql(RESET, { input: { token: payload.token, newPassword: 'Another-new-2026' } });
    expect(again.body.data.resetPassword.userErrors).toEqual([expect.objectContaining({ code: 'INVALID_TOKEN', field: ['token'] })]);

    const oldLogin = await h.gql(LOGIN, { input: { email: user.email, password: user.password } });
    expect(oldLogin.body.data.login.userErrors[0].code).toBe('INVALID_CREDENTIALS');
    const newLogin = await h.gql(LOGIN, { input: { email: user.email, password: newPassword } });
    expect(remember(newLogin.body.data.login).userErrors).toEqual([]);
    const oldSession = await h.gql(REFRESH, { input: { refreshToken: user.refreshToken } });
    expect(oldSession.body.data.refreshToken.userErrors[0].code).toBe('INVALID_TOKEN');
  });

  it('refuses an expired token and withdraws older links when a new one is requested', async () => {
    const user = remember(await registerCustomer(h, remember(newAccount('reset2'))));
    await h.gql(REQUEST_RESET, { input: { email: user.email } });
    await h.gql(REQUEST_RESET, { input: { email: user.email } });
    const [older, newer] = (await resetEvents(user.id)).map((e) => (e.payload as { token: string }).token);
    secrets.add(older);
    secrets.add(newer);
    const withdrawn = await h.gql(RESET, { input: { token: older, newPassword: 'Brand-new-2026' } });
    expect(withdrawn.body.data.resetPassword.userErrors[0].code).toBe('INVALID_TOKEN');

    await h.db.passwordResetToken.updateMany({ where: { userId: user.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const expired = await h.gql(RESET, { input: { token: newer, newPassword: 'Brand-new-2026' } });
    expect(expired.body.data.resetPassword.userErrors[0].code).toBe('INVALID_TOKEN');
  });

  it('silently stops issuing links for one account past its limit, still answering success', async () => {
    const user = remember(await registerCustomer(h, remember(newAccount('reset3'))));
    for (let i = 0; i < DEFAULT_RATE_LIMITS.resetRequestPerAccount.limit + 2; i++) {
      const res = await h.gql(REQUEST_RESET, { input: { email: user.email } });
      expect(res.body.data.requestPasswordReset.success).toBe(true);
    }
    expect(await resetEvents(user.id)).toHaveLength(DEFAULT_RATE_LIMITS.resetRequestPerAccount.limit);
    for (const e of await resetEvents(user.id)) secrets.add((e.payload as { token: string }).token);
  });
});

describe('rate limits', () => {
  it('locks an account after repeated failed logins, whatever the client address', async () => {
    const user = remember(await registerCustomer(h, remember(newAccount('brute'))));
    const limit = DEFAULT_RATE_LIMITS.passwordFailuresPerAccount.limit;
    for (let i = 0; i < limit; i++) {
      const res = await h.gql(LOGIN, { input: { email: user.email, password: `Guess-${i}-wrong` } });
      expect(res.body.data.login.userErrors[0].code).toBe('INVALID_CREDENTIALS');
    }
    const blocked = await h.gql(LOGIN, { input: { email: user.email.toUpperCase(), password: user.password } });
    const payload = blocked.body.data.login;
    expect(payload.accessToken).toBeNull();
    expect(payload.userErrors).toEqual([expect.objectContaining({ code: 'RATE_LIMITED' })]);
    expect(payload.retryAfterSeconds).toBeGreaterThan(0);
    expect(payload.retryAfterSeconds).toBeLessThanOrEqual(DEFAULT_RATE_LIMITS.passwordFailuresPerAccount.windowSeconds);
    expect(payload.userErrors[0].message).toMatch(/Try again in \d+ seconds?/);

    // The counters live in Redis under the server's prefix, keyed by hashes (no email in the key).
    const redis = new Redis(redisUrl);
    try {
      const keys = await redis.keys(`${h.rateLimitPrefix}pwcheck:*`);
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.join()).not.toContain(user.email);
    } finally {
      redis.disconnect();
    }
  });

  it('limits login attempts per client address across accounts', async () => {
    const ip = '203.0.113.77';
    const limit = DEFAULT_RATE_LIMITS.loginPerIp.limit;
    for (let i = 0; i < limit; i++) {
      const res = await h.gql(LOGIN, { input: { email: `spray${i}@example.com`, password: 'Spray-2026-pw' } }, { ip });
      expect(res.body.data.login.userErrors[0].code).toBe('INVALID_CREDENTIALS');
    }
    // The gateway appends the address it saw; an address the client put in front is ignored.
    const blocked = await h.gql(LOGIN, { input: { email: fixture.customer.email, password: fixture.customer.password } }, { ip: `198.51.100.1, ${ip}` });
    expect(blocked.body.data.login.userErrors[0].code).toBe('RATE_LIMITED');
    expect(blocked.body.data.login.retryAfterSeconds).toBeGreaterThan(0);
    const elsewhere = await h.gql(LOGIN, { input: { email: fixture.customer.email, password: fixture.customer.password } }, { ip: '203.0.113.78' });
    expect(remember(elsewhere.body.data.login).userErrors).toEqual([]);
  });

  it('limits refresh attempts per client address', async () => {
    const ip = '203.0.113.90';
    const limit = DEFAULT_RATE_LIMITS.refreshPerIp.limit;
    await Promise.all(Array.from({ length: limit }, (_, i) => h.gql(REFRESH, { input: { refreshToken: `rt_guess_${i}` } }, { ip })));
    const blocked = await h.gql(REFRESH, { input: { refreshToken: 'rt_guess_last' } }, { ip });
    expect(blocked.body.data.refreshToken.userErrors[0].code).toBe('RATE_LIMITED');
    expect(blocked.body.data.refreshToken.retryAfterSeconds).toBeGreaterThan(0);
  });
});

const ADD_ADDRESS = 'mutation($input: AddAddressInput!) { addAddress(input: $input) { address { id name city countryCode isDefault } userErrors { field code message } } }';
const UPDATE_ADDRESS = 'mutation($input: UpdateAddressInput!) { updateAddress(input: $input) { address { id line2 city isDefault } userErrors { field code } } }';
const REMOVE_ADDRESS = 'mutation($input: RemoveAddressInput!) { removeAddress(input: $input) { removedAddressId userErrors { field code } } }';
const home = { name: 'Alice Home', line1: '1 Main St', city: 'Springfield', postalCode: '12345', countryCode: 'us' };

describe('address book and personal fields', () => {
  it('keeps one default address and lets only the owner change it', async () => {
    const alice = await registerCustomer(h, remember(newAccount('addr')));
    const bob = await registerCustomer(h, remember(newAccount('addr-bob')));
    const asAlice = { viewer: customerViewer(alice.id) };
    const first = (await h.gql(ADD_ADDRESS, { input: home }, asAlice)).body.data.addAddress;
    expect(first.userErrors).toEqual([]);
    expect(first.address).toMatchObject({ countryCode: 'US', isDefault: true });
    const second = (await h.gql(ADD_ADDRESS, { input: { ...home, name: 'Alice Work', isDefault: true } }, asAlice)).body.data.addAddress;
    expect(second.address.isDefault).toBe(true);

    const me = (await h.gql(ME, {}, asAlice)).body.data.me;
    expect(me.addresses.map((a: any) => a.id)).toEqual([second.address.id, first.address.id]);

    const invalid = (await h.gql(ADD_ADDRESS, { input: { ...home, countryCode: 'USA', city: ' ' } }, asAlice)).body.data.addAddress;
    expect(invalid.userErrors.map((e: any) => e.field[0]).sort()).toEqual(['city', 'countryCode']);

    const bobsTry = await h.gql(UPDATE_ADDRESS, { input: { id: first.address.id, city: 'Elsewhere' } }, { viewer: customerViewer(bob.id) });
    expect(bobsTry.body.data.updateAddress.userErrors).toEqual([{ field: ['id'], code: 'NOT_FOUND' }]);
    const bobsRemove = await h.gql(REMOVE_ADDRESS, { input: { id: first.address.id } }, { viewer: customerViewer(bob.id) });
    expect(bobsRemove.body.data.removeAddress.userErrors[0].code).toBe('NOT_FOUND');

    const updated = (await h.gql(UPDATE_ADDRESS, { input: { id: first.address.id, line2: 'Apt 4', city: 'Shelbyville' } }, asAlice)).body.data.updateAddress;
    expect(updated.address).toMatchObject({ line2: 'Apt 4', city: 'Shelbyville', isDefault: false });
    const cleared = (await h.gql(UPDATE_ADDRESS, { input: { id: first.address.id, line2: null } }, asAlice)).body.data.updateAddress;
    expect(cleared.address.line2).toBeNull();

    const removed = (await h.gql(REMOVE_ADDRESS, { input: { id: second.address.id } }, asAlice)).body.data.removeAddress;
    expect(removed).toEqual({ removedAddressId: second.address.id, userErrors: [] });
    const left = (await h.gql(ME, {}, asAlice)).body.data.me.addresses;
    expect(left).toEqual([{ id: first.address.id }]);
    expect((await h.db.address.findUniqueOrThrow({ where: { id: first.address.id } })).isDefault).toBe(true);

    const anonymous = await h.gql(ADD_ADDRESS, { input: home });
    expect(anonymous.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('guards email and addresses on entity references and root fields', async () => {
    const alice = await registerCustomer(h, remember(newAccount('owner')));
    const bob = await registerCustomer(h, remember(newAccount('other')));
    await h.gql(ADD_ADDRESS, { input: home }, { viewer: customerViewer(alice.id) });
    const entities = (fields: string, viewer: any) =>
      h.gql(`query($r: [_Any!]!) { _entities(representations: $r) { ... on User { ${fields} } } }`, { r: [{ __typename: 'User', id: alice.id }] }, { viewer });

    // Anyone may join a User and read its public fields.
    const pub = await entities('id name roles', customerViewer(bob.id));
    expect(pub.body.errors).toBeUndefined();
    expect(pub.body.data._entities[0]).toMatchObject({ id: alice.id, name: alice.name, roles: ['CUSTOMER'] });

    const email = await entities('id email', customerViewer(bob.id));
    expect(email.body.data._entities[0]).toEqual({ id: alice.id, email: null });
    expect(email.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(JSON.stringify(email.body)).not.toContain(alice.email);

    const addresses = await entities('id addresses { line1 }', customerViewer(bob.id));
    expect(addresses.body.data._entities[0]).toBeNull();
    expect(addresses.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');

    const anonymous = await entities('id email', {});
    expect(anonymous.body.data._entities[0].email).toBeNull();

    const own = await entities('email addresses { line1 }', customerViewer(alice.id));
    expect(own.body.errors).toBeUndefined();
    expect(own.body.data._entities[0]).toEqual({ email: alice.email, addresses: [{ line1: home.line1 }] });

    const support = await entities('email addresses { line1 }', { userId: fixture.users[1].id, roles: ['SUPPORT'] });
    expect(support.body.errors).toBeUndefined();
    expect(support.body.data._entities[0].email).toBe(alice.email);

    const byBob = await h.gql('query($id: ID!) { user(id: $id) { id email } }', { id: alice.id }, { viewer: customerViewer(bob.id) });
    expect(byBob.body.errors).toBeUndefined();
    expect(byBob.body.data.user).toBeNull();
    const bySupport = await h.gql('query($id: ID!) { user(id: $id) { id email } }', { id: alice.id }, { viewer: { userId: fixture.users[1].id, roles: ['SUPPORT'] } });
    expect(bySupport.body.data.user).toEqual({ id: alice.id, email: alice.email });
  });

  it('resolves many User references in one query', async () => {
    const users = await Promise.all([1, 2, 3].map(() => registerCustomer(h, remember(newAccount('batch')))));
    const res = await h.gql(
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id name } } }',
      { r: [...users.map((u) => ({ __typename: 'User', id: u.id })), { __typename: 'User', id: 'missing' }] },
      { viewer: { service: 'order', roles: [] } },
    );
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data._entities.slice(0, 3).map((u: any) => u.id)).toEqual(users.map((u) => u.id));
    expect(res.body.data._entities[3]).toBeNull();
  });
});

const UPDATE_PROFILE = 'mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { user { name email } retryAfterSeconds userErrors { field code } } }';
const CHANGE_PASSWORD = 'mutation($input: ChangePasswordInput!) { changePassword(input: $input) { success userErrors { field code } } }';

describe('profile and password changes', () => {
  it('updates the name, and the email only with the current password', async () => {
    const user = remember(await registerCustomer(h, remember(newAccount('profile'))));
    const as = { viewer: customerViewer(user.id) };
    const renamed = await h.gql(UPDATE_PROFILE, { input: { name: '  New Name ' } }, as);
    expect(renamed.body.data.updateProfile).toMatchObject({ user: { name: 'New Name', email: user.email }, userErrors: [] });

    const newEmail = `Changed.${user.email}`;
    const noPassword = await h.gql(UPDATE_PROFILE, { input: { email: newEmail } }, as);
    expect(noPassword.body.data.updateProfile.userErrors).toEqual([{ field: ['currentPassword'], code: 'INVALID_CREDENTIALS' }]);
    const taken = await h.gql(UPDATE_PROFILE, { input: { email: fixture.customer.email, currentPassword: user.password } }, as);
    expect(taken.body.data.updateProfile.userErrors).toEqual([{ field: ['email'], code: 'EMAIL_TAKEN' }]);
    const changed = await h.gql(UPDATE_PROFILE, { input: { email: newEmail, currentPassword: user.password } }, as);
    expect(changed.body.data.updateProfile.user.email).toBe(newEmail.toLowerCase());

    const anonymous = await h.gql(UPDATE_PROFILE, { input: { name: 'x' } });
    expect(anonymous.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('changes the password after checking the current one and ends existing sessions', async () => {
    const user = remember(await registerCustomer(h, remember(newAccount('chpw'))));
    const as = { viewer: customerViewer(user.id) };
    const wrong = await h.gql(CHANGE_PASSWORD, { input: { currentPassword: 'Not-the-2026-pw', newPassword: 'Next-pass-2026' } }, as);
    expect(wrong.body.data.changePassword).toEqual({ success: false, userErrors: [{ field: ['currentPassword'], code: 'INVALID_CREDENTIALS' }] });
    const weak = await h.gql(CHANGE_PASSWORD, { input: { currentPassword: user.password, newPassword: 'short' } }, as);
    expect(weak.body.data.changePassword.userErrors).toEqual([{ field: ['newPassword'], code: 'WEAK_PASSWORD' }]);
    const newPassword = remember({ password: 'Next-pass-2026' }).password;
    const ok = await h.gql(CHANGE_PASSWORD, { input: { currentPassword: user.password, newPassword } }, as);
    expect(ok.body.data.changePassword).toEqual({ success: true, userErrors: [] });

    expect((await h.gql(REFRESH, { input: { refreshToken: user.refreshToken } })).body.data.refreshToken.userErrors[0].code).toBe('INVALID_TOKEN');
    expect((await h.gql(LOGIN, { input: { email: user.email, password: user.password } })).body.data.login.userErrors[0].code).toBe('INVALID_CREDENTIALS');
    expect(remember((await h.gql(LOGIN, { input: { email: user.email, password: newPassword } })).body.data.login).userErrors).toEqual([]);
  });
});

describe('transport and logging', () => {
  it('refuses requests without a valid gateway signature', async () => {
    const unsigned = await postGraphQL(h.url, '{ me { id } }');
    expect(unsigned.status).toBe(401);
    const forged = await postGraphQL(h.url, LOGIN, { input: { email: fixture.customer.email, password: fixture.customer.password } }, {
      'x-storefront-identity': Buffer.from(JSON.stringify({ userId: fixture.users[2].id, roles: ['ADMIN'], scopes: ['users:read:any'] })).toString('base64url'),
      'x-storefront-timestamp': String(Date.now()),
      'x-storefront-signature': 'AAAA',
    });
    expect(forged.status).toBe(401);
    expect(JSON.stringify(forged.body)).not.toContain('accessToken');
  });

  it('never writes a password, token or hash to the log', async () => {
    expect(h.logs.length).toBeGreaterThan(10);
    const text = h.logs.join('\n');
    expect(text).toContain('"msg":"login"');
    expect(secrets.size).toBeGreaterThan(20);
    for (const secret of secrets) expect(text.includes(secret), 'a secret reached the log').toBe(false);
    expect(text).not.toMatch(/\$argon2id\$/);
    expect(text).not.toMatch(/rt_[\w-]{20,}|prt_[\w-]{20,}|eyJ[\w-]+\.eyJ/);
  });
});
