import { describe, expect, it } from "vitest";
import { SharedEventResults } from "../src/subscriptions/SharedEventResults.ts";

describe("SharedEventResults", () => {
  it("runs once per event, plan and variables, and shares the result", async () => {
    const results = new SharedEventResults<string>();
    const [event, other, plan, otherPlan] = [{}, {}, {}, {}];
    let runs = 0;
    const run = (label: string) => () => Promise.resolve(`${label} ${++runs}`);
    const first = results.resultFor(event, plan, '{"id":"b1"}', run("a"));
    expect(results.resultFor(event, plan, '{"id":"b1"}', run("b"))).toBe(first);
    expect(await first).toBe("a 1");
    expect(await results.resultFor(event, plan, '{"id":"b2"}', run("c"))).toBe("c 2");
    expect(await results.resultFor(event, otherPlan, '{"id":"b1"}', run("d"))).toBe("d 3");
    expect(await results.resultFor(other, plan, '{"id":"b1"}', run("e"))).toBe("e 4");
    expect(runs).toBe(4);
  });
});
