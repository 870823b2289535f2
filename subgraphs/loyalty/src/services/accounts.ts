import { badInput, decodeCursor, encodeCursor, pageSize, toConnection } from '@storefront/shared';
import type { LoyaltyAccountModel, LoyaltyLedgerEntryModel } from '../generated/prisma/models.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import type { LoyaltyContext } from '../context.ts';
import { canRead } from './access.ts';
import { zeroAccount } from './ledger.ts';
import { nextTier } from './tiers.ts';

/**
 * A user's loyalty account, for the member themselves or staff with loyalty:read:any (null for
 * anyone else). A member with no activity yet gets a zero BRONZE account, not null.
 */
export async function loyaltyFor(ctx: LoyaltyContext, userId: string): Promise<LoyaltyAccountModel | null> {
  if (!canRead(ctx.viewer, userId)) return null;
  return (await ctx.loaders.account.load(userId)) ?? zeroAccount(userId);
}

export const nextTierOf = (account: LoyaltyAccountModel) => nextTier(account.lifetimePoints);

const CURSOR_KIND = 'loyalty:history';
const cursorOf = (e: LoyaltyLedgerEntryModel) => encodeCursor(CURSOR_KIND, [e.createdAt.toISOString(), e.id]);

/** The account's ledger, newest first, keyset-paginated on (createdAt, id). */
export async function history(ctx: LoyaltyContext, account: LoyaltyAccountModel, page: { first?: number | null; after?: string | null }) {
  const limit = pageSize(page.first);
  const after = decodeCursor(CURSOR_KIND, page.after, 2);
  if (after && Number.isNaN(new Date(String(after[0])).getTime())) throw badInput('Invalid cursor', 'after');
  const where: Prisma.LoyaltyLedgerEntryWhereInput = { userId: account.userId };
  const keyset: Prisma.LoyaltyLedgerEntryWhereInput | undefined = after
    ? { OR: [{ createdAt: { lt: new Date(String(after[0])) } }, { createdAt: new Date(String(after[0])), id: { lt: String(after[1]) } }] }
    : undefined;
  const [rows, totalCount] = await Promise.all([
    ctx.db.loyaltyLedgerEntry.findMany({ where: keyset ? { AND: [where, keyset] } : where, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: limit + 1 }),
    ctx.db.loyaltyLedgerEntry.count({ where }),
  ]);
  return { ...toConnection(rows, limit, cursorOf, !!after), totalCount };
}
