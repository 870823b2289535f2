-- AlterTable
ALTER TABLE "LoyaltyAccount" ADD COLUMN     "closedAt" TIMESTAMP(3);
