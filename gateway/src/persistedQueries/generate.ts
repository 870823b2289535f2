// Writes schema/persisted-queries/<list>.json from operations/**. Usage:
//   npm run pq:manifests -w @storefront/gateway            (write)
//   npm run pq:manifests -w @storefront/gateway -- --check (exit 1 when a manifest is stale)
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateManifests, MANIFEST_DIR, ManifestError } from './manifest.ts';

const check = process.argv.includes('--check');
let files: Map<string, string>;
try {
  files = generateManifests();
} catch (e) {
  if (!(e instanceof ManifestError)) throw e;
  console.error(`persisted query manifests: ${e.message}`);
  process.exit(1);
}

const existing = existsSync(MANIFEST_DIR) ? readdirSync(MANIFEST_DIR).filter((f) => f.endsWith('.json')) : [];
const stale = [
  ...[...files].filter(([name, text]) => !existing.includes(name) || readFileSync(join(MANIFEST_DIR, name), 'utf8') !== text).map(([name]) => name),
  ...existing.filter((name) => !files.has(name)),
];
if (check) {
  if (stale.length) {
    console.error(`stale persisted query manifests: ${stale.join(', ')} (run npm run pq:manifests -w @storefront/gateway)`);
    process.exit(1);
  }
  console.log('persisted query manifests are up to date');
  process.exit(0);
}
mkdirSync(MANIFEST_DIR, { recursive: true });
for (const name of existing) if (!files.has(name)) rmSync(join(MANIFEST_DIR, name));
for (const [name, text] of files) writeFileSync(join(MANIFEST_DIR, name), text);
for (const [name, text] of files) console.log(`${stale.includes(name) ? 'wrote' : 'unchanged'} schema/persisted-queries/${name} (${JSON.parse(text).operations.length} operations)`);
