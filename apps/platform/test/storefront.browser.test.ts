import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { DEMO_ADMIN_PASSWORD, DEMO_CUSTOMER_PASSWORD, demoProducts } from "@store/demo-data";
import { eventually } from "@store/testing";
import { ensureStorefrontBuild, startStorefront, type RunningStorefront } from "../../storefront/serve.ts";
import { AXE_SOURCE, RUN_AXE, seriousViolations, type AxeViolation } from "../../storefront/test/axe.ts";
import type { Platform } from "../src/index.ts";
import { CHROMIUM_ARGS, CHROMIUM_PATH, hasChromium, requireBrowser } from "./browser.ts";
import { PLATFORM_POLL_MS, startTestPlatform } from "./harness.ts";

/**
 * UPDATE_SCREENSHOTS=1 writes the README's pictures of the storefront
 * (docs/storefront/); otherwise they are taken (the page must render for
 * them) and dropped, so an ordinary run leaves the tree as it found it.
 */
const screenshotsDir = process.env.UPDATE_SCREENSHOTS ? fileURLToPath(new URL("../../../docs/storefront/", import.meta.url)) : undefined;

async function screenshot(page: Page, name: string, fullPage = true) {
  const image = await page.screenshot({ fullPage });
  expect(image.length).toBeGreaterThan(10_000);
  if (screenshotsDir) {
    mkdirSync(screenshotsDir, { recursive: true });
    writeFileSync(`${screenshotsDir}${name}`, image);
  }
}

/** The page's serious and critical accessibility violations (axe-core), none expected. */
async function accessibilityProblems(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate("typeof axe !== 'undefined'"))) await page.evaluate(AXE_SOURCE);
  return seriousViolations((await page.evaluate(RUN_AXE)) as AxeViolation[]);
}

const PRICE = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
const matcha = demoProducts.find((product) => product.sku === "COF-0007")!;
const moka = demoProducts.find((product) => product.sku === "COF-0008")!;

/** A product's "Add to cart" button (the product's name is in its accessible name, not on it). */
const addToCart = (name: string) => new RegExp(`^Add to cart\\W+${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);

/** The status the order page shows right now. */
const orderStatus = (page: Page) => page.locator(".status-line [data-status]").getAttribute("data-status");

// Generous: Chromium, a Vite build and the platform start beside other test runs on 2 cores.
describe.skipIf(!hasChromium && !requireBrowser)("the storefront in a browser", { timeout: 240_000 }, () => {
  let platform: Platform;
  let storefront: RunningStorefront;
  let browser: Browser;
  let shopper: BrowserContext;
  let page: Page;
  const outside: string[] = [];
  const pageErrors: string[] = [];
  const socketFrames: string[] = [];
  let orderId = "";

  beforeAll(async () => {
    // The build (only when dist/ is missing or older than its sources) runs while the platform starts.
    const [started] = await Promise.all([startTestPlatform(), ensureStorefrontBuild()]);
    platform = started;
    storefront = await startStorefront({ port: 0, routerUrl: platform.routerUrl });
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    shopper = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await shopper.newPage();
    page.on("request", (req) => {
      if (!req.url().startsWith(storefront.url) && !req.url().startsWith("data:")) outside.push(req.url());
    });
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("websocket", (socket) => socket.on("framereceived", ({ payload }) => socketFrames.push(String(payload))));
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await storefront?.close();
    await platform?.stop();
  });

  it("signs up, searches, fills a cart with two products and changes a quantity", async () => {
    await page.goto(`${storefront.url}#/sign-up`);
    await page.getByLabel("Name").fill("Grace Storefront");
    await page.getByLabel("Email").fill(`grace-${Date.now()}@example.com`);
    // Too short first: the field shows the accounts subgraph's BAD_USER_INPUT issue.
    await page.getByLabel("Password").fill("short");
    await page.getByRole("button", { name: "Create account" }).click();
    await expect.poll(() => page.locator(".field-error").innerText()).toBe("password must be at least 10 characters");
    expect(await page.getByLabel("Password").getAttribute("aria-invalid")).toBe("true");
    await page.getByLabel("Password").fill("storefront-test-1");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("heading", { name: "Shop" }).waitFor();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    await page.locator(".product-card").first().waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, "browse.png", false);

    for (const [product, search] of [
      [matcha, "matcha"],
      [moka, "espresso maker"],
    ] as const) {
      await page.getByLabel("Search products").fill(search);
      await page.getByRole("button", { name: "Search", exact: true }).click();
      await expect.poll(() => page.locator(".result-count").innerText()).toBe(`1 product matching “${search}”`);
      await page.getByRole("button", { name: addToCart(product.name) }).click();
      await expect.poll(() => page.locator(".product-card .added").innerText()).toBe("Added to your cart");
    }
    await expect.poll(() => page.getByTestId("cart-count").innerText()).toBe("2");

    await page.getByRole("link", { name: /^Cart/ }).click();
    await page.getByRole("heading", { name: "Your cart" }).waitFor();
    await page.getByRole("button", { name: `One more ${matcha.name}` }).click();
    const subtotal = PRICE.format((2 * matcha.priceCents + moka.priceCents) / 100);
    await expect.poll(() => page.getByTestId("subtotal").innerText()).toBe(`Subtotal (3 items): ${subtotal}`);
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, "cart.png");
  });

  it("checks out with tok_visa and watches the order reach PAID live", async () => {
    await page.getByRole("link", { name: "Go to checkout" }).click();
    await page.getByRole("heading", { name: "Checkout" }).waitFor();
    // A new account has no address: the first one is saved and chosen.
    await page.getByLabel("Street and number").fill("1 Loopback Lane");
    await page.getByLabel("City").fill("Springfield");
    await page.getByLabel("Postal code").fill("12345");
    await page.getByRole("button", { name: "Save address" }).click();
    await page.getByRole("radio", { name: /1 Loopback Lane/ }).waitFor();
    expect(await page.getByRole("radio", { name: /tok_visa/ }).isChecked()).toBe(true);
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, "checkout.png");
    await page.getByRole("button", { name: "Place order" }).click();

    await page.waitForURL(/#\/orders\/[0-9a-f-]+$/);
    orderId = decodeURIComponent(new URL(page.url()).hash.replace("#/orders/", ""));
    await eventually(async () => (await orderStatus(page)) === "PAID", { what: "PAID on the order page", intervalMs: PLATFORM_POLL_MS });
    // The page never polls: PAID came as an orderUpdated event over the WebSocket.
    expect(socketFrames.some((frame) => frame.includes('"orderUpdated"') && frame.includes('"PAID"'))).toBe(true);
    await expect.poll(() => page.getByTestId("payment").innerText()).toMatch(/captured/i);
    expect(await page.getByRole("button", { name: "Cancel order" }).count()).toBe(0);
  });

  it("lets an admin advance the shipment in a second browser, and DELIVERED arrives live", async () => {
    const admin = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const office = await admin.newPage();
      await office.goto(`${storefront.url}#/sign-in?next=${encodeURIComponent("#/admin")}`);
      // A wrong password first: INVALID_CREDENTIALS as a message, not a blank page.
      await office.getByLabel("Email").fill("admin@example.com");
      await office.getByLabel("Password").fill("not-the-password");
      await office.getByRole("button", { name: "Sign in" }).click();
      await expect.poll(() => office.getByRole("alert").innerText()).toMatch(/email and password do not match/);
      await office.getByLabel("Password").fill(DEMO_ADMIN_PASSWORD);
      await office.getByRole("button", { name: "Sign in" }).click();
      await office.getByRole("heading", { name: "Back office" }).waitFor();

      const short = orderId.slice(0, 8);
      for (const [section, action] of [
        ["Shipments to dispatch", "Dispatch"],
        ["Shipments on their way", "Mark delivered"],
      ] as const) {
        const region = office.getByRole("region", { name: section });
        const button = region.getByRole("button", { name: `${action}: order ${short}` });
        // The shipment appears once shipping has handled the event: refresh until it is listed.
        await eventually(
          async () => {
            if (await button.count()) return true;
            await region.getByRole("button", { name: "Refresh" }).click();
            return false;
          },
          { what: `order ${short} under "${section}"`, intervalMs: PLATFORM_POLL_MS },
        );
        if (action === "Mark delivered") {
          expect(await accessibilityProblems(office)).toEqual([]);
          await screenshot(office, "backoffice.png");
        }
        await button.click();
        await eventually(async () => (await button.count()) === 0, { what: `order ${short} gone from "${section}"`, intervalMs: PLATFORM_POLL_MS });
      }
    } finally {
      await admin.close();
    }

    await eventually(async () => (await orderStatus(page)) === "DELIVERED", { what: "DELIVERED on the shopper's order page", intervalMs: PLATFORM_POLL_MS });
    expect(socketFrames.some((frame) => frame.includes('"orderUpdated"') && frame.includes('"DELIVERED"'))).toBe(true);
    await expect.poll(() => page.getByTestId("shipment").innerText()).toMatch(/delivered/i);
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, "order.png");
  });

  it("shows the cancellation when the card is declined (tok_declined)", async () => {
    await page.goto(`${storefront.url}#/products/${matcha.id}`);
    await page.getByRole("heading", { name: matcha.name }).waitFor();
    await page.getByRole("button", { name: addToCart(matcha.name) }).click();
    await page.getByText("Added to your cart").waitFor();
    await page.goto(`${storefront.url}#/checkout`);
    await page.getByRole("radio", { name: /tok_declined/ }).check();
    await page.getByRole("button", { name: "Place order" }).click();
    await page.waitForURL((url) => /#\/orders\/[0-9a-f-]+$/.test(url.hash) && !url.hash.endsWith(orderId));
    const cancelled = page.getByTestId("cancelled");
    await cancelled.waitFor({ timeout: 60_000 });
    // The reason comes with the order's history, fetched again on the event.
    await eventually(async () => /This order was cancelled: .*declined/i.test(await cancelled.innerText()), { what: "the decline as the reason", intervalMs: PLATFORM_POLL_MS });
    expect(await orderStatus(page)).toBe("CANCELLED");
    await screenshot(page, "declined.png");
  });

  it("marks the payment unavailable, and still shows the order, while payments is down", async () => {
    await platform.stopSubgraph("payments");
    try {
      // Within the app (a reload would sign out: the token lives in memory only).
      await page.getByRole("link", { name: "My orders" }).click();
      await page.locator(`[data-order-id="${orderId}"] a`).click();
      // The order's own page, not the list it came from (where every order's payment is unavailable too).
      await page.waitForURL((url) => url.hash.endsWith(`/orders/${orderId}`));
      await page.getByTestId("payment").locator('[data-unavailable="Payment"]').waitFor();
      expect(await orderStatus(page)).toBe("DELIVERED");
      expect(await page.locator(".notice-partial").innerText()).toMatch(/could not be loaded right now/);
    } finally {
      await platform.restartSubgraph("payments");
    }
  });

  it("signs in with the keyboard alone: Tab reaches the link and the fields in order, Enter submits", async () => {
    const visitor = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const tab = await visitor.newPage();
      await tab.goto(`${storefront.url}#/`);
      await tab.locator(".product-card").first().waitFor();
      /** What has the keyboard's focus: its tag and accessible label. */
      // A string, as this project's types have no DOM: it runs in the page.
      const focused = () =>
        tab.evaluate<string>(`(() => {
          const element = document.activeElement;
          const label = element && element.id ? document.querySelector('label[for="' + element.id + '"]')?.textContent : undefined;
          return (element ? element.tagName.toLowerCase() : "") + ":" + (label ?? element?.textContent ?? "").trim();
        })()`);
      /** Presses Tab until `target` has the focus (a few dozen stops at most). */
      const tabTo = async (target: string) => {
        for (let stop = 0; stop < 60; stop++) {
          if ((await focused()) === target) return;
          await tab.keyboard.press("Tab");
        }
        throw new Error(`Tab never reached ${target}; it is on ${await focused()}`);
      };
      await tabTo("a:Sign in");
      await tab.keyboard.press("Enter");
      await tab.getByLabel("Email").waitFor();
      await tabTo("input:Email");
      await tab.keyboard.type("ada@example.com");
      await tab.keyboard.press("Tab");
      expect(await focused()).toBe("input:Password");
      await tab.keyboard.type(DEMO_CUSTOMER_PASSWORD);
      await tab.keyboard.press("Enter");
      await tab.getByRole("button", { name: "Sign out" }).or(tab.getByRole("link", { name: "Sign out" })).waitFor();
    } finally {
      await visitor.close();
    }
  });

  it("fits a phone's width and stays on its own origin", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole("link", { name: "Shop", exact: true }).click();
    await page.locator(".product-card").first().waitFor();
    expect(await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")).toBe(true);
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, "browse-phone.png", false);
    expect(outside).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
