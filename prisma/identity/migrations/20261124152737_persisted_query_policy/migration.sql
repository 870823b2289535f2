-- CreateEnum
CREATE TYPE "PersistedQueryPolicy" AS ENUM ('SAFELIST', 'REQUIRE_ID', 'LOG_UNKNOWN', 'OFF');

-- AlterTable
ALTER TABLE "ApiClient" ADD COLUMN     "persistedQueryList" TEXT,
ADD COLUMN     "persistedQueryPolicy" "PersistedQueryPolicy" NOT NULL DEFAULT 'SAFELIST';

-- Clients that existed before persisted query lists ran unrestricted. They keep working, and their
-- operations outside any list are logged until an operator assigns a list and a stricter policy.
UPDATE "ApiClient" SET "persistedQueryPolicy" = 'LOG_UNKNOWN';
