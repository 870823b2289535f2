import type { Logger } from '@storefront/shared';
import { API_CLIENT_CHANGED, broadcast, type ApiClientChangedPayload, type EventTransport, type Subscription } from '@storefront/shared/events';

export interface ApiClientChanges extends Subscription {
  /** Events received (and cached verifications dropped) since start, for /metrics. */
  readonly received: number;
}

/**
 * Drops a partner's cached key verification as soon as identity announces a change to it. Every
 * gateway instance has a consumer group of its own (broadcast), starting from now, removed on close.
 * Events missed while a gateway is down or Redis loses them are covered by the cache TTL.
 */
export function subscribeToApiClientChanges(transport: EventTransport, forget: (clientId: string) => void, log: Logger): ApiClientChanges {
  let received = 0;
  const subscription = transport.subscribe(
    broadcast('gateway.api-clients', [API_CLIENT_CHANGED], async (event) => {
      const { clientId, revoked } = event.payload as Partial<ApiClientChangedPayload>;
      if (typeof clientId !== 'string') return;
      forget(clientId);
      received += 1;
      log.info({ clientId, revoked: revoked === true }, 'api client changed: cached verification dropped');
    }),
  );
  return {
    get received() {
      return received;
    },
    close: () => subscription.close(),
  };
}
