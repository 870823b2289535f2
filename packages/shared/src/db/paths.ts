import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The repository root (workspace root), where prisma/<name>/ holds each subgraph's data model. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const prismaDir = (name: string) => join(REPO_ROOT, 'prisma', name);
export const migrationsDir = (name: string) => join(prismaDir(name), 'migrations');
