import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { Field } from "../src/components/Field.tsx";
import { ErrorNotice, Unavailable } from "../src/components/Notices.tsx";
import { describeErrors } from "../src/errors.ts";
import { StockText } from "../src/pages/BrowsePage.tsx";

describe("components", () => {
  it("ties a field's server error to its input and marks the input invalid", () => {
    const html = renderToStaticMarkup(createElement(Field, { label: "Password", type: "password", error: "password must be at least 10 characters", hint: "10 to 200 characters" }));
    const id = /<input id="([^"]+)"/.exec(html)?.[1];
    expect(id).toBeDefined();
    expect(html).toContain(`<label for="${id}">Password</label>`);
    expect(html).toContain('aria-invalid="true"');
    expect(html).toContain(`aria-describedby="${id}-hint ${id}-error"`);
    expect(html).toContain(`<small id="${id}-error" class="field-error">password must be at least 10 characters</small>`);
    expect(renderToStaticMarkup(createElement(Field, { label: "Email" }))).not.toContain("aria-invalid");
  });

  it("shows errors as an alert with their codes, and nothing without errors", () => {
    const errors = describeErrors({ graphQLErrors: [{ message: "x", extensions: { code: "INVALID_CREDENTIALS" } }] });
    const html = renderToStaticMarkup(createElement(ErrorNotice, { errors }));
    expect(html).toMatch(/^<div class="notice notice-error" role="alert" data-codes="INVALID_CREDENTIALS"><p>That email and password do not match/);
    expect(renderToStaticMarkup(createElement(ErrorNotice, { errors: describeErrors(undefined) }))).toBe("");
  });

  it("says stock is unavailable, not out, when inventory did not answer", () => {
    expect(renderToStaticMarkup(createElement(StockText, { inStock: null, missing: true }))).toContain(renderToStaticMarkup(createElement(Unavailable, { what: "Stock" })));
    expect(renderToStaticMarkup(createElement(StockText, { inStock: false, missing: false }))).toContain("Out of stock");
    expect(renderToStaticMarkup(createElement(StockText, { inStock: true, missing: false, stock: 7 }))).toContain("7 in stock");
  });
});
