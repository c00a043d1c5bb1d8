-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "Role" AS ENUM ('CUSTOMER', 'ADMIN');

-- CreateTable
CREATE TABLE "User" (
    "id" UUID NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "passwordHash" TEXT NOT NULL,
    "role" "Role" NOT NULL DEFAULT 'CUSTOMER',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Address" (
    "id" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "label" TEXT NOT NULL,
    "line1" TEXT NOT NULL,
    "line2" TEXT,
    "city" TEXT NOT NULL,
    "postalCode" TEXT NOT NULL,
    "country" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Address_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");

-- CreateIndex
CREATE INDEX "Address_userId_idx" ON "Address"("userId");

-- AddForeignKey
ALTER TABLE "Address" ADD CONSTRAINT "Address_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Hand-written invariants: the API validates all of these first, so a violation here means a bug, never a user mistake.
-- Lower-case emails make the unique index case-insensitive.
ALTER TABLE "User" ADD CONSTRAINT "User_email_lowercase_check" CHECK ("email" = lower("email") AND char_length("email") BETWEEN 3 AND 254);
ALTER TABLE "User" ADD CONSTRAINT "User_name_length_check" CHECK (char_length("name") BETWEEN 1 AND 100);
ALTER TABLE "User" ADD CONSTRAINT "User_passwordHash_format_check" CHECK ("passwordHash" LIKE 'scrypt$%');
ALTER TABLE "Address" ADD CONSTRAINT "Address_country_check" CHECK ("country" ~ '^[A-Z]{2}$');
ALTER TABLE "Address" ADD CONSTRAINT "Address_length_check" CHECK (
    char_length("label") BETWEEN 1 AND 50
    AND char_length("line1") BETWEEN 1 AND 200
    AND (char_length("line2") BETWEEN 1 AND 200 OR "line2" IS NULL)
    AND char_length("city") BETWEEN 1 AND 100
    AND char_length("postalCode") BETWEEN 1 AND 20
);
