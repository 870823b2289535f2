import type { MutationResolvers } from '../generated/graphql.ts';
import { changePassword, login, logout, refresh, register, updateProfile } from '../services/accounts.ts';
import { requestPasswordReset, resetPassword } from '../services/passwordReset.ts';
import { addAddress, removeAddress, updateAddress } from '../services/addresses.ts';
import { createApiClient, revokeApiClient, updateApiClient } from '../services/apiClients.ts';
import { deleteAccount, requestDataExport } from '../services/privacy.ts';

export const Mutation: MutationResolvers = {
  register: (_, { input }, ctx) => register(ctx, input),
  login: (_, { input }, ctx) => login(ctx, input),
  refreshToken: (_, { input }, ctx) => refresh(ctx, input),
  logout: (_, { input }, ctx) => logout(ctx, input),
  requestPasswordReset: (_, { input }, ctx) => requestPasswordReset(ctx, input),
  resetPassword: (_, { input }, ctx) => resetPassword(ctx, input),
  updateProfile: (_, { input }, ctx) => updateProfile(ctx, input),
  changePassword: (_, { input }, ctx) => changePassword(ctx, input),
  addAddress: (_, { input }, ctx) => addAddress(ctx, input),
  updateAddress: (_, { input }, ctx) => updateAddress(ctx, input),
  removeAddress: (_, { input }, ctx) => removeAddress(ctx, input),
  createApiClient: (_, { input }, ctx) => createApiClient(ctx, input),
  updateApiClient: (_, { input }, ctx) => updateApiClient(ctx, input),
  revokeApiClient: (_, { input }, ctx) => revokeApiClient(ctx, input),
  requestDataExport: (_, __, ctx) => requestDataExport(ctx, ctx.privacy),
  deleteAccount: (_, { input }, ctx) => deleteAccount(ctx, input),
};
