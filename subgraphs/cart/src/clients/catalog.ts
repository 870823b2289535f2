import { internalSecret, money, signIdentity, subgraphUrl, type Money, type Viewer } from '@storefront/shared';

/** What cart needs to know about a variant to put it in a cart. */
export interface CatalogVariant {
  id: string;
  price: Money;
  /** The product's status in the catalog: only ACTIVE products can be bought. */
  productStatus: string;
  sku: string;
  /** The product's title (what an order line shows). */
  productTitle: string;
}

export interface CatalogClient {
  /** Looks the variants up in one request. Ids the catalog does not know are absent from the map. */
  variants(ids: readonly string[]): Promise<Map<string, CatalogVariant>>;
}

export interface HttpCatalogClientOptions {
  /** The catalog subgraph's GraphQL endpoint; defaults to subgraphUrl('catalog'), read at each call (CATALOG_URL). */
  url?: string;
  /** Shared HMAC secret the catalog verifies; defaults to internalSecret(). */
  secret?: string;
  timeoutMs?: number;
}

/** The catalog could not answer; the caller's request fails rather than guessing a price. */
export class CatalogUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(`catalog: ${message}`, options);
    this.name = 'CatalogUnavailableError';
  }
}

const VARIANTS_QUERY = /* GraphQL */ `
  query CartVariantPrices($ids: [_Any!]!) {
    _entities(representations: $ids) {
      ... on Variant { id sku price { amount currencyCode } product { status title } }
    }
  }
`;

/** Cart calls the catalog as itself, not on behalf of the shopper. */
const CART_SERVICE: Viewer = { roles: [], scopes: [], service: 'cart' };

interface EntitiesResponse {
  data?: { _entities?: ({ id: string; sku: string; price: { amount: number; currencyCode: string }; product: { status: string; title: string } } | null)[] } | null;
  errors?: { message: string }[];
}

/** A client that asks the catalog subgraph directly (signed like any internal call), bypassing the gateway. */
export function createCatalogClient(options: HttpCatalogClientOptions = {}): CatalogClient {
  const secret = options.secret ?? internalSecret();
  const timeoutMs = options.timeoutMs ?? 5_000;
  return {
    async variants(ids) {
      const unique = [...new Set(ids)];
      const found = new Map<string, CatalogVariant>();
      if (unique.length === 0) return found;
      let response: Response;
      try {
        response = await fetch(options.url ?? subgraphUrl('catalog'), {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...signIdentity(CART_SERVICE, secret) },
          body: JSON.stringify({ query: VARIANTS_QUERY, variables: { ids: unique.map((id) => ({ __typename: 'Variant', id })) } }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        throw new CatalogUnavailableError('request failed', { cause: error });
      }
      if (!response.ok) throw new CatalogUnavailableError(`HTTP ${response.status}`);
      const body = (await response.json()) as EntitiesResponse;
      const entities = body.data?._entities;
      if (body.errors?.length || !Array.isArray(entities) || entities.length !== unique.length) {
        throw new CatalogUnavailableError(body.errors?.[0]?.message ?? 'malformed _entities response');
      }
      for (const entity of entities) {
        if (!entity) continue;
        found.set(entity.id, { id: entity.id, price: money(entity.price.amount, entity.price.currencyCode), productStatus: entity.product.status, sku: entity.sku, productTitle: entity.product.title });
      }
      return found;
    },
  };
}
