import { newId } from '@storefront/shared';
import type { Prisma } from '../generated/prisma/client.ts';
import type { AddressModel } from '../generated/prisma/models.ts';
import type { IdentityContext } from '../context.ts';
import { MAX_ADDRESSES_PER_USER } from '../config.ts';
import { fail, requireUserId, type IdentityUserError } from './common.ts';

type Field = 'name' | 'line1' | 'line2' | 'city' | 'region' | 'postalCode' | 'countryCode' | 'phone';
type AddressFields = { [K in Field]?: string | null } & { isDefault?: boolean | null };

const RULES: Record<Field, { max: number; required: boolean; pattern?: RegExp; hint?: string }> = {
  name: { max: 100, required: true },
  line1: { max: 200, required: true },
  line2: { max: 200, required: false },
  city: { max: 100, required: true },
  region: { max: 100, required: false },
  postalCode: { max: 20, required: true },
  countryCode: { max: 2, required: true, pattern: /^[A-Z]{2}$/, hint: 'a two-letter ISO 3166-1 country code' },
  phone: { max: 32, required: false, pattern: /^\+?[0-9 ().-]{3,}$/, hint: 'digits, spaces, parentheses, dots or dashes, optionally starting with +' },
};

/**
 * Validates the fields present in `input` (all required ones when `creating`). Optional fields given
 * as null or blank are cleared; required ones may not be.
 */
function validate(input: AddressFields, creating: boolean): { data: Partial<Record<Field, string | null>>; errors: IdentityUserError[] } {
  const data: Partial<Record<Field, string | null>> = {};
  const errors: IdentityUserError[] = [];
  for (const field of Object.keys(RULES) as Field[]) {
    const rule = RULES[field];
    if (!(field in input) || input[field] === undefined) {
      if (creating && rule.required) errors.push(fail('INVALID_INPUT', `${field} is required.`, [field]));
      continue;
    }
    let value = input[field] == null ? '' : input[field]!.trim().normalize('NFC');
    if (field === 'countryCode') value = value.toUpperCase();
    if (!value) {
      if (rule.required) errors.push(fail('INVALID_INPUT', `${field} must not be empty.`, [field]));
      else data[field] = null;
      continue;
    }
    if (value.length > rule.max) errors.push(fail('INVALID_INPUT', `${field} must be at most ${rule.max} characters.`, [field]));
    else if (rule.pattern && !rule.pattern.test(value)) errors.push(fail('INVALID_INPUT', `${field} must be ${rule.hint}.`, [field]));
    else data[field] = value;
  }
  return { data, errors };
}

const notFound = () => fail('NOT_FOUND', 'Address not found.', ['id']);

export async function listAddresses(ctx: IdentityContext, userId: string): Promise<AddressModel[]> {
  return ctx.loaders.addressesByUser.load(userId);
}

export async function addAddress(ctx: IdentityContext, input: AddressFields) {
  const userId = requireUserId(ctx);
  const { data, errors } = validate(input, true);
  if (errors.length) return { address: null, userErrors: errors };
  const address = await ctx.db.$transaction(async (tx) => {
    // Serialises address-book changes of one user, so the count limit and the single default hold.
    await tx.$queryRaw`SELECT id FROM "User" WHERE id = ${userId} FOR UPDATE`;
    const count = await tx.address.count({ where: { userId } });
    if (count >= MAX_ADDRESSES_PER_USER) return null;
    const isDefault = count === 0 || input.isDefault === true;
    if (isDefault) await tx.address.updateMany({ where: { userId, isDefault: true }, data: { isDefault: false } });
    return tx.address.create({ data: { ...(data as Prisma.AddressUncheckedCreateInput), id: newId(), userId, isDefault } });
  });
  if (!address) return { address: null, userErrors: [fail('LIMIT_REACHED', `An address book holds at most ${MAX_ADDRESSES_PER_USER} addresses.`)] };
  return { address, userErrors: [] };
}

export async function updateAddress(ctx: IdentityContext, input: AddressFields & { id: string }) {
  const userId = requireUserId(ctx);
  const { data, errors } = validate(input, false);
  if (errors.length) return { address: null, userErrors: errors };
  const address = await ctx.db.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT id FROM "User" WHERE id = ${userId} FOR UPDATE`;
    const existing = await tx.address.findFirst({ where: { id: input.id, userId } });
    if (!existing) return null;
    if (input.isDefault === true && !existing.isDefault) {
      await tx.address.updateMany({ where: { userId, isDefault: true }, data: { isDefault: false } });
    }
    return tx.address.update({
      where: { id: existing.id },
      // validate() sets null only on optional fields.
      data: { ...(data as Prisma.AddressUncheckedUpdateInput), ...(input.isDefault != null ? { isDefault: input.isDefault } : {}) },
    });
  });
  if (!address) return { address: null, userErrors: [notFound()] };
  return { address, userErrors: [] };
}

/** Removes an address; when it was the default, the oldest remaining one becomes the default. */
export async function removeAddress(ctx: IdentityContext, input: { id: string }) {
  const userId = requireUserId(ctx);
  const removed = await ctx.db.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT id FROM "User" WHERE id = ${userId} FOR UPDATE`;
    const existing = await tx.address.findFirst({ where: { id: input.id, userId } });
    if (!existing) return null;
    await tx.address.delete({ where: { id: existing.id } });
    if (existing.isDefault) {
      const next = await tx.address.findFirst({ where: { userId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
      if (next) await tx.address.update({ where: { id: next.id }, data: { isDefault: true } });
    }
    return existing;
  });
  if (!removed) return { removedAddressId: null, userErrors: [notFound()] };
  return { removedAddressId: removed.id, userErrors: [] };
}
