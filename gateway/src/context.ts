import type { Viewer } from '@storefront/shared';

export interface GatewayContext {
  requestId: string;
  viewer: Viewer;
  clientIp?: string;
}
