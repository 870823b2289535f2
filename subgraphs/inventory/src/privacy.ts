import { NO_PERSONAL_DATA, privacyExportRoute as exportRoute, type Route } from '@storefront/shared';

/**
 * Privacy (GDPR) for the inventory subgraph: it holds no personal data (locations, stock levels, movements,
 * and reservations keyed by checkout references, not by user), so its export is empty and it has nothing to erase on UserDeleted.
 * The route exists so that identity's export asks every subgraph and the answer says so explicitly.
 */
export const privacyExportRoute = (secret?: string): Route => exportRoute(() => NO_PERSONAL_DATA, secret);
