/**
 * axe-core for the storefront's browser test (apps/platform/test/storefront.browser.test.ts):
 * its source, to evaluate in a page, and the expression that runs it there.
 * Evaluated through the DevTools protocol, so the app's Content-Security-Policy
 * (scripts from its own origin only) stays on while the test runs.
 */
import axe from "axe-core";

export const AXE_SOURCE: string = axe.source;

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/** An expression for page.evaluate: the page's violations of WCAG 2.1 A and AA (and best practices). */
export const RUN_AXE = `axe.run(document, { resultTypes: ["violations"], runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] } })
  .then((results) => results.violations.map((violation) => ({ id: violation.id, impact: violation.impact, help: violation.help, targets: violation.nodes.map((node) => node.target.join(" ")) })))`;

/** Violations that block or seriously hinder someone (axe's "serious" and "critical"). */
export function seriousViolations(violations: readonly AxeViolation[]): AxeViolation[] {
  return violations.filter((violation) => violation.impact === "serious" || violation.impact === "critical");
}
