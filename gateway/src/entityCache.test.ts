import { describe, expect, it } from 'vitest';
import { InMemoryLRUCache } from '@apollo/utils.keyvaluecache';
import { createEntityCache, type SubgraphAnswer } from './entityCache.ts';

const QUERY = 'query($representations:[_Any!]!){_entities(representations:$representations){...on Variant{stock{available}}}}';
const rep = (id: string) => ({ __typename: 'Variant', id });

/** A subgraph answering stock for every representation it is sent, recording what it was sent. */
function subgraph(hint: SubgraphAnswer['hint'] = { maxAge: 2, scope: 'PUBLIC' }) {
  const sent: string[][] = [];
  let level = 10;
  return {
    sent,
    restock: (to: number) => (level = to),
    send: async (variables: Record<string, unknown>): Promise<SubgraphAnswer> => {
      const reps = variables.representations as { id: string }[];
      sent.push(reps.map((r) => r.id));
      const errors = reps.flatMap((r, i) => (r.id.startsWith('bad') ? [{ message: 'no stock', path: ['_entities', i, 'stock'] }] : []));
      return {
        body: { data: { _entities: reps.map((r) => (r.id.startsWith('bad') ? null : { stock: { available: level } })) }, ...(errors.length ? { errors } : {}) },
        hint,
      };
    },
  };
}

const setup = () => {
  let clears = 0;
  const cache = createEntityCache(new InMemoryLRUCache<string>({ maxSize: 1_000_000 }), () => clears);
  return { cache, clear: () => (clears += 1) };
};

describe('entity cache', () => {
  it('sends only the representations it does not hold, once each, and answers in the order asked', async () => {
    const { cache } = setup();
    const s = subgraph();
    await cache.fetch('inventory', QUERY, { representations: [rep('a'), rep('b')] }, s.send);
    s.restock(3);
    await new Promise((r) => setTimeout(r, 20));
    const answer = await cache.fetch('inventory', QUERY, { representations: [rep('c'), rep('a'), rep('c'), rep('b')] }, s.send);
    expect(s.sent).toEqual([['a', 'b'], ['c']]);
    expect(answer.body.data!._entities).toEqual([{ stock: { available: 3 } }, { stock: { available: 10 } }, { stock: { available: 3 } }, { stock: { available: 10 } }]);
    // Held entities had less than their two seconds left: the answer may be kept for what is left, in whole seconds.
    expect(answer.hint).toEqual({ maxAge: 1, scope: 'PUBLIC' });
    expect(cache.stats()).toEqual({ hits: 2, misses: 3 });
  });

  it('answers from memory alone when it holds everything, each hit its own copy', async () => {
    const { cache } = setup();
    const s = subgraph();
    await cache.fetch('inventory', QUERY, { representations: [rep('a')] }, s.send);
    const first = await cache.fetch('inventory', QUERY, { representations: [rep('a'), rep('a')] }, s.send);
    expect(s.sent).toHaveLength(1);
    const [x, y] = first.body.data!._entities as { stock: { available: number } }[];
    expect(x).toEqual(y);
    expect(x).not.toBe(y);
    x.stock.available = 99; // the gateway merges into what it is given
    const again = await cache.fetch('inventory', QUERY, { representations: [rep('a')] }, s.send);
    expect(again.body.data!._entities).toEqual([{ stock: { available: 10 } }]);
  });

  it('keys entries by subgraph, selection and other variables', async () => {
    const { cache } = setup();
    const s = subgraph();
    await cache.fetch('inventory', QUERY, { representations: [rep('a')] }, s.send);
    await cache.fetch('catalog', QUERY, { representations: [rep('a')] }, s.send);
    await cache.fetch('inventory', `${QUERY} `, { representations: [rep('a')] }, s.send);
    await cache.fetch('inventory', QUERY, { representations: [rep('a')], location: 'AMS' }, s.send);
    expect(s.sent).toHaveLength(4);
  });

  it('keeps nothing that was not public, came with errors, or was fetched across a clear', async () => {
    const { cache, clear } = setup();
    const privateAnswers = subgraph({ maxAge: 0 });
    await cache.fetch('inventory', QUERY, { representations: [rep('p')] }, privateAnswers.send);
    await cache.fetch('inventory', QUERY, { representations: [rep('p')] }, privateAnswers.send);
    expect(privateAnswers.sent).toHaveLength(2);

    const s = subgraph();
    const racing = async (variables: Record<string, unknown>) => {
      clear(); // a CatalogChanged arrives while the fetch is under way
      return s.send(variables);
    };
    await cache.fetch('inventory', QUERY, { representations: [rep('r')] }, racing);
    await cache.fetch('inventory', QUERY, { representations: [rep('r')] }, s.send);
    expect(s.sent).toEqual([['r'], ['r']]);
  });

  it('moves error paths to the entity\'s place in the whole list, and keeps nothing from that fetch', async () => {
    const { cache } = setup();
    const s = subgraph();
    await cache.fetch('inventory', QUERY, { representations: [rep('a')] }, s.send);
    const answer = await cache.fetch('inventory', QUERY, { representations: [rep('a'), rep('n'), rep('bad')] }, s.send);
    expect(s.sent[1]).toEqual(['n', 'bad']);
    expect(answer.body.errors).toEqual([{ message: 'no stock', path: ['_entities', 2, 'stock'] }]);
    expect(answer.body.data!._entities).toEqual([{ stock: { available: 10 } }, { stock: { available: 10 } }, null]);
    await cache.fetch('inventory', QUERY, { representations: [rep('n')] }, s.send);
    expect(s.sent[2]).toEqual(['n']);
  });
});
