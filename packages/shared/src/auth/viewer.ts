import type { Role } from './roles.ts';

/** Who is asking, as established by the gateway (or by a calling service) and forwarded signed. */
export interface Viewer {
  userId?: string;
  roles: Role[];
  scopes: string[];
  /** A registered partner API client, when the caller authenticated with a client key. */
  clientId?: string;
  /** Set when another service calls with its own identity (internal operations). */
  service?: string;
  /** Access token expiry (epoch seconds), so long-lived connections can close when it passes. */
  expiresAt?: number;
}

export const ANONYMOUS: Viewer = Object.freeze({ roles: [], scopes: [] }) as Viewer;

export const hasScope = (viewer: Viewer, scope: string): boolean => viewer.scopes.includes(scope);

/** True when the viewer may act on data owned by `ownerId`: the owner, or anyone holding `anyScope`. */
export function canAccessOwned(viewer: Viewer, ownerId: string | null | undefined, anyScope: string): boolean {
  if (viewer.service) return true;
  if (hasScope(viewer, anyScope)) return true;
  return !!viewer.userId && !!ownerId && viewer.userId === ownerId;
}
