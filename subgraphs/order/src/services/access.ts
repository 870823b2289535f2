import { canAccessOwned, hasScope, type Viewer } from '@storefront/shared';

export const ORDERS_READ_ANY = 'orders:read:any';

/** The customer who placed the order, staff with orders:read:any, or a service. */
export const canReadOrders = (viewer: Viewer, ownerId: string): boolean => canAccessOwned(viewer, ownerId, ORDERS_READ_ANY);

/** Who changed an order's status is internal detail (staff ids, service names). */
export const canSeeActors = (viewer: Viewer): boolean => !!viewer.service || hasScope(viewer, ORDERS_READ_ANY);
