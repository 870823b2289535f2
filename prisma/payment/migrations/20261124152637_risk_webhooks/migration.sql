-- CreateEnum
CREATE TYPE "RiskOutcome" AS ENUM ('APPROVED', 'DECLINED');

-- CreateTable
CREATE TABLE "RiskDecision" (
    "id" TEXT NOT NULL,
    "idempotencyKey" TEXT NOT NULL,
    "orderId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "cardKey" TEXT NOT NULL,
    "amount" INTEGER NOT NULL,
    "currency" TEXT NOT NULL,
    "billingCountry" TEXT,
    "shippingCountry" TEXT,
    "outcome" "RiskOutcome" NOT NULL,
    "rules" TEXT[],
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RiskDecision_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "WebhookEvent" (
    "id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "outcome" TEXT NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "WebhookEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "RiskDecision_idempotencyKey_key" ON "RiskDecision"("idempotencyKey");

-- CreateIndex
CREATE INDEX "RiskDecision_userId_createdAt_idx" ON "RiskDecision"("userId", "createdAt");

-- CreateIndex
CREATE INDEX "RiskDecision_cardKey_createdAt_idx" ON "RiskDecision"("cardKey", "createdAt");

-- CreateIndex
CREATE INDEX "Payment_providerRef_idx" ON "Payment"("providerRef");
