import { internalSecret, verifyIdentity } from '../auth/internalSignature.ts';
import { sendJson, type Route } from '../http/server.ts';
import type { EventConsumer } from './createSubgraphServer.ts';

/**
 * Privacy (GDPR) plumbing shared by the subgraphs; what each one exports and erases lives in its own
 * src/privacy.ts. Identity assembles a user's data export by asking every other subgraph at
 * PRIVACY_EXPORT_PATH, and announces an account deletion with a `UserDeleted` event that they consume.
 */
export const PRIVACY_EXPORT_PATH = '/internal/privacy/export';

/** The export of a subgraph that holds no personal data: identity lists it under `noPersonalDataIn`. */
export const NO_PERSONAL_DATA = Object.freeze({ personalData: false as const });

/**
 * POST PRIVACY_EXPORT_PATH: answers `exportFor(userId)` (uncached) when identity asks, signed as service
 * 'identity' acting for the user being exported; anyone else gets 401.
 */
export function privacyExportRoute(exportFor: (userId: string) => Promise<unknown> | unknown, secret: string = internalSecret()): Route {
  return {
    method: 'POST',
    path: PRIVACY_EXPORT_PATH,
    handle: async (req, res) => {
      const verified = verifyIdentity((h) => req.headers[h] as string | undefined, secret);
      if (!verified.ok || verified.viewer.service !== 'identity' || !verified.viewer.userId) {
        return sendJson(res, 401, { error: 'unauthorized', message: 'Only the identity service may export personal data' });
      }
      sendJson(res, 200, await exportFor(verified.viewer.userId), { 'cache-control': 'no-store' });
    },
  };
}

/** Consumes identity's `UserDeleted` in `group`: erases the user (payload.userId, else the event's aggregate id). */
export const userDeletedConsumer = (group: string, erase: (eventId: string, userId: string) => Promise<unknown>): EventConsumer => ({
  group,
  types: ['UserDeleted'],
  handler: async (e) => {
    await erase(e.id, String(e.payload.userId ?? e.aggregateId));
  },
});
