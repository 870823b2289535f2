import { randomBytes } from 'node:crypto';
import { startStack, type Stack } from '../../scripts/lib/stack.ts';
import { testServerUrl } from '@storefront/shared/testing';
import { postGraphQL } from '@storefront/shared/testing';
import { DEMO_PASSWORDS } from '@storefront/shared/fixtures';
import { MemoryTransport, RedisStreamsTransport } from '@storefront/shared/events';

/** The whole supergraph on random ports with fresh, seeded databases private to one test file. */
export async function startTestStack(): Promise<Stack> {
  const run = `e2e_${process.pid}_${randomBytes(3).toString('hex')}`;
  // A stream of its own, so parallel test files never consume each other's events.
  const events = process.env.REDIS_URL ? new RedisStreamsTransport(process.env.REDIS_URL, undefined, { stream: `test:${run}`, blockMs: 200 }) : new MemoryTransport();
  return startStack({ databaseServerUrl: testServerUrl(), databaseName: (n) => `${run}_${n}`, seed: 'always', ports: 'random', events, subgraphOptions: { identity: { rateLimitPrefix: `test:${run}:rl:` } } });
}

export async function login(gatewayUrl: string, who: keyof typeof DEMO_PASSWORDS): Promise<string> {
  const res = await postGraphQL(gatewayUrl, 'mutation($input: LoginInput!) { login(input: $input) { accessToken userErrors { code message } } }', {
    input: { email: `${who}@storefront.dev`, password: DEMO_PASSWORDS[who] },
  });
  const token = res.body.data?.login?.accessToken;
  if (!token) throw new Error(`login failed: ${JSON.stringify(res.body)}`);
  return token;
}
