import { canAccessOwned, type Viewer } from '@storefront/shared';

/** Carts expire after this long without a change. The one place that says so. */
export const CART_TTL_DAYS = 30;
export const CART_TTL_MS = CART_TTL_DAYS * 24 * 60 * 60 * 1000;

export const MIN_LINE_QUANTITY = 1;
export const MAX_LINE_QUANTITY = 99;
/** Distinct variants in one cart, and lines in one mutation. */
export const MAX_CART_LINES = 100;

export const DEFAULT_CURRENCY = 'USD';

export const expiryAfter = (activity: Date): Date => new Date(activity.getTime() + CART_TTL_MS);

export const isValidQuantity = (quantity: number): boolean =>
  Number.isInteger(quantity) && quantity >= MIN_LINE_QUANTITY && quantity <= MAX_LINE_QUANTITY;

/** An ACTIVE cart whose expiry has passed is expired even before a sweep marks it so. */
export const hasExpired = (cart: { status: string; expiresAt: Date }, now: Date): boolean =>
  cart.status === 'EXPIRED' || (cart.status === 'ACTIVE' && cart.expiresAt.getTime() <= now.getTime());

/**
 * Scope that lets staff read anyone's cart. ROLE_SCOPES in the shared package has no cart scope yet,
 * so support and admins read carts through `orders:read:any` until `carts:read:any` exists.
 */
export const CARTS_READ_ANY = 'carts:read:any';
const STAFF_READ_STAND_IN = 'orders:read:any';

/** Query.cart and Cart references: the owner, services, or support staff. */
export const canReadCart = (viewer: Viewer, ownerId: string | null): boolean =>
  canAccessOwned(viewer, ownerId, CARTS_READ_ANY) || canAccessOwned(viewer, ownerId, STAFF_READ_STAND_IN);

/** User.cart: the user themself (and services). */
export const canReadUsersCart = (viewer: Viewer, userId: string): boolean => canAccessOwned(viewer, userId, CARTS_READ_ANY);

/** Changing a cart: only its owner (and services acting for the checkout). No role may edit other people's carts. */
export const canWriteCart = (viewer: Viewer, ownerId: string | null): boolean => canAccessOwned(viewer, ownerId, 'carts:write:any');
