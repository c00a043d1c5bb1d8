import { existsSync } from "node:fs";

/**
 * Debian's Chromium (Playwright's own browser download cannot work offline).
 * CI installs it (.ci/run); elsewhere a missing browser skips the browser
 * tests, except under CI=true, where it is a failure.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM_PATH);
export const requireBrowser = process.env.CI === "true";

export const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
