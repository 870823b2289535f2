// Generates what is derived from committed sources: each subgraph's Prisma client and its
// GraphQL resolver types. Runs after `npm ci` and works offline: the Prisma CLI only needs
// PRISMA_SCHEMA_ENGINE_BINARY to name an existing file to skip its engine download.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const bin = (name) => join(root, 'node_modules', '.bin', name);
const env = { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' };

if (!existsSync(bin('prisma'))) process.exit(0); // production install without dev tools

const only = process.argv[2];
for (const name of readdirSync(join(root, 'prisma'))) {
  if (only && only !== name) continue;
  const schema = join(root, 'prisma', name, 'schema.prisma');
  if (!existsSync(schema)) continue;
  execFileSync(bin('prisma'), ['generate', '--schema', schema], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
}
if (!only) execFileSync(bin('graphql-codegen'), ['--config', 'codegen.yml', '--silent'], { cwd: root, env, stdio: 'inherit' });
console.log('generated Prisma clients and resolver types');
