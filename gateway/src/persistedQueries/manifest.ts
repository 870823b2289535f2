import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Kind,
  parse,
  print,
  Source,
  visit,
  type DefinitionNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
} from 'graphql';

/**
 * Persisted query manifests in Apollo's format, generated from the operation documents kept in the
 * repository: `operations/first-party/**.graphql` becomes the list `first-party`, and
 * `operations/partners/<partner>/**.graphql` the list `<partner>`. Each list is written to
 * `schema/persisted-queries/<list>.json`.
 */

export const MANIFEST_FORMAT = 'apollo-persisted-query-manifest';
export const FIRST_PARTY_LIST = 'first-party';

export type OperationType = 'query' | 'mutation' | 'subscription';

export interface ManifestOperation {
  /** SHA-256 (hex) of `body`: the same hash an automatic persisted query of this body carries. */
  id: string;
  name: string;
  type: OperationType;
  /** The operation and the fragments it uses, printed by graphql-js; clients send it verbatim. */
  body: string;
}

export interface PersistedQueryManifest {
  format: typeof MANIFEST_FORMAT;
  version: 1;
  operations: ManifestOperation[];
}

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const OPERATIONS_DIR = join(REPO_ROOT, 'operations');
export const MANIFEST_DIR = join(REPO_ROOT, 'schema', 'persisted-queries');

/** A list name doubles as a file name, so it is kept to lower-case letters, digits and hyphens. */
export const LIST_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

export const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');

export interface OperationSource {
  /** Shown in errors, e.g. operations/partners/acme/feed.graphql. */
  path: string;
  text: string;
}

export class ManifestError extends Error {}

function fragmentsUsedBy(root: OperationDefinitionNode, fragments: Map<string, FragmentDefinitionNode>, where: string): FragmentDefinitionNode[] {
  const used = new Map<string, FragmentDefinitionNode>();
  const pending: DefinitionNode[] = [root];
  while (pending.length) {
    visit(pending.pop()!, {
      FragmentSpread(node) {
        const name = node.name.value;
        if (used.has(name)) return;
        const fragment = fragments.get(name);
        if (!fragment) throw new ManifestError(`${where}: operation ${root.name?.value} uses unknown fragment ${name}`);
        used.set(name, fragment);
        pending.push(fragment);
      },
    });
  }
  return [...used.values()].sort((a, b) => a.name.value.localeCompare(b.name.value));
}

/**
 * Builds one list's manifest from its operation documents. Fragments are shared by every file of the
 * list; each operation's body is the operation followed by the fragments it uses (sorted by name),
 * printed by graphql-js, so the same documents always give the same ids.
 */
export function buildManifest(sources: OperationSource[]): PersistedQueryManifest {
  const operations: { node: OperationDefinitionNode; path: string }[] = [];
  const fragments = new Map<string, FragmentDefinitionNode>();
  const fragmentPath = new Map<string, string>();
  for (const source of sources) {
    let document: DocumentNode;
    try {
      document = parse(new Source(source.text, source.path));
    } catch (e) {
      throw new ManifestError((e as Error).message);
    }
    for (const definition of document.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) {
        const name = definition.name.value;
        if (fragments.has(name)) throw new ManifestError(`fragment ${name} is defined twice (${fragmentPath.get(name)} and ${source.path})`);
        fragments.set(name, definition);
        fragmentPath.set(name, source.path);
      } else if (definition.kind === Kind.OPERATION_DEFINITION) {
        if (!definition.name) throw new ManifestError(`${source.path}: every persisted operation needs a name`);
        operations.push({ node: definition, path: source.path });
      } else {
        throw new ManifestError(`${source.path}: only operations and fragments belong in operation documents`);
      }
    }
  }
  const seen = new Map<string, string>();
  const entries = operations.map(({ node, path }) => {
    const name = node.name!.value;
    if (seen.has(name)) throw new ManifestError(`operation ${name} is defined twice (${seen.get(name)} and ${path})`);
    seen.set(name, path);
    const body = print({ kind: Kind.DOCUMENT, definitions: [node, ...fragmentsUsedBy(node, fragments, path)] });
    return { id: sha256Hex(body), name, type: node.operation as OperationType, body };
  });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  return { format: MANIFEST_FORMAT, version: 1, operations: entries };
}

function graphqlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...graphqlFiles(path));
    else if (/\.(graphql|gql)$/.test(entry.name)) out.push(path);
  }
  return out;
}

/** The lists the repository defines: name and directory. */
export function operationLists(operationsDir = OPERATIONS_DIR): { name: string; dir: string }[] {
  const lists: { name: string; dir: string }[] = [];
  const firstParty = join(operationsDir, 'first-party');
  if (existsSync(firstParty)) lists.push({ name: FIRST_PARTY_LIST, dir: firstParty });
  const partners = join(operationsDir, 'partners');
  if (existsSync(partners)) {
    for (const entry of readdirSync(partners).sort()) {
      const dir = join(partners, entry);
      if (!statSync(dir).isDirectory()) continue;
      if (!LIST_NAME.test(entry) || entry === FIRST_PARTY_LIST) throw new ManifestError(`operations/partners/${entry}: not a valid list name (lower-case letters, digits, hyphens; not "${FIRST_PARTY_LIST}")`);
      lists.push({ name: entry, dir });
    }
  }
  return lists;
}

export const serializeManifest = (manifest: PersistedQueryManifest) => `${JSON.stringify(manifest, null, 2)}\n`;

/** Every list's manifest, serialized, keyed by file name (`<list>.json`). */
export function generateManifests(operationsDir = OPERATIONS_DIR): Map<string, string> {
  const files = new Map<string, string>();
  for (const { name, dir } of operationLists(operationsDir)) {
    const sources = graphqlFiles(dir).map((path) => ({ path: relative(join(operationsDir, '..'), path), text: readFileSync(path, 'utf8') }));
    files.set(`${name}.json`, serializeManifest(buildManifest(sources)));
  }
  return files;
}

/** Reads and checks a manifest: the format, and that every id is the SHA-256 of its body. */
export function parseManifest(text: string, where: string): PersistedQueryManifest {
  let data: any;
  try {
    data = JSON.parse(text);
  } catch {
    throw new ManifestError(`${where}: not JSON`);
  }
  if (data?.format !== MANIFEST_FORMAT || data.version !== 1 || !Array.isArray(data.operations)) {
    throw new ManifestError(`${where}: not an ${MANIFEST_FORMAT} version 1`);
  }
  for (const op of data.operations) {
    if (typeof op?.id !== 'string' || typeof op.body !== 'string' || typeof op.name !== 'string' || !['query', 'mutation', 'subscription'].includes(op.type)) {
      throw new ManifestError(`${where}: malformed operation ${JSON.stringify(op?.name ?? op?.id ?? null)}`);
    }
    if (sha256Hex(op.body) !== op.id) throw new ManifestError(`${where}: operation ${op.name} has an id that is not the SHA-256 of its body`);
  }
  return data as PersistedQueryManifest;
}
