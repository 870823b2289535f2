import { forbidden, hasScope, newId, userError, type UserError, type Viewer } from '@storefront/shared';
import { Prisma } from '../generated/prisma/client.ts';
import type { CartModel, CartLineModel } from '../generated/prisma/models.ts';
import type { CartErrorCode } from '../generated/graphql.ts';
import type { CartContext } from '../context.ts';
import {
  DEFAULT_CURRENCY, MAX_CART_LINES, MAX_LINE_QUANTITY, MIN_LINE_QUANTITY,
  canReadCart, canReadUsersCart, canWriteCart, expiryAfter, hasExpired, isValidQuantity,
} from './policy.ts';
import { computeTotals, isKnownCode, normalizeAddress, normalizeCode, type Address, type Totals } from './pricing.ts';
import { guestTokenMatches, hashGuestToken, newGuestToken } from './guestTokens.ts';

export type CartUserError = UserError<CartErrorCode>;

export interface CartPayload {
  cart: CartModel | null;
  userErrors: CartUserError[];
  /** Only when createCart started a guest cart: its token, never stored in clear. */
  guestToken?: string | null;
}

type Tx = Prisma.TransactionClient;

/** A line to add, already checked against the catalog. */
interface PricedLine {
  variantId: string;
  quantity: number;
  unitPrice: number;
  currency: string;
  /** Index of the (first) input line it came from, for error paths. */
  index: number;
}

/** Thrown inside a transaction to roll it back and answer with userErrors instead. */
class Rejected extends Error {
  constructor(readonly userErrors: CartUserError[]) {
    super('rejected');
  }
}

const rejected = (cart: CartModel | null, ...userErrors: CartUserError[]): CartPayload => ({ cart, userErrors });
const quantityError = (path: string[]) =>
  userError<CartErrorCode>('INVALID_QUANTITY', `Quantity must be a whole number from ${MIN_LINE_QUANTITY} to ${MAX_LINE_QUANTITY}`, path);
const cartNotFound = () => userError<CartErrorCode>('CART_NOT_FOUND', 'Cart not found', ['cartId']);
const tooManyLines = (field: string[]) => userError<CartErrorCode>('TOO_MANY_LINES', `A cart holds at most ${MAX_CART_LINES} lines`, field);

// ---------------------------------------------------------------------------------------------
// Reads

/**
 * Query.cart and Cart references: null when missing or not the viewer's (no existence leak).
 * A guest cart (no user) is read with its token, or by services and support staff.
 */
export async function getCart(ctx: CartContext, id: string, guestToken?: string | null): Promise<CartModel | null> {
  const cart = await ctx.loaders.cartById.load(id);
  if (!cart) return null;
  if (cart.userId === null) return guestTokenMatches(guestToken, cart.guestTokenHash) || canReadCart(ctx.viewer, null) ? cart : null;
  return canReadCart(ctx.viewer, cart.userId) ? cart : null;
}

/** User.cart: the user's ACTIVE, unexpired cart, for the user themself only. */
export async function activeCartOf(ctx: CartContext, userId: string): Promise<CartModel | null> {
  if (!canReadUsersCart(ctx.viewer, userId)) return null;
  const cart = await ctx.loaders.activeCartByUser.load(userId);
  return cart && !hasExpired(cart, ctx.now()) ? cart : null;
}

export const cartLines = (ctx: CartContext, cart: CartModel): Promise<CartLineModel[]> => ctx.loaders.linesByCart.load(cart.id);

export async function cartTotals(ctx: CartContext, cart: CartModel): Promise<{ itemCount: number; subtotal: number }> {
  const lines = await cartLines(ctx, cart);
  return {
    itemCount: lines.reduce((n, l) => n + l.quantity, 0),
    subtotal: lines.reduce((n, l) => n + l.quantity * l.unitPrice, 0),
  };
}

// ---------------------------------------------------------------------------------------------
// Validation shared by the mutations

interface LineInput {
  variantId: string;
  quantity: number;
}

/** Checks quantities and sums repeated variants; says nothing yet about the variants themselves. */
function validateAdditions(lines: readonly LineInput[]): { merged: Map<string, { quantity: number; index: number }>; userErrors: CartUserError[] } {
  const merged = new Map<string, { quantity: number; index: number }>();
  const userErrors: CartUserError[] = [];
  if (lines.length > MAX_CART_LINES) return { merged, userErrors: [tooManyLines(['lines'])] };
  lines.forEach((line, i) => {
    if (!isValidQuantity(line.quantity)) {
      userErrors.push(quantityError(['lines', String(i), 'quantity']));
      return;
    }
    const seen = merged.get(line.variantId);
    if (seen) seen.quantity += line.quantity;
    else merged.set(line.variantId, { quantity: line.quantity, index: i });
  });
  for (const { quantity, index } of merged.values()) {
    if (quantity > MAX_LINE_QUANTITY) userErrors.push(quantityError(['lines', String(index), 'quantity']));
  }
  return { merged, userErrors };
}

/** Asks the catalog for the current price of each variant; unknown and unpublished variants are refused. */
async function priceLines(ctx: CartContext, merged: Map<string, { quantity: number; index: number }>, currency: string) {
  const variants = await ctx.catalog.variants([...merged.keys()]);
  const priced: PricedLine[] = [];
  const userErrors: CartUserError[] = [];
  for (const [variantId, { quantity, index }] of merged) {
    const field = ['lines', String(index), 'variantId'];
    const variant = variants.get(variantId);
    if (!variant) userErrors.push(userError('VARIANT_NOT_FOUND', 'No such product variant', field));
    else if (variant.productStatus !== 'ACTIVE') userErrors.push(userError('VARIANT_UNAVAILABLE', 'This product is not for sale', field));
    else if (variant.price.currencyCode !== currency) {
      userErrors.push(userError('CURRENCY_MISMATCH', `The variant is priced in ${variant.price.currencyCode}, the cart in ${currency}`, field));
    } else priced.push({ variantId, quantity, unitPrice: variant.price.amount, currency, index });
  }
  return { priced, userErrors };
}

/** Locks the cart row for the rest of the transaction, so concurrent changes to one cart queue up. */
async function lockCart(tx: Tx, id: string): Promise<CartModel | null> {
  await tx.$executeRaw`SELECT 1 FROM "Cart" WHERE "id" = ${id} FOR UPDATE`;
  return tx.cart.findUnique({ where: { id } });
}

/** Why a cart cannot change, if it cannot. */
function statusError(cart: CartModel, now: Date): CartUserError | null {
  if (hasExpired(cart, now)) return userError('CART_EXPIRED', 'This cart has expired; start a new one', ['cartId']);
  if (cart.status !== 'ACTIVE') return userError('CART_NOT_ACTIVE', 'This cart was already checked out or merged', ['cartId']);
  return null;
}

/** An ACTIVE cart found past its expiry is marked EXPIRED on the spot (the sweep may not have run yet). */
const retireIfExpired = (db: Tx | CartContext['db'], cart: CartModel, now: Date) =>
  cart.status === 'ACTIVE' && hasExpired(cart, now)
    ? db.cart.updateMany({ where: { id: cart.id, status: 'ACTIVE' }, data: { status: 'EXPIRED' } })
    : Promise.resolve();

/** Checked before any work (cheap answers first); changeCart checks again under the row lock. */
async function refuse(ctx: CartContext, cart: CartModel): Promise<CartPayload | null> {
  const now = ctx.now();
  const error = statusError(cart, now);
  if (!error) return null;
  await retireIfExpired(ctx.db, cart, now);
  forget(ctx, cart);
  return rejected(await ctx.loaders.cartById.load(cart.id), error);
}

const touch = (tx: Tx, id: string, now: Date) =>
  tx.cart.update({ where: { id }, data: { lastActivityAt: now, expiresAt: expiryAfter(now) } });

/** Adds priced lines to a locked cart: same variant means more units (and today's price). */
async function applyAdditions(tx: Tx, cart: CartModel, priced: PricedLine[], now: Date): Promise<void> {
  const existing = new Map((await tx.cartLine.findMany({ where: { cartId: cart.id } })).map((l) => [l.variantId, l]));
  const errors: CartUserError[] = [];
  for (const line of priced) {
    const current = existing.get(line.variantId);
    if (current && current.quantity + line.quantity > MAX_LINE_QUANTITY) errors.push(quantityError(['lines', String(line.index), 'quantity']));
  }
  const fresh = priced.filter((l) => !existing.has(l.variantId));
  if (existing.size + fresh.length > MAX_CART_LINES) errors.push(tooManyLines(['lines']));
  if (errors.length) throw new Rejected(errors);

  if (fresh.length) {
    await tx.cartLine.createMany({
      data: fresh.map((l) => ({ id: newId(), cartId: cart.id, variantId: l.variantId, quantity: l.quantity, unitPrice: l.unitPrice, currency: l.currency, addedAt: now })),
    });
  }
  for (const line of priced) {
    const current = existing.get(line.variantId);
    if (!current) continue;
    await tx.cartLine.update({
      where: { id: current.id },
      data: { quantity: current.quantity + line.quantity, unitPrice: line.unitPrice, currency: line.currency },
    });
  }
}

/** Runs a change on a locked cart; Rejected rolls it back and becomes userErrors. */
async function changeCart(
  ctx: CartContext,
  cartId: string,
  change: (tx: Tx, cart: CartModel, now: Date) => Promise<void>,
): Promise<CartPayload> {
  const now = ctx.now();
  let outcome: CartPayload;
  try {
    outcome = await ctx.db.$transaction(async (tx) => {
      const cart = await lockCart(tx, cartId);
      if (!cart) return rejected(null, cartNotFound());
      const refused = statusError(cart, now);
      if (refused) {
        await retireIfExpired(tx, cart, now);
        return rejected(await tx.cart.findUnique({ where: { id: cartId } }), refused);
      }
      await change(tx, cart, now);
      return { cart: await touch(tx, cart.id, now), userErrors: [] };
    });
  } catch (error) {
    if (!(error instanceof Rejected)) throw error;
    outcome = rejected(await ctx.db.cart.findUnique({ where: { id: cartId } }), ...error.userErrors);
  }
  forget(ctx, outcome.cart ?? { id: cartId, userId: null }, outcome.cart);
  return outcome;
}

/** Drops what this request's loaders remember about a cart that just changed, and remembers its new state. */
function forget(ctx: CartContext, cart: Pick<CartModel, 'id' | 'userId'>, fresh?: CartModel | null) {
  ctx.loaders.linesByCart.clear(cart.id);
  ctx.loaders.cartById.clear(cart.id);
  if (cart.userId) ctx.loaders.activeCartByUser.clear(cart.userId);
  if (fresh) ctx.loaders.cartById.prime(fresh.id, fresh);
}

/**
 * The cart a mutation names, if the viewer may change it. A cart that is not yours does not exist;
 * a guest cart is yours when you present its token (a user's cart ignores tokens).
 */
async function writableCart(ctx: CartContext, cartId: string, guestToken?: string | null): Promise<CartModel | null> {
  assertMayWrite(ctx.viewer);
  const cart = await ctx.loaders.cartById.load(cartId);
  if (!cart) return null;
  if (cart.userId === null) return guestTokenMatches(guestToken, cart.guestTokenHash) || canWriteCart(ctx.viewer, null) ? cart : null;
  return canWriteCart(ctx.viewer, cart.userId) ? cart : null;
}

/**
 * The cart mutations carry no @hasScope (guests have no scopes), so the rule is here: anonymous
 * callers act as guests; anyone signed in (a user or an API client) needs cart:write.
 */
function assertMayWrite(viewer: Viewer): void {
  if (viewer.service) return;
  if ((viewer.userId || viewer.clientId) && !hasScope(viewer, 'cart:write')) throw forbidden('Requires one of the scopes: cart:write');
}

// ---------------------------------------------------------------------------------------------
// Mutations

export interface CreateCartInput {
  currency?: string | null;
  lines?: readonly LineInput[] | null;
}

/**
 * The viewer's active cart, created when they have none (an expired one is retired first); lines are
 * added to it. Without a user it is always a new guest cart, answered with its one-time token.
 */
export async function createCart(ctx: CartContext, input: CreateCartInput): Promise<CartPayload> {
  assertMayWrite(ctx.viewer);
  const userId = ctx.viewer.userId;
  const currency = input.currency ?? DEFAULT_CURRENCY;
  if (!/^[A-Z]{3}$/.test(currency)) return rejected(null, userError('INVALID_CURRENCY', 'Currency must be an ISO 4217 code such as USD', ['currency']));

  const lines = input.lines ?? [];
  const { merged, userErrors } = validateAdditions(lines);
  if (userErrors.length) return rejected(null, ...userErrors);
  if (!userId) return createGuestCart(ctx, currency, merged);

  const existing = await currentActiveCart(ctx, userId);
  if (existing) {
    if (input.currency && input.currency !== existing.currency) {
      return rejected(existing, userError('CURRENCY_MISMATCH', `Your cart is in ${existing.currency}`, ['currency']));
    }
    return lines.length ? addCartLines(ctx, { cartId: existing.id, lines }) : { cart: existing, userErrors: [] };
  }

  const { priced, userErrors: variantErrors } = await priceLines(ctx, merged, currency);
  if (variantErrors.length) return rejected(null, ...variantErrors);
  const now = ctx.now();
  try {
    const cart = await ctx.db.$transaction(async (tx) => {
      const created = await tx.cart.create({ data: { id: newId(), userId, currency, status: 'ACTIVE', lastActivityAt: now, expiresAt: expiryAfter(now) } });
      await applyAdditions(tx, created, priced, now);
      return created;
    });
    forget(ctx, cart, cart);
    return { cart, userErrors: [] };
  } catch (error) {
    if (error instanceof Rejected) return rejected(null, ...error.userErrors);
    // Another request created the user's cart first (unique ACTIVE cart per user): use that one.
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
      ctx.loaders.activeCartByUser.clear(userId);
      const winner = await currentActiveCart(ctx, userId);
      if (winner) return lines.length ? addCartLines(ctx, { cartId: winner.id, lines }) : { cart: winner, userErrors: [] };
    }
    throw error;
  }
}

/** A new guest cart: owned by no user, found again only through the token answered here. */
async function createGuestCart(ctx: CartContext, currency: string, merged: Map<string, { quantity: number; index: number }>): Promise<CartPayload> {
  const { priced, userErrors } = await priceLines(ctx, merged, currency);
  if (userErrors.length) return rejected(null, ...userErrors);
  const now = ctx.now();
  const guestToken = newGuestToken();
  try {
    const cart = await ctx.db.$transaction(async (tx) => {
      const created = await tx.cart.create({
        data: { id: newId(), userId: null, guestTokenHash: hashGuestToken(guestToken), currency, status: 'ACTIVE', lastActivityAt: now, expiresAt: expiryAfter(now) },
      });
      await applyAdditions(tx, created, priced, now);
      return created;
    });
    forget(ctx, cart, cart);
    return { cart, guestToken, userErrors: [] };
  } catch (error) {
    if (error instanceof Rejected) return rejected(null, ...error.userErrors);
    throw error;
  }
}

/** The user's ACTIVE cart; one found past its expiry is marked EXPIRED so a new one can take its place. */
async function currentActiveCart(ctx: CartContext, userId: string): Promise<CartModel | null> {
  const cart = await ctx.loaders.activeCartByUser.load(userId);
  if (!cart) return null;
  const now = ctx.now();
  if (!hasExpired(cart, now)) return cart;
  await retireIfExpired(ctx.db, cart, now);
  forget(ctx, cart);
  return null;
}

export interface AddCartLinesInput {
  cartId: string;
  guestToken?: string | null;
  lines: readonly LineInput[];
}

export async function addCartLines(ctx: CartContext, input: AddCartLinesInput): Promise<CartPayload> {
  const cart = await writableCart(ctx, input.cartId, input.guestToken);
  if (!cart) return rejected(null, cartNotFound());
  const refused = await refuse(ctx, cart);
  if (refused) return refused;
  const { merged, userErrors } = validateAdditions(input.lines);
  if (userErrors.length) return rejected(cart, ...userErrors);
  const { priced, userErrors: variantErrors } = await priceLines(ctx, merged, cart.currency);
  if (variantErrors.length) return rejected(cart, ...variantErrors);
  return changeCart(ctx, cart.id, (tx, locked, now) => applyAdditions(tx, locked, priced, now));
}

export interface UpdateCartLinesInput {
  cartId: string;
  guestToken?: string | null;
  lines: readonly { lineId: string; quantity: number }[];
}

export async function updateCartLines(ctx: CartContext, input: UpdateCartLinesInput): Promise<CartPayload> {
  const cart = await writableCart(ctx, input.cartId, input.guestToken);
  if (!cart) return rejected(null, cartNotFound());
  const refused = await refuse(ctx, cart);
  if (refused) return refused;
  if (input.lines.length > MAX_CART_LINES) return rejected(cart, tooManyLines(['lines']));
  const userErrors: CartUserError[] = [];
  const seen = new Set<string>();
  input.lines.forEach((line, i) => {
    if (seen.has(line.lineId)) userErrors.push(userError('DUPLICATE_LINE', 'This line is already being updated', ['lines', String(i), 'lineId']));
    seen.add(line.lineId);
    if (!isValidQuantity(line.quantity)) userErrors.push(quantityError(['lines', String(i), 'quantity']));
  });
  if (userErrors.length) return rejected(cart, ...userErrors);

  return changeCart(ctx, cart.id, async (tx, locked) => {
    const owned = new Set((await tx.cartLine.findMany({ where: { cartId: locked.id }, select: { id: true } })).map((l) => l.id));
    const missing = input.lines.flatMap((l, i) => (owned.has(l.lineId) ? [] : [lineNotFound(['lines', String(i), 'lineId'])]));
    if (missing.length) throw new Rejected(missing);
    for (const line of input.lines) await tx.cartLine.update({ where: { id: line.lineId }, data: { quantity: line.quantity } });
  });
}

export interface RemoveCartLinesInput {
  cartId: string;
  guestToken?: string | null;
  lineIds: readonly string[];
}

export async function removeCartLines(ctx: CartContext, input: RemoveCartLinesInput): Promise<CartPayload> {
  const cart = await writableCart(ctx, input.cartId, input.guestToken);
  if (!cart) return rejected(null, cartNotFound());
  const refused = await refuse(ctx, cart);
  if (refused) return refused;
  if (input.lineIds.length > MAX_CART_LINES) return rejected(cart, tooManyLines(['lineIds']));
  return changeCart(ctx, cart.id, async (tx, locked) => {
    const owned = new Set((await tx.cartLine.findMany({ where: { cartId: locked.id }, select: { id: true } })).map((l) => l.id));
    const missing = input.lineIds.flatMap((id, i) => (owned.has(id) ? [] : [lineNotFound(['lineIds', String(i)])]));
    if (missing.length) throw new Rejected(missing);
    await tx.cartLine.deleteMany({ where: { cartId: locked.id, id: { in: [...input.lineIds] } } });
  });
}

const lineNotFound = (field: string[]) => userError<CartErrorCode>('LINE_NOT_FOUND', 'No such line in this cart', field);

/** Marks every ACTIVE cart past its expiry EXPIRED (for a periodic sweep); returns how many. */
export async function expireStaleCarts(db: CartContext['db'], now = new Date()): Promise<number> {
  const { count } = await db.cart.updateMany({ where: { status: 'ACTIVE', expiresAt: { lte: now } }, data: { status: 'EXPIRED' } });
  return count;
}

// ---------------------------------------------------------------------------------------------
// Discount code and shipping address

export async function applyDiscountCode(ctx: CartContext, input: { cartId: string; guestToken?: string | null; code?: string | null }): Promise<CartPayload> {
  const cart = await writableCart(ctx, input.cartId, input.guestToken);
  if (!cart) return rejected(null, cartNotFound());
  const refused = await refuse(ctx, cart);
  if (refused) return refused;
  const code = input.code?.trim() ? normalizeCode(input.code) : null;
  if (code && !isKnownCode(code)) return rejected(cart, userError('INVALID_DISCOUNT_CODE', 'Unknown discount code', ['code']));
  return changeCart(ctx, cart.id, async (tx, locked) => {
    await tx.cart.update({ where: { id: locked.id }, data: { discountCode: code } });
  });
}

export async function setShippingAddress(ctx: CartContext, input: { cartId: string; guestToken?: string | null; address: Address }): Promise<CartPayload> {
  const cart = await writableCart(ctx, input.cartId, input.guestToken);
  if (!cart) return rejected(null, cartNotFound());
  const refused = await refuse(ctx, cart);
  if (refused) return refused;
  const address = normalizeAddress(input.address);
  if (!address) return rejected(cart, userError('INVALID_ADDRESS', 'The address is incomplete or names a country we do not ship to', ['address']));
  return changeCart(ctx, cart.id, async (tx, locked) => {
    await tx.cart.update({ where: { id: locked.id }, data: { shippingAddress: address as any } });
  });
}

/** Subtotal, discount, shipping, tax and total of a cart, by the rules in pricing.ts. */
export async function cartPrice(ctx: CartContext, cart: CartModel): Promise<Totals> {
  const lines = await cartLines(ctx, cart);
  const country = (cart.shippingAddress as Address | null)?.country ?? null;
  return computeTotals(lines, cart.discountCode, country);
}

// ---------------------------------------------------------------------------------------------
// Guest carts at sign-in

export interface MergeGuestCartInput {
  cartId: string;
  guestToken: string;
}

/**
 * Folds a guest cart into the signed-in user's active cart (created when they have none). Same
 * variant: quantities summed, capped at 99. Every merged line takes today's catalog price; lines
 * whose variant is gone or no longer for sale are left out. The guest cart becomes MERGED.
 * Locks: the guest cart first, then the user's cart, so concurrent merges queue up without cycles.
 */
export async function mergeGuestCart(ctx: CartContext, input: MergeGuestCartInput): Promise<CartPayload> {
  const userId = ctx.viewer.userId;
  if (!userId) return rejected(null, userError('NOT_SIGNED_IN', 'Sign in to keep a guest cart'));
  const guest = await ctx.loaders.cartById.load(input.cartId);
  // A wrong token, a user's cart and no cart at all look the same.
  if (!guest || guest.userId !== null || !guestTokenMatches(input.guestToken, guest.guestTokenHash)) return rejected(null, cartNotFound());
  const refused = statusError(guest, ctx.now());
  if (refused) {
    await retireIfExpired(ctx.db, guest, ctx.now());
    return rejected(null, refused);
  }

  const guestLines = await ctx.db.cartLine.findMany({ where: { cartId: guest.id }, orderBy: [{ addedAt: 'asc' }, { id: 'asc' }] });
  const catalog = guestLines.length ? await ctx.catalog.variants(guestLines.map((l) => l.variantId)) : new Map();
  const repriced = guestLines.flatMap((l) => {
    const v = catalog.get(l.variantId);
    return v && v.productStatus === 'ACTIVE' && v.price.currencyCode === guest.currency ? [{ variantId: l.variantId, quantity: l.quantity, unitPrice: v.price.amount }] : [];
  });

  const attemptMerge = () =>
    ctx.db.$transaction(async (tx) => {
      const now = ctx.now();
      const lockedGuest = await lockCart(tx, guest.id);
      const stillOpen = lockedGuest && statusError(lockedGuest, now);
      if (!lockedGuest || stillOpen) throw new Rejected([stillOpen || cartNotFound()]);

      let target = await tx.cart.findFirst({ where: { userId, status: 'ACTIVE' } });
      if (target && hasExpired(target, now)) {
        await retireIfExpired(tx, target, now);
        target = null;
      }
      if (target) target = await lockCart(tx, target.id);
      if (target && target.status !== 'ACTIVE') target = null; // changed while we waited for the lock
      if (!target) {
        target = await tx.cart.create({
          data: {
            id: newId(), userId, currency: guest.currency, status: 'ACTIVE', lastActivityAt: now, expiresAt: expiryAfter(now),
            discountCode: lockedGuest.discountCode, shippingAddress: lockedGuest.shippingAddress ?? undefined,
          },
        });
      } else if (target.currency !== guest.currency) {
        throw new Rejected([userError('CURRENCY_MISMATCH', `Your cart is in ${target.currency}, the guest cart in ${guest.currency}`, ['cartId'])]);
      }

      const existing = new Map((await tx.cartLine.findMany({ where: { cartId: target.id } })).map((l) => [l.variantId, l]));
      const fresh = repriced.filter((l) => !existing.has(l.variantId));
      if (existing.size + fresh.length > MAX_CART_LINES) throw new Rejected([tooManyLines(['cartId'])]);
      if (fresh.length) {
        await tx.cartLine.createMany({
          data: fresh.map((l) => ({ id: newId(), cartId: target.id, variantId: l.variantId, quantity: l.quantity, unitPrice: l.unitPrice, currency: guest.currency, addedAt: now })),
        });
      }
      for (const line of repriced) {
        const current = existing.get(line.variantId);
        if (!current) continue;
        await tx.cartLine.update({
          where: { id: current.id },
          data: { quantity: Math.min(MAX_LINE_QUANTITY, current.quantity + line.quantity), unitPrice: line.unitPrice, currency: guest.currency },
        });
      }
      // The address now lives on the customer's cart (or theirs wins); none stays behind unowned.
      await tx.cart.update({ where: { id: guest.id }, data: { status: 'MERGED', lastActivityAt: now, shippingAddress: Prisma.DbNull } });
      return tx.cart.update({
        where: { id: target.id },
        data: {
          lastActivityAt: now, expiresAt: expiryAfter(now),
          // The guest's code and address carry over when the customer's cart has none.
          ...(target.discountCode ? {} : { discountCode: lockedGuest.discountCode }),
          ...(target.shippingAddress ? {} : { shippingAddress: lockedGuest.shippingAddress ?? undefined }),
        },
      });
    });

  let outcome: CartPayload;
  try {
    outcome = { cart: await attemptMerge(), userErrors: [] };
  } catch (error) {
    if (error instanceof Rejected) outcome = rejected(null, ...error.userErrors);
    // The user's first cart was created by another request meanwhile (one ACTIVE cart per user): merge into it.
    else if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
      try {
        outcome = { cart: await attemptMerge(), userErrors: [] };
      } catch (again) {
        if (!(again instanceof Rejected)) throw again;
        outcome = rejected(null, ...again.userErrors);
      }
    } else throw error;
  }
  forget(ctx, guest);
  forget(ctx, { id: outcome.cart?.id ?? guest.id, userId }, outcome.cart);
  return outcome;
}
