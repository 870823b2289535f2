import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for a subgraph that answers at memory speed: the first time it sees a request body it
 * forwards it to the real subgraph (with the caller's headers, so the gateway's signature still
 * counts) and keeps the answer; afterwards it replays the answer. Paths other than /graphql (identity's
 * API key check) are forwarded the same way. Put in front of every subgraph,
 * it leaves the gateway's own work as most of what a benchmark measures.
 */
export async function startReplaySubgraph(targetUrl: string): Promise<{ url: string; close(): Promise<void> }> {
  const answers = new Map<string, Promise<{ status: number; body: string }>>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const target = new URL(req.url ?? '/', targetUrl).toString(); // /graphql, or e.g. identity's API key check
      const key = `${req.method} ${target}\n${body}`;
      let answer = answers.get(key);
      if (!answer) {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers[k] = v;
        answer = fetch(target, { method: req.method, headers, body: req.method === 'GET' ? undefined : body }).then(async (r) => ({ status: r.status, body: await r.text() }));
        answers.set(key, answer);
      }
      const { status, body: text } = await answer;
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
