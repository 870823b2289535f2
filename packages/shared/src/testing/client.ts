import { signIdentity, internalSecret } from '../auth/internalSignature.ts';
import { ANONYMOUS, type Viewer } from '../auth/viewer.ts';
import { scopesForRoles, type Role } from '../auth/roles.ts';

/** Headers a subgraph accepts: the viewer signed as the gateway would sign it. */
export function gatewayHeaders(viewer: Partial<Viewer> & { roles?: Role[] } = {}): Record<string, string> {
  const roles = viewer.roles ?? [];
  return signIdentity({ ...ANONYMOUS, ...viewer, roles, scopes: viewer.scopes ?? scopesForRoles(roles) }, internalSecret());
}

export interface GraphQLResponse<T = any> {
  status: number;
  body: { data?: T; errors?: { message: string; extensions?: Record<string, any>; path?: (string | number)[] }[] };
}

export async function postGraphQL<T = any>(url: string, query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}): Promise<GraphQLResponse<T>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}
