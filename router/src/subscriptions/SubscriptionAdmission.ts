import { ERRORS } from "@store/kit";
import type { GraphQLError } from "../graphql.ts";

export interface SubscriptionLimits {
  /** SUBSCRIPTIONS_MAX_PER_CONNECTION. */
  perConnection: number;
  /** SUBSCRIPTIONS_MAX_PER_ROUTER. */
  perRouter: number;
}

/** What admission counts on: a connection's admitted subscriptions. */
export interface AdmittedCount {
  admitted: number;
}

/**
 * The subscription limits, per connection and per router. A subscription is
 * counted from the moment it is admitted (in onSubscribe, before it starts)
 * until it is released, so two Subscribe messages in a row cannot both take
 * the last slot. `active` mirrors the router's count (a gauge).
 */
export class SubscriptionAdmission {
  private admitted = 0;

  constructor(
    private readonly limits: SubscriptionLimits,
    private readonly active?: { inc(): void; dec(): void },
  ) {}

  /** Subscriptions admitted on the router and not yet released. */
  get count(): number {
    return this.admitted;
  }

  /**
   * Admits one more subscription on `connection`: the function that releases
   * it (once; calling it again does nothing), or SUBSCRIPTION_LIMIT_EXCEEDED
   * naming the limit (`extensions.scope`: connection or router).
   */
  admit(connection: AdmittedCount): GraphQLError | (() => void) {
    const { perConnection, perRouter } = this.limits;
    if (connection.admitted >= perConnection) {
      return ERRORS.SUBSCRIPTION_LIMIT_EXCEEDED.err(`At most ${perConnection} subscriptions per connection`, { extensions: { scope: "connection", limit: perConnection } });
    }
    if (this.admitted >= perRouter) {
      return ERRORS.SUBSCRIPTION_LIMIT_EXCEEDED.err("The router is at its subscription limit; try again later", { extensions: { scope: "router", limit: perRouter } });
    }
    connection.admitted += 1;
    this.admitted += 1;
    this.active?.inc();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      connection.admitted -= 1;
      this.admitted -= 1;
      this.active?.dec();
    };
  }
}
