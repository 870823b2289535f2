-- CreateEnum
CREATE TYPE "PointsHoldStatus" AS ENUM ('HELD', 'COMMITTED', 'RELEASED');

-- CreateTable
CREATE TABLE "LoyaltyPointsHold" (
    "checkoutId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "points" INTEGER NOT NULL,
    "status" "PointsHoldStatus" NOT NULL DEFAULT 'HELD',
    "orderId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "LoyaltyPointsHold_pkey" PRIMARY KEY ("checkoutId")
);

-- CreateIndex
CREATE INDEX "LoyaltyPointsHold_userId_idx" ON "LoyaltyPointsHold"("userId");
ALTER TABLE "LoyaltyPointsHold" ADD CONSTRAINT "LoyaltyPointsHold_points_check" CHECK ("points" >= 0);
