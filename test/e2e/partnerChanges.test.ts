import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUBGRAPH_NAMES } from '@storefront/shared';
import { postGraphQL } from '@storefront/shared/testing';
import { demoFixture } from '@storefront/shared/fixtures';
import { createGateway, loadGatewayConfig, type GatewayServer } from '@storefront/gateway';
import type { Stack } from '../../scripts/lib/stack.ts';
import { login, startTestStack } from './stack.ts';

/**
 * Partner changes take effect at once: each gateway caches a key's verification for a minute, and
 * drops it when identity announces an ApiClientChanged event (updateApiClient, revokeApiClient)
 * through its outbox. Two gateways listen to the stack's event stream (every instance must see every
 * change); a third listens to nothing and shows what the cache alone would do.
 */
const fixture = demoFixture();
let stack: Stack;
let adminToken: string;
let listening: { gateway: GatewayServer; url: string }[];
let deaf: { gateway: GatewayServer; url: string };

const CREATE = `mutation($i: CreateApiClientInput!) {
  createApiClient(input: $i) { clientSecret apiClient { id clientId } userErrors { code message } }
}`;
const UPDATE = `mutation($i: UpdateApiClientInput!) {
  updateApiClient(input: $i) { apiClient { persistedQueryPolicy rateTier } userErrors { code message } }
}`;
const REVOKE = 'mutation($i: RevokeApiClientInput!) { revokeApiClient(input: $i) { apiClient { revokedAt } userErrors { code } } }';
/** Not in the acme list: refused under SAFELIST, logged and run under LOG_UNKNOWN. */
const AD_HOC = '{ products(first: 2) { totalCount } }';
/** Well under the 60 s cache lifetime: only the event can explain a change seen within it. */
const EVENT_DEADLINE_MS = 3_000;

async function startGateway(events: Stack['events'] | null) {
  const env = { ...process.env, ...Object.fromEntries(SUBGRAPH_NAMES.map((n) => [`${n.toUpperCase()}_URL`, stack.subgraphUrls[n]])) };
  const gateway = await createGateway(loadGatewayConfig(env), undefined, { events });
  return { gateway, url: `${await gateway.listen(0)}/graphql` };
}

const asAdmin = (query: string, i: Record<string, unknown>) => postGraphQL(stack.gatewayUrl, query, { i }, { authorization: `Bearer ${adminToken}` });
const asPartner = (url: string, key: string) => postGraphQL(url, AD_HOC, {}, { 'x-api-key': key });

/** Repeats the request until its status is `status`, for at most EVENT_DEADLINE_MS; returns the last reply. */
async function until(url: string, key: string, status: number) {
  const deadline = Date.now() + EVENT_DEADLINE_MS;
  for (;;) {
    const res = await asPartner(url, key);
    if (res.status === status || Date.now() > deadline) return res;
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  stack = await startTestStack();
  adminToken = await login(stack.gatewayUrl, 'admin');
  listening = [await startGateway(stack.events), await startGateway(stack.events)];
  deaf = await startGateway(null);
}, 120_000);

afterAll(async () => {
  await Promise.all([...(listening ?? []), ...(deaf ? [deaf] : [])].map((g) => g.gateway.close()));
  await stack?.stop({ dropDatabases: true });
});

describe('partner changes reach every gateway without waiting for the cache', () => {
  it('a policy change lets the next request through, and a revocation refuses it', async () => {
    const created = (await asAdmin(CREATE, { name: 'Changing Partner', scopes: ['profile:read'], persistedQueryPolicy: 'SAFELIST', persistedQueryList: 'acme' })).body.data.createApiClient;
    expect(created.userErrors).toEqual([]);
    const key = `${created.apiClient.clientId}.${created.clientSecret}`;

    // Every gateway verifies (and caches) the key, and refuses the ad-hoc operation under SAFELIST.
    for (const { url } of [...listening, deaf]) {
      const refused = await asPartner(url, key);
      expect(refused.status).toBe(400);
      expect(refused.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
    }

    const updated = (await asAdmin(UPDATE, { id: created.apiClient.id, persistedQueryPolicy: 'LOG_UNKNOWN' })).body.data.updateApiClient;
    expect(updated).toEqual({ apiClient: { persistedQueryPolicy: 'LOG_UNKNOWN', rateTier: 'STANDARD' }, userErrors: [] });

    for (const { url } of listening) {
      const allowed = await until(url, key, 200);
      expect(allowed.status, JSON.stringify(allowed.body)).toBe(200);
      expect(allowed.body.data.products.totalCount).toBe(fixture.products.length);
    }
    // Without the event, the cached SAFELIST answer still stands.
    expect((await asPartner(deaf.url, key)).status).toBe(400);
    for (const { gateway } of listening) expect(gateway.apiClientChanges!.received).toBeGreaterThanOrEqual(1);

    const revoked = (await asAdmin(REVOKE, { id: created.apiClient.id })).body.data.revokeApiClient;
    expect(revoked.userErrors).toEqual([]);
    for (const { url } of listening) {
      const refused = await until(url, key, 401);
      expect(refused.status).toBe(401);
      expect(refused.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    expect((await asPartner(deaf.url, key)).status).toBe(400);
  });

  it('a change to one client leaves the others cached and working', async () => {
    const make = async (name: string) => {
      const payload = (await asAdmin(CREATE, { name, scopes: ['profile:read'], persistedQueryPolicy: 'LOG_UNKNOWN' })).body.data.createApiClient;
      return { id: payload.apiClient.id as string, key: `${payload.apiClient.clientId}.${payload.clientSecret}` };
    };
    const [changed, bystander] = [await make('Downgraded'), await make('Bystander')];
    const [{ url }] = listening;
    for (const p of [changed, bystander]) expect((await asPartner(url, p.key)).status).toBe(200);

    expect((await asAdmin(UPDATE, { id: changed.id, persistedQueryPolicy: 'REQUIRE_ID', persistedQueryList: 'acme' })).body.data.updateApiClient.userErrors).toEqual([]);
    const refused = await until(url, changed.key, 400);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_ID_REQUIRED');
    expect((await asPartner(url, bystander.key)).status).toBe(200);
  });
});
