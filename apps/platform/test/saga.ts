import { randomBytes } from "node:crypto";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import type pg from "pg";
import { afterAll, beforeAll, expect } from "vitest";
import { DEMO_ADMIN_PASSWORD } from "@store/demo-data";
import { streamNames } from "@store/events";
import { connectTestClient, eventually } from "@store/testing";
import type { Platform } from "../src/index.ts";
import { operation, PLATFORM_POLL_MS, request, startTestPlatform } from "./harness.ts";
import { SHARED_NATS_URL } from "./natsServer.ts";

export type OrderStatus = "PENDING" | "AWAITING_PAYMENT" | "PAID" | "SHIPPED" | "DELIVERED" | "CANCELLED";
/** Statuses an order never leaves. */
const FINAL: ReadonlySet<string> = new Set<OrderStatus>(["DELIVERED", "CANCELLED"]);

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
    /**
     * Waits for the order to reach `status` (saga steps run on events: the
     * default deadline is the generous one of `eventually`); fails at once
     * if the order ends in another status instead.
     */
    async waitForStatus(token: string, id: string, status: OrderStatus, timeoutMs?: number) {
      const order = await eventually(
        async () => {
          const order = await client.order(token, id);
          if (order.status !== status && !FINAL.has(order.status)) throw new Error(`order ${id} is ${order.status}`);
          return order;
        },
        { what: `order ${id} to be ${status}`, timeoutMs, intervalMs: PLATFORM_POLL_MS },
      );
      if (order.status !== status) throw new Error(`order ${id} ended ${order.status}, never ${status}: ${JSON.stringify(order.statusHistory)}`);
      return order;
    },
    /** Admin: dispatches, then delivers, the order's shipment once it exists. */
    async advanceShipment(orderId: string) {
      const token = await admin();
      const shipmentId = await eventually(async () => (await client.order(token, orderId)).shipment?.id as string | undefined, { what: `a shipment for ${orderId}`, intervalMs: PLATFORM_POLL_MS });
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

export interface NatsSagaPlatform {
  /** This file's own NATS namespace (`<label><random>.`): its streams and consumers are nobody else's. */
  readonly namespace: string;
  readonly streams: ReturnType<typeof streamNames>;
  /** Set once beforeAll has run. */
  platform: Platform;
  client: ReturnType<typeof sagaClient>;
}

/**
 * The platform on the shared NATS JetStream, in a namespace of its own, for a
 * saga test file: started before its tests, and after them stopped, with its
 * streams deleted. `beforeStop` runs first (to stop what the file started
 * beside it).
 */
export function useNatsSagaPlatform(label: string, beforeStop?: () => void | Promise<void>): NatsSagaPlatform {
  const namespace = `${label}${randomBytes(3).toString("hex")}.`;
  const saga = { namespace, streams: streamNames(namespace) } as NatsSagaPlatform;
  beforeAll(async () => {
    saga.platform = await startTestPlatform({ events: { kind: "nats", url: SHARED_NATS_URL, namespace } });
    saga.client = sagaClient(saga.platform.routerUrl);
  }, 180_000);
  afterAll(async () => {
    await beforeStop?.();
    await saga.platform?.stop();
    const nc = await connect({ servers: SHARED_NATS_URL });
    try {
      const jsm = await jetstreamManager(nc);
      for (const stream of [saga.streams.events, saga.streams.deadLetter]) await jsm.streams.delete(stream).catch(() => {});
    } finally {
      await nc.close();
    }
  });
  return saga;
}
