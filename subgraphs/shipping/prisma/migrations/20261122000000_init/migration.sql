-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "ShipmentStatus" AS ENUM ('PENDING', 'DISPATCHED', 'DELIVERED');

-- CreateTable
CREATE TABLE "Shipment" (
    "id" UUID NOT NULL,
    "orderId" UUID NOT NULL,
    "customerId" UUID NOT NULL,
    "status" "ShipmentStatus" NOT NULL DEFAULT 'PENDING',
    "carrier" TEXT NOT NULL,
    "trackingNumber" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "dispatchedAt" TIMESTAMPTZ(3),
    "deliveredAt" TIMESTAMPTZ(3),
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Shipment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ShipmentEvent" (
    "id" UUID NOT NULL,
    "shipmentId" UUID NOT NULL,
    "status" "ShipmentStatus" NOT NULL,
    "note" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ShipmentEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Shipment_orderId_key" ON "Shipment"("orderId");

-- CreateIndex
CREATE UNIQUE INDEX "Shipment_trackingNumber_key" ON "Shipment"("trackingNumber");

-- CreateIndex
CREATE INDEX "Shipment_createdAt_id_idx" ON "Shipment"("createdAt", "id");

-- CreateIndex
CREATE INDEX "Shipment_status_createdAt_id_idx" ON "Shipment"("status", "createdAt", "id");

-- CreateIndex
CREATE UNIQUE INDEX "ShipmentEvent_shipmentId_status_key" ON "ShipmentEvent"("shipmentId", "status");

-- AddForeignKey
ALTER TABLE "ShipmentEvent" ADD CONSTRAINT "ShipmentEvent_shipmentId_fkey" FOREIGN KEY ("shipmentId") REFERENCES "Shipment"("id") ON DELETE RESTRICT ON UPDATE CASCADE;


-- Hand-written invariants the database guarantees whatever the code does.

-- The timestamps say exactly how far a shipment has come, and in order.
ALTER TABLE "Shipment" ADD CONSTRAINT "Shipment_status_timestamps_check" CHECK (
    ("status" = 'PENDING' AND "dispatchedAt" IS NULL AND "deliveredAt" IS NULL)
    OR ("status" = 'DISPATCHED' AND "dispatchedAt" IS NOT NULL AND "deliveredAt" IS NULL)
    OR ("status" = 'DELIVERED' AND "dispatchedAt" IS NOT NULL AND "deliveredAt" IS NOT NULL)
);
ALTER TABLE "Shipment" ADD CONSTRAINT "Shipment_timestamps_order_check" CHECK (
    ("dispatchedAt" IS NULL OR "dispatchedAt" >= "createdAt")
    AND ("deliveredAt" IS NULL OR "deliveredAt" >= "dispatchedAt")
);
ALTER TABLE "Shipment" ADD CONSTRAINT "Shipment_carrier_check" CHECK (length(btrim("carrier")) > 0);
ALTER TABLE "Shipment" ADD CONSTRAINT "Shipment_trackingNumber_check" CHECK ("trackingNumber" ~ '^[A-Z0-9-]{6,32}$');
ALTER TABLE "ShipmentEvent" ADD CONSTRAINT "ShipmentEvent_note_check" CHECK (length(btrim("note")) > 0);
