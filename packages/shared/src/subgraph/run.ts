import { createEventTransport } from '../events/transport.ts';
import type { EventTransport } from '../events/types.ts';
import { databaseUrl, subgraphPort, type SubgraphName } from '../services.ts';
import type { SubgraphServer } from './createSubgraphServer.ts';

/** What `main.ts` of every subgraph does: build it from the environment, listen, stop cleanly on signals. */
export async function runSubgraph(name: SubgraphName, create: (options: { databaseUrl: string; events: EventTransport }) => Promise<SubgraphServer>) {
  const events = createEventTransport(process.env);
  const server = await create({ databaseUrl: databaseUrl(name), events });
  const url = await server.listen(subgraphPort(name));
  server.log.info(`${name} subgraph at ${url}/graphql`);
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, async () => {
      if (stopping) return;
      stopping = true;
      await server.close();
      await events.close();
      process.exit(0);
    });
  }
  return server;
}
