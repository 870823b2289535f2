import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { internalSecret, signIdentity } from '../auth/internalSignature.ts';
import type { Viewer } from '../auth/viewer.ts';
import type { DomainEvent } from '../events/types.ts';
import { closeServer, listen, type Route } from '../http/server.ts';
import { NO_PERSONAL_DATA, PRIVACY_EXPORT_PATH, privacyExportRoute, userDeletedConsumer } from './privacy.ts';

const SECRET = 'unit-test-secret-0123456789abcdef0123456789';
const viewer = (v: Partial<Viewer>): Viewer => ({ roles: [], scopes: [], ...v });

/** Serves one route over real HTTP, as createHttpApp would dispatch it. */
async function serve(route: Route) {
  const server = http.createServer((req, res) => void route.handle(req, res, Buffer.alloc(0)));
  const base = await listen(server, 0, '127.0.0.1');
  return { url: new URL(route.path, base).toString(), close: () => closeServer(server) };
}

describe('privacyExportRoute', () => {
  const asked: string[] = [];
  let app: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    app = await serve(
      privacyExportRoute(async (userId) => {
        asked.push(userId);
        return { orders: [{ id: 'o1', userId }] };
      }, SECRET),
    );
  });
  afterAll(() => app.close());

  const post = (headers: Record<string, string>) => fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' });

  it('is POST at the path identity calls', () => {
    const route = privacyExportRoute(() => NO_PERSONAL_DATA, SECRET);
    expect({ method: route.method, path: route.path }).toEqual({ method: 'POST', path: '/internal/privacy/export' });
    expect(PRIVACY_EXPORT_PATH).toBe('/internal/privacy/export');
  });

  it('answers identity, acting for a user, with that user\'s export, never cached', async () => {
    const response = await post(signIdentity(viewer({ service: 'identity', userId: 'user-1' }), SECRET));
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ orders: [{ id: 'o1', userId: 'user-1' }] });
    expect(asked).toEqual(['user-1']);
  });

  it.each([
    ['an unsigned request', () => ({})],
    ['another service acting for the user', () => signIdentity(viewer({ service: 'cart', userId: 'user-1' }), SECRET)],
    ['the user themself (no service)', () => signIdentity(viewer({ userId: 'user-1' }), SECRET)],
    ['identity acting for no user', () => signIdentity(viewer({ service: 'identity' }), SECRET)],
    ['identity signed with another secret', () => signIdentity(viewer({ service: 'identity', userId: 'user-1' }), `${SECRET}-other`)],
    ['identity with a stale signature', () => signIdentity(viewer({ service: 'identity', userId: 'user-1' }), SECRET, Date.now() - 10 * 60_000)],
  ])('refuses %s with 401 and exports nothing', async (_, headers) => {
    asked.length = 0;
    const response = await post(headers());
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: 'unauthorized', message: 'Only the identity service may export personal data' });
    expect(asked).toEqual([]);
  });

  it('verifies with internalSecret() by default and answers a plain value as is', async () => {
    const plain = await serve(privacyExportRoute(() => NO_PERSONAL_DATA));
    try {
      const headers = signIdentity(viewer({ service: 'identity', userId: 'user-2' }), internalSecret());
      const response = await fetch(plain.url, { method: 'POST', headers, body: '{}' });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ personalData: false });
      const forged = await fetch(plain.url, { method: 'POST', headers: signIdentity(viewer({ service: 'identity', userId: 'user-2' }), SECRET), body: '{}' });
      expect(forged.status).toBe(401);
    } finally {
      await plain.close();
    }
  });
});

describe('userDeletedConsumer', () => {
  const event = (payload: Record<string, unknown>): DomainEvent => ({
    id: 'event-1', type: 'UserDeleted', aggregateId: 'aggregate-user', payload, occurredAt: new Date().toISOString(), source: 'identity',
  });

  it('consumes UserDeleted in the given group', () => {
    const consumer = userDeletedConsumer('cart.privacy', async () => true);
    expect({ group: consumer.group, types: consumer.types, broadcast: consumer.broadcast }).toEqual({ group: 'cart.privacy', types: ['UserDeleted'], broadcast: undefined });
  });

  it('erases payload.userId under the event id, else the aggregate id, as a string', async () => {
    const erased: [string, string][] = [];
    const consumer = userDeletedConsumer('order.privacy', async (eventId, userId) => erased.push([eventId, userId]));
    await consumer.handler(event({ userId: 'payload-user', occurredAt: 'x' }));
    await consumer.handler(event({}));
    await consumer.handler(event({ userId: null }));
    await consumer.handler(event({ userId: 42 }));
    expect(erased).toEqual([
      ['event-1', 'payload-user'],
      ['event-1', 'aggregate-user'],
      ['event-1', 'aggregate-user'],
      ['event-1', '42'],
    ]);
  });

  it('waits for the erasure and lets its failure reach the transport (so the event is retried)', async () => {
    let done = false;
    const slow = userDeletedConsumer('payment.privacy', async () => {
      await new Promise((r) => setTimeout(r, 20));
      done = true;
    });
    await slow.handler(event({ userId: 'u' }));
    expect(done).toBe(true);
    const failing = userDeletedConsumer('payment.privacy', async () => {
      throw new Error('database down');
    });
    await expect(failing.handler(event({ userId: 'u' }))).rejects.toThrow('database down');
  });
});
