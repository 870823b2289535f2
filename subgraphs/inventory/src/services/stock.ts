import type { InventoryContext } from '../context.ts';
import type { LocationModel, StockLevelModel } from '../generated/prisma/models.ts';
import type { StockParent, VariantRef } from '../models.ts';
import { actorOf, requireInventoryWrite } from './access.ts';
import { inventoryError, type InventoryUserError } from './errors.ts';
import { applyChanges, lockVariants, TX_OPTIONS } from './ledger.ts';
import { MAX_UNITS } from './reservations.ts';

const MAX_REASON_LENGTH = 500;
const MAX_REFERENCE_LENGTH = 200;

const byPriority = (a: LocationModel, b: LocationModel) => a.priority - b.priority || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);

export async function listLocations(ctx: InventoryContext): Promise<LocationModel[]> {
  const locations = await ctx.db.location.findMany({ orderBy: [{ priority: 'asc' }, { code: 'asc' }] });
  for (const l of locations) ctx.loaders.location.prime(l.id, l);
  return locations;
}

/** A variant's stock rows through the per-request loader: one query for all variants of a request. */
export async function variantStock(ctx: InventoryContext, variantId: string): Promise<StockParent> {
  return { variantId, levels: await ctx.loaders.stockByVariant.load(variantId) };
}

/** Stock rows in allocation order (location priority, then code). */
export async function levelsInLocationOrder(ctx: InventoryContext, levels: readonly StockLevelModel[]): Promise<StockLevelModel[]> {
  const locations = await ctx.loaders.location.loadMany(levels.map((l) => l.locationId));
  const locationOf = new Map(levels.map((l, i) => [l, locations[i]]));
  const loc = (l: StockLevelModel) => locationOf.get(l) as LocationModel;
  return [...levels].sort((a, b) => byPriority(loc(a), loc(b)));
}

export interface RestockInput {
  variantId: string;
  locationId: string;
  quantity: number;
  reason: string;
  reference?: string | null;
}

export interface AdjustInput {
  variantId: string;
  locationId: string;
  /** Signed change to on-hand units. */
  delta: number;
  reason: string;
}

export interface StockChangePayload {
  variant: VariantRef | null;
  stockLevel: StockLevelModel | null;
  userErrors: InventoryUserError[];
}

const refused = (...userErrors: InventoryUserError[]): StockChangePayload => ({ variant: null, stockLevel: null, userErrors });

function validateCommon(input: { variantId: string; reason: string }): InventoryUserError[] {
  const errors: InventoryUserError[] = [];
  if (!input.variantId?.trim()) errors.push(inventoryError('INVALID_INPUT', 'variantId is required', ['input', 'variantId']));
  const reason = input.reason?.trim() ?? '';
  if (!reason || reason.length > MAX_REASON_LENGTH) {
    errors.push(inventoryError('INVALID_REASON', `reason must be 1 to ${MAX_REASON_LENGTH} characters`, ['input', 'reason']));
  }
  return errors;
}

async function locationExists(ctx: InventoryContext, locationId: string): Promise<boolean> {
  return !!(await ctx.loaders.location.load(locationId));
}

/** Goods in: adds units at a location, creating the variant's row there if it is the first delivery. */
export async function restock(ctx: InventoryContext, input: RestockInput): Promise<StockChangePayload> {
  requireInventoryWrite(ctx.viewer);
  const errors = validateCommon(input);
  if (!Number.isInteger(input.quantity) || input.quantity < 1 || input.quantity > MAX_UNITS) {
    errors.push(inventoryError('INVALID_QUANTITY', `quantity must be an integer from 1 to ${MAX_UNITS}`, ['input', 'quantity']));
  }
  if (input.reference != null && input.reference.length > MAX_REFERENCE_LENGTH) {
    errors.push(inventoryError('INVALID_INPUT', `reference must be at most ${MAX_REFERENCE_LENGTH} characters`, ['input', 'reference']));
  }
  if (errors.length) return refused(...errors);
  if (!(await locationExists(ctx, input.locationId))) return refused(inventoryError('NOT_FOUND', 'Location not found', ['input', 'locationId']));

  const actor = actorOf(ctx.viewer);
  const stockLevel = await ctx.db.$transaction(async (tx) => {
    const levels = await lockVariants(tx, [input.variantId]);
    if (!levels.some((l) => l.locationId === input.locationId)) {
      // Safe without a unique-violation race: the variant's advisory lock is held.
      await tx.stockLevel.create({ data: { variantId: input.variantId, locationId: input.locationId, sku: levels.find((l) => l.sku)?.sku ?? null } });
    }
    const [updated] = await applyChanges(tx, [{
      variantId: input.variantId, locationId: input.locationId, deltaOnHand: input.quantity, deltaReserved: 0,
      kind: 'RESTOCK', reason: input.reason.trim(), actor, reference: input.reference ?? null,
    }]);
    return updated;
  }, TX_OPTIONS);
  return { variant: { id: input.variantId }, stockLevel, userErrors: [] };
}

/**
 * Corrects the on-hand count by a signed delta. Units held by reservations cannot be adjusted
 * away: onHand + delta must stay at or above reserved.
 */
export async function adjust(ctx: InventoryContext, input: AdjustInput): Promise<StockChangePayload> {
  requireInventoryWrite(ctx.viewer);
  const errors = validateCommon(input);
  if (!Number.isInteger(input.delta) || input.delta === 0 || Math.abs(input.delta) > MAX_UNITS) {
    errors.push(inventoryError('INVALID_QUANTITY', `delta must be a non-zero integer from -${MAX_UNITS} to ${MAX_UNITS}`, ['input', 'delta']));
  }
  if (errors.length) return refused(...errors);
  if (!(await locationExists(ctx, input.locationId))) return refused(inventoryError('NOT_FOUND', 'Location not found', ['input', 'locationId']));

  const actor = actorOf(ctx.viewer);
  return ctx.db.$transaction(async (tx): Promise<StockChangePayload> => {
    const levels = await lockVariants(tx, [input.variantId]);
    const level = levels.find((l) => l.locationId === input.locationId);
    const onHand = level?.onHand ?? 0;
    const reserved = level?.reserved ?? 0;
    if (onHand + input.delta < reserved) {
      return refused(inventoryError(
        'INSUFFICIENT_STOCK',
        `Cannot remove ${-input.delta} units: ${onHand - reserved} unreserved at this location (${reserved} held by reservations)`,
        ['input', 'delta'],
      ));
    }
    if (!level) {
      await tx.stockLevel.create({ data: { variantId: input.variantId, locationId: input.locationId, sku: levels.find((l) => l.sku)?.sku ?? null } });
    }
    const [stockLevel] = await applyChanges(tx, [{
      variantId: input.variantId, locationId: input.locationId, deltaOnHand: input.delta, deltaReserved: 0,
      kind: 'ADJUST', reason: input.reason.trim(), actor,
    }]);
    return { variant: { id: input.variantId }, stockLevel, userErrors: [] };
  }, TX_OPTIONS);
}
