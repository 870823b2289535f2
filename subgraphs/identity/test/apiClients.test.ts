import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayHeaders } from '@storefront/shared/testing';
import { fixture, startIdentity, type Harness } from './harness.ts';

let h: Harness;
const admin = { userId: fixture.users[2].id, roles: ['ADMIN' as const] };
const customer = { userId: fixture.customer.id, roles: ['CUSTOMER' as const] };

beforeAll(async () => {
  h = await startIdentity();
});

afterAll(async () => {
  await h?.close();
});

const CREATE = `mutation($input: CreateApiClientInput!) {
  createApiClient(input: $input) { clientSecret apiClient { id name clientId scopes rateTier persistedQueryPolicy persistedQueryList createdAt revokedAt } userErrors { field code message } }
}`;
const REVOKE = 'mutation($input: RevokeApiClientInput!) { revokeApiClient(input: $input) { apiClient { id revokedAt } userErrors { field code } } }';
const UPDATE = `mutation($input: UpdateApiClientInput!) {
  updateApiClient(input: $input) { apiClient { id name clientId scopes rateTier persistedQueryPolicy persistedQueryList revokedAt } userErrors { field code message } }
}`;
const LIST = `query($first: Int, $after: String) {
  apiClients(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id name clientId } } }
}`;

async function verify(body: unknown, headers: Record<string, string> = gatewayHeaders({ service: 'gateway' })) {
  const res = await fetch(`${h.base}/internal/api-clients/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function create(input: Record<string, unknown>) {
  const res = await h.gql(CREATE, { input }, { viewer: admin });
  expect(res.body.errors).toBeUndefined();
  return res.body.data.createApiClient;
}

describe('partner API clients', () => {
  it('lets only clients:write create clients', async () => {
    const res = await h.gql(CREATE, { input: { name: 'Sneaky', scopes: ['orders:read'] } }, { viewer: customer });
    expect(res.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const anonymous = await h.gql(CREATE, { input: { name: 'Sneaky', scopes: ['orders:read'] } });
    expect(anonymous.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(await h.db.apiClient.count()).toBe(0);
    const list = await h.gql(LIST, {}, { viewer: customer });
    expect(list.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('creates a client, shows its secret once and verifies it for the gateway only', async () => {
    const created = await create({ name: '  Acme Partner ', scopes: ['orders:read:any', 'inventory:write'], rateTier: 'PREMIUM' });
    expect(created.userErrors).toEqual([]);
    expect(created.apiClient).toMatchObject({ name: 'Acme Partner', scopes: ['orders:read:any', 'inventory:write'], rateTier: 'PREMIUM', revokedAt: null });
    expect(created.clientSecret).toMatch(/^sfs_[\w-]{40,}$/);
    const row = await h.db.apiClient.findUniqueOrThrow({ where: { id: created.apiClient.id } });
    expect(row.secretHash).not.toContain(created.clientSecret);
    expect(row.secretHash).toMatch(/^[0-9a-f]{64}$/);

    const ok = await verify({ clientId: created.apiClient.clientId, secret: created.clientSecret });
    expect(ok).toEqual({
      status: 200,
      body: { clientId: created.apiClient.clientId, name: 'Acme Partner', scopes: ['orders:read:any', 'inventory:write'], rateTier: 'PREMIUM', persistedQueryPolicy: 'SAFELIST', persistedQueryList: null },
    });

    const wrongSecret = await verify({ clientId: created.apiClient.clientId, secret: `${created.clientSecret.slice(0, -2)}xx` });
    expect(wrongSecret.status).toBe(401);
    expect(JSON.stringify(wrongSecret.body)).not.toContain('Acme');
    expect((await verify({ clientId: 'sfc_unknown', secret: created.clientSecret })).status).toBe(401);

    const creds = { clientId: created.apiClient.clientId, secret: created.clientSecret };
    expect((await verify(creds, {})).status).toBe(401); // no signature
    expect((await verify(creds, { ...gatewayHeaders({ service: 'gateway' }), 'x-storefront-signature': 'AAAA' })).status).toBe(401);
    expect((await verify(creds, gatewayHeaders(admin))).status).toBe(401); // signed, but not the gateway
    expect((await verify(creds, gatewayHeaders({ service: 'order' }))).status).toBe(401);
    expect((await verify('not json')).status).toBe(400);
    expect((await verify({ clientId: 42 })).status).toBe(400);

    const logs = h.logs.join('\n');
    expect(logs).toContain('api client created');
    expect(logs).not.toContain(created.clientSecret);
    expect(logs).not.toContain(row.secretHash);
  });

  it('refuses unknown or ungrantable scopes and an empty name', async () => {
    const bad = await create({ name: ' ', scopes: ['orders:read', 'clients:write', 'root'] });
    expect(bad.apiClient).toBeNull();
    expect(bad.clientSecret).toBeNull();
    expect(bad.userErrors.map((e: any) => [e.code, e.field])).toEqual([
      ['INVALID_INPUT', ['name']],
      ['INVALID_SCOPE', ['scopes', '1']],
      ['INVALID_SCOPE', ['scopes', '2']],
    ]);
    const none = await create({ name: 'Nothing', scopes: [] });
    expect(none.userErrors[0].code).toBe('INVALID_SCOPE');
  });

  it('gives the gateway the persisted query policy and list, and never grants OFF to a partner', async () => {
    const created = await create({ name: 'Listed', scopes: ['orders:read'], persistedQueryPolicy: 'REQUIRE_ID', persistedQueryList: ' acme ' });
    expect(created.userErrors).toEqual([]);
    expect(created.apiClient).toMatchObject({ persistedQueryPolicy: 'REQUIRE_ID', persistedQueryList: 'acme' });
    const ok = await verify({ clientId: created.apiClient.clientId, secret: created.clientSecret });
    expect(ok.body).toMatchObject({ persistedQueryPolicy: 'REQUIRE_ID', persistedQueryList: 'acme' });

    const bad = await create({ name: 'Wide open', scopes: ['orders:read'], persistedQueryPolicy: 'OFF', persistedQueryList: '../etc/passwd' });
    expect(bad.apiClient).toBeNull();
    expect(bad.userErrors.map((e: any) => [e.code, e.field])).toEqual([
      ['INVALID_INPUT', ['persistedQueryPolicy']],
      ['INVALID_INPUT', ['persistedQueryList']],
    ]);
  });

  it('revokes a client so the gateway can no longer verify it', async () => {
    const created = await create({ name: 'Short-lived', scopes: ['orders:read'] });
    expect(created.apiClient.rateTier).toBe('STANDARD');
    const creds = { clientId: created.apiClient.clientId, secret: created.clientSecret };
    expect((await verify(creds)).status).toBe(200);
    const revoked = await h.gql(REVOKE, { input: { id: created.apiClient.id } }, { viewer: admin });
    expect(revoked.body.data.revokeApiClient.userErrors).toEqual([]);
    expect(Date.parse(revoked.body.data.revokeApiClient.apiClient.revokedAt)).not.toBeNaN();
    expect((await verify(creds)).status).toBe(401);

    const unknown = await h.gql(REVOKE, { input: { id: 'no-such-client' } }, { viewer: admin });
    expect(unknown.body.data.revokeApiClient.userErrors).toEqual([{ field: ['id'], code: 'NOT_FOUND' }]);
    const byCustomer = await h.gql(REVOKE, { input: { id: created.apiClient.id } }, { viewer: customer });
    expect(byCustomer.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('lists clients newest first as a connection', async () => {
    for (let i = 0; i < 3; i++) await create({ name: `Paged ${i}`, scopes: ['orders:read'] });
    const all = await h.db.apiClient.findMany({ orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
    const first = (await h.gql(LIST, { first: 2 }, { viewer: admin })).body.data.apiClients;
    expect(first.totalCount).toBe(all.length);
    expect(first.pageInfo.hasNextPage).toBe(true);
    expect(first.edges.map((e: any) => e.node.id)).toEqual(all.slice(0, 2).map((c) => c.id));
    const rest = (await h.gql(LIST, { first: 50, after: first.pageInfo.endCursor }, { viewer: admin })).body.data.apiClients;
    expect(rest.edges.map((e: any) => e.node.id)).toEqual(all.slice(2).map((c) => c.id));
    expect(rest.pageInfo.hasNextPage).toBe(false);
    const forged = await h.gql(LIST, { first: 2, after: 'bogus' }, { viewer: admin });
    expect(forged.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});

async function update(input: Record<string, unknown>) {
  const res = await h.gql(UPDATE, { input }, { viewer: admin });
  expect(res.body.errors).toBeUndefined();
  return res.body.data.updateApiClient;
}

const changeEvents = (apiClientId: string) =>
  h.db.outboxEvent.findMany({ where: { type: 'ApiClientChanged', aggregateId: apiClientId }, orderBy: { occurredAt: 'asc' } });

describe('changing partner API clients', () => {
  it('changes each setting on its own, leaves the others alone and the gateway sees the new grants', async () => {
    const created = await create({ name: 'Changing', scopes: ['orders:read'], rateTier: 'FREE', persistedQueryPolicy: 'SAFELIST', persistedQueryList: 'acme' });
    const id = created.apiClient.id;
    const steps: [Record<string, unknown>, Record<string, unknown>][] = [
      [{ name: ' Renamed ' }, { name: 'Renamed' }],
      [{ scopes: ['inventory:write', 'orders:read:any', 'inventory:write'] }, { scopes: ['inventory:write', 'orders:read:any'] }],
      [{ rateTier: 'PREMIUM' }, { rateTier: 'PREMIUM' }],
      [{ persistedQueryPolicy: 'LOG_UNKNOWN' }, { persistedQueryPolicy: 'LOG_UNKNOWN' }],
      [{ persistedQueryList: 'shipfast' }, { persistedQueryList: 'shipfast' }],
      [{ persistedQueryList: null }, { persistedQueryList: null }],
    ];
    let expected = { id, name: 'Changing', clientId: created.apiClient.clientId, scopes: ['orders:read'], rateTier: 'FREE', persistedQueryPolicy: 'SAFELIST', persistedQueryList: 'acme', revokedAt: null };
    for (const [input, change] of steps) {
      const updated = await update({ id, ...input });
      expect(updated.userErrors, JSON.stringify(input)).toEqual([]);
      expected = { ...expected, ...change };
      expect(updated.apiClient).toEqual(expected);
    }
    const row = await h.db.apiClient.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ name: 'Renamed', scopes: ['inventory:write', 'orders:read:any'], rateTier: 'PREMIUM', persistedQueryPolicy: 'LOG_UNKNOWN', persistedQueryList: null });

    const verified = await verify({ clientId: created.apiClient.clientId, secret: created.clientSecret });
    expect(verified.body).toEqual({ clientId: created.apiClient.clientId, name: 'Renamed', scopes: ['inventory:write', 'orders:read:any'], rateTier: 'PREMIUM', persistedQueryPolicy: 'LOG_UNKNOWN', persistedQueryList: null });

    // Several settings at once.
    const both = await update({ id, rateTier: 'STANDARD', persistedQueryPolicy: 'REQUIRE_ID', persistedQueryList: 'acme' });
    expect(both.apiClient).toMatchObject({ rateTier: 'STANDARD', persistedQueryPolicy: 'REQUIRE_ID', persistedQueryList: 'acme', name: 'Renamed' });
    expect(h.logs.join('\n')).toContain('api client updated');
  });

  it('writes an ApiClientChanged event with each change, in the outbox of the same database', async () => {
    const created = await create({ name: 'Evented', scopes: ['orders:read'] });
    const id = created.apiClient.id;
    expect(await changeEvents(id)).toEqual([]);
    await update({ id, rateTier: 'FREE' });
    const [event] = await changeEvents(id);
    expect(event).toMatchObject({ type: 'ApiClientChanged', aggregateId: id, payload: { clientId: created.apiClient.clientId, revoked: false }, publishedAt: null });
    expect(JSON.stringify(event.payload)).not.toContain(created.clientSecret);

    // A refused update changes nothing and announces nothing.
    const refused = await update({ id, scopes: ['root'], rateTier: 'PREMIUM' });
    expect(refused.userErrors.map((e: any) => e.code)).toEqual(['INVALID_SCOPE']);
    expect((await h.db.apiClient.findUniqueOrThrow({ where: { id } })).rateTier).toBe('FREE');
    expect(await changeEvents(id)).toHaveLength(1);

    const revoked = await h.gql(REVOKE, { input: { id } }, { viewer: admin });
    expect(revoked.body.data.revokeApiClient.userErrors).toEqual([]);
    const events = await changeEvents(id);
    expect(events).toHaveLength(2);
    expect(events[1].payload).toEqual({ clientId: created.apiClient.clientId, revoked: true });
    // Revoking again is a no-op: nothing new to announce.
    await h.gql(REVOKE, { input: { id } }, { viewer: admin });
    expect(await changeEvents(id)).toHaveLength(2);
  });

  it('answers userErrors for unknown, revoked and invalid changes', async () => {
    const created = await create({ name: 'Validated', scopes: ['orders:read'] });
    const id = created.apiClient.id;
    const codes = async (input: Record<string, unknown>) => (await update(input)).userErrors.map((e: any) => [e.code, e.field]);

    expect(await codes({ id: 'no-such-client', name: 'X' })).toEqual([['NOT_FOUND', ['id']]]);
    expect(await codes({ id })).toEqual([['INVALID_INPUT', null]]);
    expect(await codes({ id, name: '  ' })).toEqual([['INVALID_INPUT', ['name']]]);
    expect(await codes({ id, scopes: [] })).toEqual([['INVALID_SCOPE', ['scopes']]]);
    expect(await codes({ id, scopes: ['orders:read', 'clients:write'] })).toEqual([['INVALID_SCOPE', ['scopes', '1']]]);
    expect(await codes({ id, persistedQueryPolicy: 'OFF' })).toEqual([['INVALID_INPUT', ['persistedQueryPolicy']]]);
    expect(await codes({ id, persistedQueryList: '../etc/passwd' })).toEqual([['INVALID_INPUT', ['persistedQueryList']]]);
    expect(await h.db.apiClient.findUniqueOrThrow({ where: { id } })).toMatchObject({ name: 'Validated', scopes: ['orders:read'], persistedQueryPolicy: 'SAFELIST' });
    expect(await changeEvents(id)).toEqual([]);

    await h.gql(REVOKE, { input: { id } }, { viewer: admin });
    const afterRevoke = await update({ id, rateTier: 'PREMIUM' });
    expect(afterRevoke.apiClient).toBeNull();
    expect(afterRevoke.userErrors.map((e: any) => [e.code, e.field])).toEqual([['REVOKED', ['id']]]);
    expect((await h.db.apiClient.findUniqueOrThrow({ where: { id } })).rateTier).toBe('STANDARD');
  });

  it('needs clients:write', async () => {
    const created = await create({ name: 'Guarded', scopes: ['orders:read'] });
    const byCustomer = await h.gql(UPDATE, { input: { id: created.apiClient.id, rateTier: 'PREMIUM' } }, { viewer: customer });
    expect(byCustomer.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const anonymous = await h.gql(UPDATE, { input: { id: created.apiClient.id, rateTier: 'PREMIUM' } });
    expect(anonymous.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const partner = await h.gql(UPDATE, { input: { id: created.apiClient.id, rateTier: 'PREMIUM' } }, { viewer: { clientId: created.apiClient.clientId, roles: [], scopes: ['orders:read'] } });
    expect(partner.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await h.db.apiClient.findUniqueOrThrow({ where: { id: created.apiClient.id } })).rateTier).toBe('STANDARD');
    expect(await changeEvents(created.apiClient.id)).toEqual([]);
  });
});
