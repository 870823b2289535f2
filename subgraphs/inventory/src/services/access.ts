import { checkRule, forbidden, unauthenticated, type Viewer } from '@storefront/shared';

export const INVENTORY_WRITE = 'inventory:write';

/** Who a ledger movement is attributed to. */
export function actorOf(viewer: Viewer): string {
  if (viewer.service) return `service:${viewer.service}`;
  if (viewer.userId) return `user:${viewer.userId}`;
  if (viewer.clientId) return `client:${viewer.clientId}`;
  return 'system';
}

/**
 * Reserve/commit/release belong to the checkout saga: only another service (a signed service
 * identity, never a person, whatever their scopes) may call them.
 */
export function requireService(viewer: Viewer): void {
  if (viewer.service) return;
  if (!viewer.userId && !viewer.clientId) throw unauthenticated();
  throw forbidden('Only internal services may change reservations');
}

/** Admin stock changes: `inventory:write` (services pass, as with the @hasScope directive). */
export function requireInventoryWrite(viewer: Viewer): void {
  checkRule(viewer, { authenticated: true, scopes: [INVENTORY_WRITE] });
}
