import { canAccessOwned, forbidden, hasScope, type Viewer } from '@storefront/shared';

export const READ_ANY = 'loyalty:read:any';
export const WRITE_ANY = 'loyalty:write:any';

/** The member, staff with loyalty:read:any, or a service. */
export const canRead = (viewer: Viewer, userId: string) => canAccessOwned(viewer, userId, READ_ANY);

/** Balance changes come from services (orders, checkout) or staff with loyalty:write:any. */
export function assertCanWrite(viewer: Viewer): void {
  if (!viewer.service && !hasScope(viewer, WRITE_ANY)) throw forbidden(`Requires the scope ${WRITE_ANY}`);
}
