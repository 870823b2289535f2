import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUBGRAPH_NAMES } from '@storefront/shared';
import { postGraphQL } from '@storefront/shared/testing';
import { demoFixture } from '@storefront/shared/fixtures';
import { createGateway, loadGatewayConfig, type GatewayServer } from '@storefront/gateway';
import type { Stack } from '../../scripts/lib/stack.ts';
import { login, startTestStack } from './stack.ts';

/**
 * Partner API clients end to end: an admin registers a client through the gateway, the partner calls
 * the gateway with `x-api-key: <clientId>.<secret>` and reads the catalog; a wrong secret, an unknown
 * client and a revoked client are refused.
 *
 * The gateway caches a key's verification for up to a minute (gateway/src/auth/authenticate.ts), so a
 * revocation takes effect at once for keys that gateway has not just verified, and within that minute
 * otherwise: the revoked-after-use case is checked on a gateway that has no cached answer.
 */
const fixture = demoFixture();
let stack: Stack;
let adminToken: string;

const CREATE = `mutation($i: CreateApiClientInput!) {
  createApiClient(input: $i) { clientSecret apiClient { id clientId scopes rateTier revokedAt } userErrors { code message } }
}`;
const REVOKE = 'mutation($i: RevokeApiClientInput!) { revokeApiClient(input: $i) { apiClient { revokedAt } userErrors { code } } }';
const CATALOG = '{ products(first: 3) { totalCount edges { node { id title } } } }';

interface Partner {
  id: string;
  clientId: string;
  secret: string;
  key: string;
}

async function createPartner(name: string): Promise<Partner> {
  // Reading the catalog needs no scope; profile:read is harmless for a client, which has no user. LOG_UNKNOWN lets the
  // partner run ad-hoc operations (logged); SAFELIST clients are covered in gateway/test/protection.test.ts.
  const res = await postGraphQL(stack.gatewayUrl, CREATE, { i: { name, scopes: ['profile:read'], persistedQueryPolicy: 'LOG_UNKNOWN' } }, { authorization: `Bearer ${adminToken}` });
  expect(res.body.errors).toBeUndefined();
  const payload = res.body.data.createApiClient;
  expect(payload.userErrors).toEqual([]);
  return { id: payload.apiClient.id, clientId: payload.apiClient.clientId, secret: payload.clientSecret, key: `${payload.apiClient.clientId}.${payload.clientSecret}` };
}

const asPartner = (key: string) => ({ 'x-api-key': key });

beforeAll(async () => {
  stack = await startTestStack();
  adminToken = await login(stack.gatewayUrl, 'admin');
}, 120_000);

afterAll(async () => {
  await stack?.stop({ dropDatabases: true });
});

describe('partner API clients through the gateway', () => {
  it('only admins may register a client', async () => {
    const customer = await login(stack.gatewayUrl, 'customer');
    const res = await postGraphQL(stack.gatewayUrl, CREATE, { i: { name: 'Sneaky', scopes: ['profile:read'] } }, { authorization: `Bearer ${customer}` });
    expect(res.body.data?.createApiClient ?? null).toBeNull();
    expect(res.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('an admin creates a client; the partner reads the catalog with its key', async () => {
    const partner = await createPartner('Acme Retail');
    expect(partner.secret.length).toBeGreaterThanOrEqual(32);
    const res = await postGraphQL(stack.gatewayUrl, CATALOG, {}, asPartner(partner.key));
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.products.totalCount).toBe(fixture.products.length);
    expect(res.body.data.products.edges).toHaveLength(3);
    // A partner is not a user: no viewer, and no customer's data.
    const me = await postGraphQL(stack.gatewayUrl, `{ me { id } order(id: "${fixture.orders[0].id}") { id } }`, {}, asPartner(partner.key));
    expect(me.body.data?.me ?? null).toBeNull();
    expect(me.body.data?.order ?? null).toBeNull();
    // The secret is shown once: the list of clients never carries it.
    const list = await postGraphQL(stack.gatewayUrl, '{ apiClients(first: 50) { edges { node { clientId } } } }', {}, { authorization: `Bearer ${adminToken}` });
    expect(list.body.data.apiClients.edges.map((e: any) => e.node.clientId)).toContain(partner.clientId);
    expect(JSON.stringify(list.body)).not.toContain(partner.secret);
  });

  it('refuses a wrong secret, an unknown client and a malformed key', async () => {
    const partner = await createPartner('Wrong Secret Inc');
    for (const key of [`${partner.clientId}.${partner.secret.slice(0, -2)}xx`, `${partner.clientId}.`, 'nobody.whatever-secret-value', partner.clientId, partner.secret]) {
      const res = await postGraphQL(stack.gatewayUrl, CATALOG, {}, asPartner(key));
      expect(res.status, key).toBe(401);
      expect(res.body.data ?? null).toBeNull();
      expect(res.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    // The right key still works afterwards.
    expect((await postGraphQL(stack.gatewayUrl, CATALOG, {}, asPartner(partner.key))).body.data.products.totalCount).toBe(fixture.products.length);
  });

  it('refuses a revoked client', async () => {
    const unused = await createPartner('Revoked Before Use');
    const used = await createPartner('Revoked After Use');
    expect((await postGraphQL(stack.gatewayUrl, CATALOG, {}, asPartner(used.key))).status).toBe(200);
    for (const p of [unused, used]) {
      const res = await postGraphQL(stack.gatewayUrl, REVOKE, { i: { id: p.id } }, { authorization: `Bearer ${adminToken}` });
      expect(res.body.data.revokeApiClient.userErrors).toEqual([]);
      expect(res.body.data.revokeApiClient.apiClient.revokedAt).toBeTruthy();
    }
    const refused = await postGraphQL(stack.gatewayUrl, CATALOG, {}, asPartner(unused.key));
    expect(refused.status).toBe(401);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    // A gateway without a cached verification (another replica, or this one after the cache minute).
    const env = { ...process.env, ...Object.fromEntries(SUBGRAPH_NAMES.map((n) => [`${n.toUpperCase()}_URL`, stack.subgraphUrls[n]])) };
    const other: GatewayServer = await createGateway(loadGatewayConfig(env));
    try {
      const url = `${await other.listen(0)}/graphql`;
      expect((await postGraphQL(url, CATALOG, {}, asPartner(used.key))).status).toBe(401);
      expect((await postGraphQL(url, CATALOG, {}, asPartner(unused.key))).status).toBe(401);
    } finally {
      await other.close();
    }
  });
});
