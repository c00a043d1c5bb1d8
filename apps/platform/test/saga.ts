import { expect } from "vitest";
import type pg from "pg";
import { connectTestClient } from "@store/testing";
import { DEMO_ADMIN_PASSWORD } from "@store/demo-data";
import { operation, request } from "./harness.ts";

export type OrderStatus = "PENDING" | "AWAITING_PAYMENT" | "PAID" | "SHIPPED" | "DELIVERED" | "CANCELLED";

/** Polls until `check` returns a value, or fails with the last value seen. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function sagaClient(url: string) {
  const signIn = async (email: string, password: string) => {
    const result = await request(url, operation("storefront/SignIn"), { input: { email, password } });
    expect(result.errors).toBeUndefined();
    return result.data.signIn.accessToken as string;
  };
  let adminToken: Promise<string> | undefined;
  const admin = () => (adminToken ??= signIn("admin@example.com", DEMO_ADMIN_PASSWORD));

  const client = {
    signIn,
    admin,
    async signUp(label = "saga") {
      const email = `${label}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
      const result = await request(url, operation("storefront/SignUp"), { input: { email, name: `Saga ${label}`, password: "saga-password-123" } });
      expect(result.errors).toBeUndefined();
      return { token: result.data.signUp.accessToken as string, userId: result.data.signUp.user.id as string };
    },
    async placeOrder(token: string, lines: { productId: string; quantity: number }[], paymentToken = "tok_visa") {
      const result = await request(url, operation("storefront/PlaceOrder"), { input: { lines, paymentToken } }, token);
      if (result.errors) throw new Error(`placeOrder failed: ${JSON.stringify(result.errors)}`);
      return result.data.placeOrder.id as string;
    },
    async order(token: string, id: string) {
      const result = await request(url, operation("storefront/OrderDetails"), { id }, token);
      // A stopped subgraph costs only its own fields (payment, say): the status still reads.
      if (!result.data?.order) throw new Error(JSON.stringify(result.errors));
      return result.data.order;
    },
    async waitForStatus(token: string, id: string, status: OrderStatus, timeoutMs = 30_000) {
      return eventually(`order ${id} to be ${status}`, async () => {
        const order = await client.order(token, id);
        return order?.status === status ? order : undefined;
      }, timeoutMs);
    },
    /** Admin: dispatches, then delivers, the order's shipment once it exists. */
    async advanceShipment(orderId: string) {
      const token = await admin();
      const shipmentId = await eventually(`a shipment for ${orderId}`, async () => (await client.order(token, orderId))?.shipment?.id as string | undefined);
      const result = await request(url, operation("backoffice/AdvanceShipment"), { shipmentId }, token);
      if (result.errors) throw new Error(JSON.stringify(result.errors));
      return result.data.advanceShipment.status as string;
    },
    async stock(productId: string) {
      const result = await request(url, operation("backoffice/StockLevel"), { productId }, await admin());
      if (result.errors) throw new Error(JSON.stringify(result.errors));
      return result.data.stockLevel as { onHand: number; reserved: number; available: number } | null;
    },
  };
  return client;
}

/** Runs one query against a service's own database (outbox and inbox inspection). */
export async function sql<T extends pg.QueryResultRow>(databaseUrl: string, text: string, values: unknown[] = []): Promise<T[]> {
  const url = new URL(databaseUrl);
  url.searchParams.delete("connection_limit");
  const client = await connectTestClient(url.toString());
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}
