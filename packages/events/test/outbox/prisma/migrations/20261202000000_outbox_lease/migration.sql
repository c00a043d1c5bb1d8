-- CreateTable
CREATE TABLE "OutboxLease" (
    "name" TEXT NOT NULL,
    "holder" TEXT NOT NULL,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "OutboxLease_pkey" PRIMARY KEY ("name")
);
