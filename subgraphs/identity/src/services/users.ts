import { canAccessOwned, forbidden } from '@storefront/shared';
import type { UserModel } from '../generated/prisma/models.ts';
import type { IdentityContext } from '../context.ts';

export const READ_ANY_USER = 'users:read:any';

/** The viewer's own user; null for anonymous callers and partner clients. */
export async function getMe(ctx: IdentityContext): Promise<UserModel | null> {
  return ctx.viewer.userId ? ctx.loaders.user.load(ctx.viewer.userId) : null;
}

/** A user by id for the user themself or users:read:any; null otherwise, as for an unknown id (no existence leak). */
export async function getUser(ctx: IdentityContext, id: string): Promise<UserModel | null> {
  if (!canAccessOwned(ctx.viewer, id, READ_ANY_USER)) return null;
  return ctx.loaders.user.load(id);
}

/** Entity references resolve for any caller, so other subgraphs can join User; personal fields are guarded below. */
export const resolveUserReference = (ctx: IdentityContext, id: string) => ctx.loaders.user.load(id);

export const maySeePersonal = (ctx: IdentityContext, user: Pick<UserModel, 'id'>) =>
  canAccessOwned(ctx.viewer, user.id, READ_ANY_USER) || ctx.authenticatedUserIds.has(user.id);

/** Personal fields (email, addresses): the user themself or users:read:any, FORBIDDEN for anyone else. */
export function assertMaySeePersonal(ctx: IdentityContext, user: Pick<UserModel, 'id'>): void {
  if (!maySeePersonal(ctx, user)) throw forbidden('Only the user and support staff can read personal fields');
}
