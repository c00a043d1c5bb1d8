import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Kind } from "graphql";
import { loadOperations } from "@store/supergraph";
import * as documents from "./index.ts";

describe("@store/client", () => {
  it("exports a typed document for every registered operation, identical to the registered text", () => {
    const operations = loadOperations(fileURLToPath(new URL("../../../operations", import.meta.url)));
    expect(operations.length).toBeGreaterThan(20);
    for (const operation of operations) {
      const document = (documents as Record<string, unknown>)[`${operation.name}Document`] as { definitions: { kind: string; name?: { value: string } }[] } | undefined;
      expect(document, operation.name).toBeDefined();
      const definition = document!.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
      expect(definition?.name?.value).toBe(operation.name);
    }
  });
});
