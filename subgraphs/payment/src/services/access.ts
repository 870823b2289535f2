import { canAccessOwned, forbidden, hasScope, type Viewer } from '@storefront/shared';

export const READ_ANY = 'payments:read:any';
export const WRITE_ANY = 'payments:write:any';

/** The payment's customer, staff with payments:read:any, or a service. */
export const canRead = (viewer: Viewer, payment: { userId: string }) => canAccessOwned(viewer, payment.userId, READ_ANY);

/** Internal operations (authorize, capture, void) are for services calling with their own identity. */
export function assertService(viewer: Viewer): void {
  if (!viewer.service) throw forbidden('Only internal services may do this');
}

export function assertCanWriteAny(viewer: Viewer): void {
  if (!viewer.service && !hasScope(viewer, WRITE_ANY)) throw forbidden(`Requires the scope ${WRITE_ANY}`);
}
