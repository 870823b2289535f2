import { createPublicKey, type KeyObject } from 'node:crypto';

interface Jwk { kid?: string; kty: string; use?: string; alg?: string; [k: string]: unknown }

/**
 * Identity's public signing keys, fetched from its JWKS endpoint and cached. An unknown `kid`
 * (a key rotated in since the last fetch) triggers a refresh, at most once per `minRefreshMs`,
 * so a flood of forged kids cannot turn into a flood of JWKS requests.
 */
export class JwksCache {
  private keys = new Map<string, KeyObject>();
  private lastFetch = 0;
  private inflight: Promise<void> | null = null;

  constructor(private readonly url: string, private readonly minRefreshMs = 30_000, private readonly fetchImpl: typeof fetch = fetch) {}

  async get(kid: string): Promise<KeyObject | undefined> {
    const key = this.keys.get(kid);
    if (key) return key;
    if (Date.now() - this.lastFetch >= this.minRefreshMs || this.keys.size === 0) await this.refresh();
    return this.keys.get(kid);
  }

  refresh(): Promise<void> {
    this.inflight ??= (async () => {
      try {
        const res = await this.fetchImpl(this.url);
        if (!res.ok) throw new Error(`JWKS fetch failed: ${res.status}`);
        const { keys } = (await res.json()) as { keys: Jwk[] };
        const next = new Map<string, KeyObject>();
        for (const jwk of keys) {
          if (jwk.kty !== 'RSA' || !jwk.kid) continue;
          next.set(jwk.kid, createPublicKey({ key: jwk as any, format: 'jwk' }));
        }
        this.keys = next;
      } finally {
        this.lastFetch = Date.now();
        this.inflight = null;
      }
    })();
    return this.inflight;
  }
}
