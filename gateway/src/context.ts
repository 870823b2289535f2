import type { Viewer } from '@storefront/shared';
import type { ApiClientProfile } from './auth/authenticate.ts';

export interface GatewayContext {
  requestId: string;
  viewer: Viewer;
  clientIp?: string;
  /** Set when a partner authenticated with its API key: its rate tier and persisted query policy. */
  client?: ApiClientProfile;
}
