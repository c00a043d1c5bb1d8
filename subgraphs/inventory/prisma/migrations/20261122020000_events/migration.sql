-- AlterTable
ALTER TABLE "StockMovement" ADD COLUMN     "onHandDelta" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "OutboxEvent" (
    "id" UUID NOT NULL,
    "position" BIGSERIAL NOT NULL,
    "type" TEXT NOT NULL,
    "envelope" JSONB NOT NULL,
    "occurredAt" TIMESTAMPTZ(3) NOT NULL,
    "publishedAt" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lastError" TEXT,

    CONSTRAINT "OutboxEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "InboxEvent" (
    "consumer" TEXT NOT NULL,
    "eventId" UUID NOT NULL,
    "type" TEXT NOT NULL,
    "processedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "InboxEvent_pkey" PRIMARY KEY ("consumer","eventId")
);

-- CreateIndex
CREATE UNIQUE INDEX "OutboxEvent_position_key" ON "OutboxEvent"("position");

-- CreateIndex
CREATE INDEX "OutboxEvent_publishedAt_position_idx" ON "OutboxEvent"("publishedAt", "position");


-- Hand-written. Shipping commits reserved units (COMMIT): onHand and reserved
-- both drop while available stays put, so a COMMIT row has delta 0, which the
-- old "delta <> 0" CHECK forbids. The new onHandDelta column carries the
-- on-hand change instead, and one CHECK per reason pins both ledgers' shape.
-- Existing RESTOCK rows changed onHand by their delta: backfill that first, so
-- the new CHECK holds for old rows and the onHand ledger adds up from day one.
UPDATE "StockMovement" SET "onHandDelta" = "delta" WHERE "reason" = 'RESTOCK';

ALTER TABLE "StockMovement" DROP CONSTRAINT "StockMovement_reason_known";
ALTER TABLE "StockMovement" DROP CONSTRAINT "StockMovement_delta_nonzero";
ALTER TABLE "StockMovement" ADD CONSTRAINT "StockMovement_reason_shape" CHECK (
     ("reason" = 'RESTOCK' AND "delta" > 0 AND "onHandDelta" = "delta")
  OR ("reason" = 'RESERVE' AND "delta" < 0 AND "onHandDelta" = 0)
  OR ("reason" = 'RELEASE' AND "delta" > 0 AND "onHandDelta" = 0)
  OR ("reason" = 'COMMIT'  AND "delta" = 0 AND "onHandDelta" < 0)
);
