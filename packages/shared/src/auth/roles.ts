export type Role = 'CUSTOMER' | 'SUPPORT' | 'ADMIN';

/** What each role may do. Scopes are what resolvers check; roles are only how people get them. */
export const ROLE_SCOPES: Record<Role, readonly string[]> = {
  CUSTOMER: ['profile:read', 'profile:write', 'cart:write', 'orders:read', 'loyalty:read'],
  SUPPORT: ['profile:read', 'orders:read', 'orders:read:any', 'users:read:any', 'loyalty:read', 'loyalty:read:any', 'payments:read:any'],
  ADMIN: [
    'profile:read', 'profile:write', 'cart:write', 'orders:read', 'orders:read:any', 'orders:write:any',
    'users:read:any', 'users:write:any', 'catalog:write', 'inventory:write', 'payments:read:any', 'payments:write:any',
    'loyalty:read', 'loyalty:read:any', 'loyalty:write:any', 'clients:write',
  ],
};

export function scopesForRoles(roles: readonly Role[]): string[] {
  return [...new Set(roles.flatMap((r) => ROLE_SCOPES[r] ?? []))];
}
