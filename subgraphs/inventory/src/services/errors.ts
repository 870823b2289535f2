import { userError, type UserError } from '@storefront/shared';
import type { InventoryErrorCode } from '../generated/graphql.ts';

export type InventoryUserError = UserError<InventoryErrorCode>;

export const inventoryError = (code: InventoryErrorCode, message: string, field?: string[]): InventoryUserError => userError(code, message, field);
