import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { demoProducts } from "@store/demo-data";
import { createSpanStore } from "@store/kit";
import { eventually } from "@store/testing";
import type { Platform } from "../src/index.ts";
import { CHROMIUM_ARGS, CHROMIUM_PATH, hasChromium, requireBrowser } from "./browser.ts";
import { PLATFORM_POLL_MS, startTestPlatform } from "./harness.ts";
import { sagaClient } from "./saga.ts";

const SERVICES = ["accounts", "catalog", "inventory", "cart", "orders", "payments", "shipping"];
/**
 * UPDATE_SCREENSHOTS=1 writes the README's pictures of the page (docs/);
 * otherwise they are taken (the page must render for them) and dropped, so
 * an ordinary run leaves the tree as it found it.
 */
const screenshotsDir = process.env.UPDATE_SCREENSHOTS ? fileURLToPath(new URL("../../../docs/", import.meta.url)) : undefined;

async function screenshot(page: Page, name: string, options: { fullPage?: boolean; selector?: string } = {}) {
  const image = options.selector ? await page.locator(options.selector).screenshot() : await page.screenshot({ fullPage: options.fullPage ?? false });
  expect(image.length).toBeGreaterThan(10_000);
  if (screenshotsDir) {
    mkdirSync(screenshotsDir, { recursive: true });
    writeFileSync(`${screenshotsDir}${name}`, image);
  }
}

/** The status every service card shows right now, by service. */
const cardStatuses = (page: Page) =>
  page.locator("#services li[data-service]").evaluateAll((cards) => Object.fromEntries(cards.map((card) => [card.getAttribute("data-service"), card.getAttribute("data-status")])));

// Generous: Chromium and the platform start beside other test runs on 2 cores.
describe.skipIf(!hasChromium && !requireBrowser)("the router's status page in a browser", { timeout: 180_000 }, () => {
  let platform: Platform;
  let browser: Browser;
  let page: Page;
  const outside: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    // Spans of every service go to one in-memory store, as under `npm start`.
    platform = await startTestPlatform({ tracing: { store: createSpanStore(), env: {} } });
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const origin = new URL(platform.routerUrl).origin;
    page.on("request", (req) => {
      if (!req.url().startsWith(origin)) outside.push(req.url());
    });
    page.on("pageerror", (error) => pageErrors.push(error.message));
    await page.goto(`${origin}/status`);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
  });

  it("renders every subgraph green, with its dependencies, from the router alone", async () => {
    const statuses = await eventually(async () => {
      const statuses = await cardStatuses(page);
      return Object.keys(statuses).length === SERVICES.length && Object.values(statuses).every((status) => status === "up") && statuses;
    }, { what: "seven services up on the page", intervalMs: PLATFORM_POLL_MS });
    expect(Object.keys(statuses).sort()).toEqual([...SERVICES].sort());
    expect(await page.locator("#summary").innerText()).toBe("All 7 services up");
    // Each card lists the database and the event bus the subgraph checked.
    const orders = page.locator('#services li[data-service="orders"]');
    expect(await orders.innerText()).toMatch(/database[\s\S]*events \(in-process\)/);
    expect(await page.locator("h1").innerText()).toBe("Store status");
    expect(outside).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it("turns a stopped subgraph red within seconds, and green again once it is back", async () => {
    await platform.stopSubgraph("payments");
    try {
      await eventually(async () => (await cardStatuses(page)).payments === "down", { what: "payments down on the page", timeoutMs: 15_000, intervalMs: PLATFORM_POLL_MS });
      const card = page.locator('#services li[data-service="payments"]');
      expect(await card.innerText()).toMatch(/ECONNREFUSED/);
      expect(await page.locator("#summary").innerText()).toBe("6 of 7 services up; payments down");
      // The others stay green.
      expect(Object.values(await cardStatuses(page)).filter((status) => status === "up")).toHaveLength(6);
    } finally {
      await platform.restartSubgraph("payments");
    }
    await eventually(async () => (await cardStatuses(page)).payments === "up", { what: "payments up again", timeoutMs: 15_000, intervalMs: PLATFORM_POLL_MS });
  });

  it("shows a placed order's saga from PENDING to PAID, with its events and their handlers", async () => {
    const client = sagaClient(platform.routerUrl);
    const { token } = await client.signUp("status-page");
    const product = demoProducts.find((p) => p.stock >= 20)!;
    const orderId = await client.placeOrder(token, [{ productId: product.id, quantity: 1 }]);
    await client.waitForStatus(token, orderId, "PAID");

    await page.getByLabel("Order id").fill(orderId);
    await page.getByRole("button", { name: "Show timeline" }).click();
    const statuses = page.locator("#saga-statuses li");
    await eventually(async () => (await statuses.allInnerTexts()).includes("PAID"), { what: "PAID in the saga timeline", intervalMs: PLATFORM_POLL_MS });
    expect(await statuses.allInnerTexts()).toEqual(["PENDING", "AWAITING_PAYMENT", "PAID"]);
    const events = await page.locator("#saga-events tbody tr").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-event")));
    for (const type of ["OrderPlaced", "StockReserved", "PaymentCaptured"]) expect(events).toContain(type);
    // Each event names its publisher and the consumers that handled it.
    const placed = await page.locator('#saga-events tr[data-event="OrderPlaced"]').innerText();
    expect(placed).toMatch(/orders/);
    expect(placed).toMatch(/inventory-\w+[\s\S]*(handled|ok)/i);

    // RED figures for the operations just run, and the order's placement among the slowest operations.
    await eventually(async () => (await page.locator("#operations tbody").innerText()).includes("PlaceOrder"), { what: "PlaceOrder in the RED table", intervalMs: PLATFORM_POLL_MS });
    const placeOrder = page.locator("#slow summary", { hasText: "mutation PlaceOrder" }).first();
    await eventually(() => placeOrder.isVisible(), { what: "PlaceOrder among the slow operations", intervalMs: PLATFORM_POLL_MS });
    await screenshot(page, "status-overview.png", { fullPage: true });
    await screenshot(page, "status-saga.png", { selector: "section:has(#saga)" });

    // Its waterfall is a click away.
    await placeOrder.click();
    const spans = page.locator("#slow details[open] .waterfall li[data-span]");
    await eventually(async () => (await spans.count()) > 2, { what: "the PlaceOrder waterfall", intervalMs: PLATFORM_POLL_MS });
    // The trace crosses the services the saga moved through, events included.
    const rows = await eventually(
      async () => {
        const rows = await spans.allInnerTexts();
        for (const service of ["orders", "inventory", "payments", "shipping"]) if (!rows.some((row) => row.startsWith(service))) throw new Error(`no ${service} span in the waterfall yet`);
        return rows;
      },
      { what: "the saga's services in the PlaceOrder waterfall", intervalMs: PLATFORM_POLL_MS },
    );
    expect(rows[0]).toMatch(/^router\s+mutation PlaceOrder/);
    // Every row has its bar, placed on the trace's scale.
    expect(await spans.locator(".bar").count()).toBe(rows.length);
    // The top of it: a placed order's trace holds its whole saga, a hundred spans.
    await page.locator("#slow details[open] .waterfall").evaluate((list) => {
      const style = (list as unknown as { style: { setProperty(name: string, value: string): void } }).style;
      style.setProperty("max-height", "42rem");
      style.setProperty("overflow", "hidden");
    });
    await screenshot(page, "status-waterfall.png", { selector: "#slow > li:has(details[open])" });
    expect(outside).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
