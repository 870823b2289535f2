import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import { migrationsDir, prismaDir } from './paths.ts';

/**
 * Migrations run through Prisma's official WASM schema engine, so they need no engine binary and
 * record themselves in the standard `_prisma_migrations` table: the same folders deploy with
 * `prisma migrate deploy` wherever the binary exists.
 */
type Engine = any;
let engineModule: Promise<any> | undefined;

function loadEngineModule(): Promise<any> {
  engineModule ??= (async () => {
    const require = createRequire(import.meta.url);
    const jsPath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const bg = await import(jsPath);
    const wasm = readFileSync(jsPath.replace(/schema_engine_bg\.js$/, 'schema_engine_bg.wasm'));
    // Instantiated by hand instead of `import x.wasm`, which Node 20 allows only behind a flag.
    const { instance } = await WebAssembly.instantiate(wasm, { './schema_engine_bg.js': bg });
    bg.__wbg_set_wasm(instance.exports);
    (instance.exports as any).__wbindgen_start?.();
    return bg;
  })();
  return engineModule;
}

const FILTERS = { externalTables: [], externalEnums: [] };

async function openEngine(url: string, schema: string): Promise<Engine> {
  const bg = await loadEngineModule();
  const factory = bindMigrationAwareSqlAdapterFactory(new PrismaPg({ connectionString: url, max: 1 }));
  return bg.SchemaEngine.new({ datamodels: [['schema.prisma', schema]] }, () => {}, factory);
}

function migrationList(dir: string) {
  const lockPath = join(dir, 'migration_lock.toml');
  const names = existsSync(dir) ? readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort() : [];
  return {
    baseDir: dir,
    lockfile: { path: 'migration_lock.toml', content: existsSync(lockPath) ? readFileSync(lockPath, 'utf8') : null },
    shadowDbInitScript: '',
    migrationDirectories: names.map((name) => ({
      path: name,
      migrationFile: { path: 'migration.sql', content: { tag: 'ok', value: readFileSync(join(dir, name, 'migration.sql'), 'utf8') } },
    })),
  };
}

/** Applies every not-yet-applied migration of a subgraph to the database at `url`. */
export async function applyMigrations(name: string, url: string): Promise<string[]> {
  const schema = readFileSync(join(prismaDir(name), 'schema.prisma'), 'utf8');
  const engine = await openEngine(url, schema);
  try {
    const out = await engine.applyMigrations({ migrationsList: migrationList(migrationsDir(name)), filters: FILTERS });
    return out.appliedMigrationNames;
  } finally {
    engine.free();
  }
}

/** SQL that takes a database from datamodel `from` (or nothing) to datamodel `to`, without touching a database. */
export async function diffDatamodels(from: string | null, to: string): Promise<string> {
  // The engine wants a live connection even for a pure datamodel diff; it reads nothing from it.
  const engine = await openEngine(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres', to);
  try {
    const file = (content: string) => ({ files: [{ path: 'schema.prisma', content }] });
    const out = await engine.diff({
      from: from === null ? { tag: 'empty' } : { tag: 'schemaDatamodel', ...file(from) },
      to: { tag: 'schemaDatamodel', ...file(to) },
      script: true,
      exitCode: null,
      filters: FILTERS,
    });
    return out.stdout ?? '';
  } finally {
    engine.free();
  }
}
