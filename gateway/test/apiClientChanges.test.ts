import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createLogger, internalSecret } from '@storefront/shared';
import { API_CLIENT_CHANGED, RedisStreamsTransport, type DomainEvent } from '@storefront/shared/events';
import { identityApiKeyVerifier } from '../src/auth/authenticate.ts';
import { subscribeToApiClientChanges } from '../src/auth/apiClientChanges.ts';

/**
 * The gateway side of ApiClientChanged: cached key verifications are dropped when the event arrives,
 * on every instance, and only for that client. Identity is played by a small HTTP server here so a
 * test can count how often the gateway asks it; the event stream is real Redis (a stream of its own).
 */
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const stream = `test:gateway-api-clients:${randomUUID()}`;
const log = createLogger('gateway', { level: 'silent' });
const EVENT_DEADLINE_MS = 3_000;

let transport: RedisStreamsTransport;
let identity: Server;
let identityUrl: string;
/** What identity answers per clientId (policy), and how many verifications it served. */
const policies = new Map<string, string>();
let calls = 0;
let delayMs = 0;

beforeAll(async () => {
  transport = new RedisStreamsTransport(redisUrl, log, { stream, blockMs: 100 });
  identity = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', async () => {
      calls += 1;
      const { clientId } = JSON.parse(raw) as { clientId: string };
      const policy = policies.get(clientId);
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      res.writeHead(policy ? 200 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify(policy ? { clientId, name: clientId, scopes: [], rateTier: 'STANDARD', persistedQueryPolicy: policy, persistedQueryList: null } : { error: 'invalid_client' }));
    });
  });
  await new Promise<void>((r) => identity.listen(0, '127.0.0.1', () => r()));
  identityUrl = `http://127.0.0.1:${(identity.address() as AddressInfo).port}/graphql`;
});

afterAll(async () => {
  await transport?.close();
  await new Promise((r) => identity?.close(r));
  const redis = new Redis(redisUrl);
  await redis.del(stream).finally(() => redis.disconnect());
});

const changed = (clientId: string, revoked = false): DomainEvent => ({
  id: randomUUID(), type: API_CLIENT_CHANGED, aggregateId: randomUUID(), payload: { clientId, revoked }, occurredAt: new Date().toISOString(), source: 'identity',
});

/** A gateway's verifier and its listener; `ready` resolves once its consumer group exists (it starts from "now"). */
async function gatewayInstance() {
  const redis = new Redis(redisUrl);
  try {
    const before = await groupCount(redis);
    const verify = identityApiKeyVerifier(identityUrl, internalSecret());
    const changes = subscribeToApiClientChanges(transport, verify.forget, log);
    const deadline = Date.now() + EVENT_DEADLINE_MS;
    while ((await groupCount(redis)) <= before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return { verify, changes };
  } finally {
    redis.disconnect();
  }
}

async function groupCount(redis: Redis): Promise<number> {
  return ((await redis.xinfo('GROUPS', stream).catch(() => [])) as unknown[]).length;
}

async function waitFor(check: () => Promise<boolean>) {
  const deadline = Date.now() + EVENT_DEADLINE_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('not within the event deadline');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('ApiClientChanged at the gateway', () => {
  it('drops the changed client\'s cached verification on every instance, and only that client\'s', async () => {
    const [a, b] = [await gatewayInstance(), await gatewayInstance()];
    const target = `sfc_${randomUUID().slice(0, 8)}`;
    const other = `sfc_${randomUUID().slice(0, 8)}`;
    policies.set(target, 'SAFELIST');
    policies.set(other, 'SAFELIST');
    for (const g of [a, b]) {
      expect((await g.verify(target, 'secret'))?.persistedQueryPolicy).toBe('SAFELIST');
      expect((await g.verify(other, 'secret'))?.persistedQueryPolicy).toBe('SAFELIST');
    }
    const asked = calls;
    policies.set(target, 'LOG_UNKNOWN');
    policies.set(other, 'LOG_UNKNOWN');
    // Cached: the change is not seen, and identity is not asked.
    expect((await a.verify(target, 'secret'))?.persistedQueryPolicy).toBe('SAFELIST');
    expect(calls).toBe(asked);

    await transport.publish([changed(target)]);
    for (const g of [a, b]) {
      await waitFor(async () => (await g.verify(target, 'secret'))?.persistedQueryPolicy === 'LOG_UNKNOWN');
      expect(g.changes.received).toBe(1);
      expect(g.verify.knownValid(`${target}.secret`)).toBe(true); // cached again after the fresh answer
      expect((await g.verify(other, 'secret'))?.persistedQueryPolicy).toBe('SAFELIST');
    }
    await Promise.all([a.changes.close(), b.changes.close()]);
  });

  it('forgets a revoked client, so its key is refused on the next request', async () => {
    const g = await gatewayInstance();
    const clientId = `sfc_${randomUUID().slice(0, 8)}`;
    policies.set(clientId, 'SAFELIST');
    expect(await g.verify(clientId, 'secret')).not.toBeNull();
    policies.delete(clientId);
    await transport.publish([changed(clientId, true)]);
    await waitFor(async () => (await g.verify(clientId, 'secret')) === null);
    expect(g.verify.knownValid(`${clientId}.secret`)).toBe(false);
    await g.changes.close();
  });

  it('does not cache an answer that was in flight when the change arrived', async () => {
    const verify = identityApiKeyVerifier(identityUrl, internalSecret());
    const clientId = `sfc_${randomUUID().slice(0, 8)}`;
    policies.set(clientId, 'SAFELIST');
    delayMs = 200;
    try {
      const inFlight = verify(clientId, 'secret');
      await new Promise((r) => setTimeout(r, 50));
      policies.set(clientId, 'LOG_UNKNOWN');
      verify.forget(clientId);
      expect((await inFlight)?.persistedQueryPolicy).toBe('SAFELIST');
    } finally {
      delayMs = 0;
    }
    expect(verify.knownValid(`${clientId}.secret`)).toBe(false);
    expect((await verify(clientId, 'secret'))?.persistedQueryPolicy).toBe('LOG_UNKNOWN');
  });

  it('removes its consumer group when the gateway closes', async () => {
    const redis = new Redis(redisUrl);
    try {
      const before = await groupCount(redis);
      const g = await gatewayInstance();
      expect(await groupCount(redis)).toBe(before + 1);
      await g.changes.close();
      expect(await groupCount(redis)).toBe(before);
    } finally {
      redis.disconnect();
    }
  });
});
