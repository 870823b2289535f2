-- CreateEnum
CREATE TYPE "CheckoutStep" AS ENUM ('STARTED', 'RESERVED', 'ORDER_PLACED', 'AUTHORIZED', 'CAPTURED', 'COMPLETED', 'COMPENSATING', 'FAILED');

-- CreateTable
CREATE TABLE "CheckoutAttempt" (
    "id" TEXT NOT NULL,
    "ownerId" TEXT NOT NULL,
    "idempotencyKey" TEXT NOT NULL,
    "requestHash" TEXT NOT NULL,
    "cartId" TEXT NOT NULL,
    "step" "CheckoutStep" NOT NULL DEFAULT 'STARTED',
    "snapshot" JSONB NOT NULL,
    "paymentToken" TEXT NOT NULL,
    "reservationId" TEXT,
    "orderId" TEXT,
    "paymentId" TEXT,
    "failureCode" TEXT,
    "result" JSONB,
    "leaseOwner" TEXT,
    "leaseUntil" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "CheckoutAttempt_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "CheckoutAttempt_finishedAt_leaseUntil_idx" ON "CheckoutAttempt"("finishedAt", "leaseUntil");

-- CreateIndex
CREATE INDEX "CheckoutAttempt_expiresAt_idx" ON "CheckoutAttempt"("expiresAt");

-- CreateIndex
CREATE UNIQUE INDEX "CheckoutAttempt_ownerId_idempotencyKey_key" ON "CheckoutAttempt"("ownerId", "idempotencyKey");

-- Hand-written: rules the Prisma schema language cannot express.

-- A cart has at most one checkout running at a time (two tabs, two keys): the second is refused.
CREATE UNIQUE INDEX "CheckoutAttempt_cartId_running_key" ON "CheckoutAttempt"("cartId") WHERE "finishedAt" IS NULL;

-- Idempotency keys are kept for at least 24 hours.
ALTER TABLE "CheckoutAttempt" ADD CONSTRAINT "CheckoutAttempt_retention_check" CHECK ("expiresAt" >= "createdAt" + interval '24 hours');
