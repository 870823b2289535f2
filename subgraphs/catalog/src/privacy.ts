import { internalSecret, sendJson, verifyIdentity, type Route } from '@storefront/shared';

/**
 * Privacy (GDPR) for the catalog subgraph: it holds no personal data (products, variants, categories,
 * collections, a stock copy), so its export is empty and it has nothing to erase on UserDeleted.
 * The route exists so that identity's export asks every subgraph and the answer says so explicitly.
 */
export const PRIVACY_EXPORT_PATH = '/internal/privacy/export';

export function privacyExportRoute(secret: string = internalSecret()): Route {
  return {
    method: 'POST',
    path: PRIVACY_EXPORT_PATH,
    handle: async (req, res) => {
      const verified = verifyIdentity((h) => req.headers[h] as string | undefined, secret);
      if (!verified.ok || verified.viewer.service !== 'identity' || !verified.viewer.userId) {
        return sendJson(res, 401, { error: 'unauthorized', message: 'Only the identity service may export personal data' });
      }
      sendJson(res, 200, { personalData: false }, { 'cache-control': 'no-store' });
    },
  };
}
