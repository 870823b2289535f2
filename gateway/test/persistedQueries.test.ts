import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, print, visit } from 'graphql';
import { createLogger } from '@storefront/shared';
import { buildManifest, generateManifests, MANIFEST_DIR, ManifestError, parseManifest, serializeManifest, sha256Hex } from '../src/persistedQueries/manifest.ts';
import { validateManifests } from '../src/persistedQueries/validate.ts';
import { PersistedQueryRegistry } from '../src/persistedQueries/registry.ts';
import { DEFAULT_LIMITS } from '../src/protection/config.ts';

const SUPERGRAPH = readFileSync(new URL('../../schema/supergraph.graphql', import.meta.url), 'utf8');
const manifestFiles = () => readdirSync(MANIFEST_DIR).filter((f) => f.endsWith('.json')).sort();

/** The supergraph with one field removed, as a breaking subgraph change would leave it. */
function withoutField(sdl: string, type: string, field: string): string {
  return print(
    visit(parse(sdl), {
      ObjectTypeDefinition: (node) => (node.name.value === type ? { ...node, fields: node.fields?.filter((f) => f.name.value !== field) } : undefined),
    }),
  );
}

describe('persisted query manifests (CI check)', () => {
  it('every operation of every manifest validates against the current supergraph and passes the gateway limits', () => {
    const files = manifestFiles();
    expect(files).toEqual(expect.arrayContaining(['first-party.json', 'acme.json', 'shipfast.json']));
    const problems = validateManifests(SUPERGRAPH, DEFAULT_LIMITS);
    // A failure here means a schema change broke a registered operation: fix the schema, or ship new operations to that client first.
    expect(problems).toEqual([]);
  });

  it('fails when a schema change breaks a partner operation, naming the list and the operation', () => {
    const broken = withoutField(SUPERGRAPH, 'Variant', 'sku');
    const problems = validateManifests(broken, DEFAULT_LIMITS);
    expect(problems).toContainEqual({ list: 'acme', operation: 'AcmeProductFeed', message: 'Cannot query field "sku" on type "Variant".' });
    expect(problems.map((p) => p.list)).toEqual(expect.arrayContaining(['acme', 'first-party']));
    expect(problems.some((p) => p.list === 'shipfast')).toBe(false);
  });

  it('fails when a registered operation exceeds a gateway limit', () => {
    expect(validateManifests(SUPERGRAPH, { ...DEFAULT_LIMITS, maxDepth: 3 }).some((p) => p.message.startsWith('Query depth limit of 3 exceeded'))).toBe(true);
  });

  it('are up to date with the operation documents (run npm run pq:manifests -w @storefront/gateway)', () => {
    const generated = generateManifests();
    expect(manifestFiles()).toEqual([...generated.keys()].sort());
    for (const [file, text] of generated) expect(readFileSync(join(MANIFEST_DIR, file), 'utf8'), file).toBe(text);
  });

  it('are in Apollo\'s format, with ids that are the SHA-256 of the bodies', () => {
    for (const file of manifestFiles()) {
      const manifest = parseManifest(readFileSync(join(MANIFEST_DIR, file), 'utf8'), file);
      expect(manifest.format).toBe('apollo-persisted-query-manifest');
      expect(manifest.version).toBe(1);
      for (const op of manifest.operations) {
        expect(Object.keys(op).sort()).toEqual(['body', 'id', 'name', 'type']);
        expect(op.id).toBe(sha256Hex(op.body));
      }
    }
  });
});

describe('manifest generation', () => {
  const sources = [
    { path: 'ops/a.graphql', text: 'query Second { ...Money }\n\nquery First($n: Int) { products(first: $n) { totalCount } }' },
    { path: 'ops/b.graphql', text: '# comments and layout do not matter\nfragment Money on Query { ...Unused2 }\nfragment Unused2 on Query { __typename }\nfragment Never on Query { __typename }' },
  ];

  it('prints each operation with the fragments it uses, sorted, deterministically', () => {
    const manifest = buildManifest(sources);
    expect(manifest.operations.map((o) => o.name)).toEqual(['First', 'Second']);
    const second = manifest.operations[1];
    expect(second.body).toBe('query Second {\n  ...Money\n}\n\nfragment Money on Query {\n  ...Unused2\n}\n\nfragment Unused2 on Query {\n  __typename\n}');
    expect(second.type).toBe('query');
    expect(serializeManifest(buildManifest([...sources].reverse()))).toBe(serializeManifest(manifest));
    const reformatted = buildManifest([{ ...sources[0], text: sources[0].text.replace(/\s+/g, ' ') }, sources[1]]);
    expect(reformatted.operations.map((o) => o.id)).toEqual(manifest.operations.map((o) => o.id));
  });

  it('refuses anonymous or duplicate operations, duplicate or unknown fragments', () => {
    expect(() => buildManifest([{ path: 'x.graphql', text: '{ __typename }' }])).toThrow(ManifestError);
    expect(() => buildManifest([{ path: 'x.graphql', text: 'query A { __typename }' }, { path: 'y.graphql', text: 'query A { __typename }' }])).toThrow(/defined twice/);
    expect(() => buildManifest([{ path: 'x.graphql', text: 'fragment F on Query { __typename } fragment F on Query { __typename }' }])).toThrow(/defined twice/);
    expect(() => buildManifest([{ path: 'x.graphql', text: 'query A { ...Missing }' }])).toThrow(/unknown fragment Missing/);
  });

  it('refuses a manifest whose ids are not the hashes of the bodies', () => {
    const manifest = buildManifest(sources);
    manifest.operations[0].body += ' ';
    expect(() => parseManifest(JSON.stringify(manifest), 'tampered.json')).toThrow(/not the SHA-256/);
  });
});

describe('manifest reloading', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pq-manifests-'));
  const registry = new PersistedQueryRegistry(dir, createLogger('test'), 20);
  afterAll(() => {
    registry.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const until = async (check: () => boolean) => {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
    return check();
  };

  it('picks up new, changed and removed manifests without a restart, and keeps the last good version of a broken one', async () => {
    const one = buildManifest([{ path: 'a.graphql', text: 'query One { __typename }' }]);
    const two = buildManifest([{ path: 'a.graphql', text: 'query One { __typename } query Two { products(first: 1) { totalCount } }' }]);
    writeFileSync(join(dir, 'globex.json'), serializeManifest(one));
    await registry.start();
    expect(registry.list('globex')?.operations.size).toBe(1);
    const twoId = two.operations.find((o) => o.name === 'Two')!.id;
    expect(registry.operation(twoId)).toBeUndefined();

    writeFileSync(join(dir, 'globex.json'), serializeManifest(two));
    expect(await until(() => registry.list('globex')?.operations.size === 2)).toBe(true);
    expect(registry.operation(twoId)?.name).toBe('Two');

    writeFileSync(join(dir, 'globex.json'), '{"format": "apollo-persisted-query-manifest", "version": 1, "operations": [{"id": "0000", "name": "X", "type": "query", "body": "{ x }"}]}');
    const loads = registry.loads;
    expect(await until(() => registry.loads > loads)).toBe(true);
    expect(registry.list('globex')?.operations.size).toBe(2); // the broken file did not replace the good list

    writeFileSync(join(dir, 'initech.json'), serializeManifest(one));
    rmSync(join(dir, 'globex.json'));
    expect(await until(() => registry.list('globex') === undefined && registry.list('initech') !== undefined)).toBe(true);
    expect(registry.operation(twoId)).toBeUndefined();
  });
});
