/** The seven subgraphs and their default local ports. The one place that lists them. */
export const SUBGRAPHS = {
  catalog: 4001,
  cart: 4002,
  order: 4003,
  payment: 4004,
  inventory: 4005,
  identity: 4006,
  loyalty: 4007,
} as const;

export type SubgraphName = keyof typeof SUBGRAPHS;
export const SUBGRAPH_NAMES = Object.keys(SUBGRAPHS) as SubgraphName[];

const envName = (name: string) => name.toUpperCase().replace(/-/g, '_');

/** URL of a subgraph's GraphQL endpoint: `<NAME>_URL`, else localhost on its default port. */
export function subgraphUrl(name: SubgraphName, env: NodeJS.ProcessEnv = process.env): string {
  return env[`${envName(name)}_URL`] ?? `http://localhost:${SUBGRAPHS[name]}/graphql`;
}

export function subgraphPort(name: SubgraphName, env: NodeJS.ProcessEnv = process.env): number {
  const port = env[`${envName(name)}_PORT`] ?? env.PORT;
  return port ? Number(port) : SUBGRAPHS[name];
}

/**
 * Each subgraph owns its own database. `<NAME>_DATABASE_URL` wins; otherwise the database
 * `storefront_<name>` on the server named by DATABASE_URL.
 */
export function databaseUrl(name: SubgraphName, env: NodeJS.ProcessEnv = process.env): string {
  const own = env[`${envName(name)}_DATABASE_URL`];
  if (own) return own;
  const base = env.DATABASE_URL;
  if (!base) throw new Error(`Neither ${envName(name)}_DATABASE_URL nor DATABASE_URL is set`);
  return withDatabase(base, `storefront_${name}`);
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
