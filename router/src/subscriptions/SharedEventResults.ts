/**
 * One execution per upstream event, plan and variables, shared by every
 * client subscription that receives the event.
 *
 * An upstream event reaches every client subscription sharing the upstream
 * (same subgraph, primary operation and identity). Clients with the same plan
 * and variables need the same payload, so the plan's `rest` runs once for
 * them all: 500 subscribers of one product cost one entity fetch per event,
 * not 500. Entries are keyed by the event object, weakly: they go with it.
 */
export class SharedEventResults<TResult> {
  private readonly byEvent = new WeakMap<object, Map<object, Map<string, Promise<TResult>>>>();

  /** The result of `run` for this event, plan and variables: run by the first client to ask, shared with the others. */
  resultFor(event: object, plan: object, variablesKey: string, run: () => Promise<TResult>): Promise<TResult> {
    let byPlan = this.byEvent.get(event);
    if (!byPlan) {
      byPlan = new Map();
      this.byEvent.set(event, byPlan);
    }
    let byVariables = byPlan.get(plan);
    if (!byVariables) {
      byVariables = new Map();
      byPlan.set(plan, byVariables);
    }
    let result = byVariables.get(variablesKey);
    if (!result) {
      result = run();
      byVariables.set(variablesKey, result);
    }
    return result;
  }
}
