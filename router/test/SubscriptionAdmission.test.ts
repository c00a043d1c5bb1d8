import { describe, expect, it } from "vitest";
import { GraphQLError } from "../src/graphql.ts";
import { SubscriptionAdmission } from "../src/subscriptions/SubscriptionAdmission.ts";

describe("SubscriptionAdmission", () => {
  it("admits up to the limit per connection, then up to the limit per router", () => {
    let active = 0;
    const admission = new SubscriptionAdmission({ perConnection: 2, perRouter: 3 }, { inc: () => void active++, dec: () => void active-- });
    const [one, two] = [{ admitted: 0 }, { admitted: 0 }];
    const releases = [admission.admit(one), admission.admit(one)];
    expect(releases.every((release) => typeof release === "function")).toBe(true);
    expect((admission.admit(one) as GraphQLError).toJSON()).toEqual({ message: "At most 2 subscriptions per connection", extensions: { code: "SUBSCRIPTION_LIMIT_EXCEEDED", scope: "connection", limit: 2 } });
    expect(typeof admission.admit(two)).toBe("function");
    expect((admission.admit(two) as GraphQLError).extensions).toEqual({ code: "SUBSCRIPTION_LIMIT_EXCEEDED", scope: "router", limit: 3 });
    expect({ count: admission.count, active, one: one.admitted, two: two.admitted }).toEqual({ count: 3, active: 3, one: 2, two: 1 });
  });

  it("frees a slot when a subscription is released, once however often release is called", () => {
    const admission = new SubscriptionAdmission({ perConnection: 1, perRouter: 1 });
    const connection = { admitted: 0 };
    const release = admission.admit(connection) as () => void;
    expect(admission.admit(connection)).toBeInstanceOf(GraphQLError);
    release();
    release();
    expect({ count: admission.count, admitted: connection.admitted }).toEqual({ count: 0, admitted: 0 });
    expect(typeof admission.admit(connection)).toBe("function");
  });
});
