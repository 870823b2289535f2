export { ensureDatabase, dropDatabase } from './admin.ts';
export { applyMigrations, diffDatamodels } from './migrate.ts';
export { createPrismaClient, countStatements, type PrismaOptions } from './prisma.ts';
export { REPO_ROOT, prismaDir, migrationsDir } from './paths.ts';
