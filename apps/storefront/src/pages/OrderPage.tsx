import { useEffect } from "react";
import { useMutation, useQuery, useSubscription } from "urql";
import { CancelOrderDocument, OrderDetailsDocument, OrderUpdatedDocument, type OrderDetailsQuery } from "@store/client";
import { Money } from "../components/Money.tsx";
import { ErrorNotice, Loading, StatusBadge, Unavailable } from "../components/Notices.tsx";
import { RequireSignIn } from "../components/RequireSignIn.tsx";
import { describeErrors, isMissing, onlyPartsMissing, type UserErrors } from "../errors.ts";
import { canCancel, laterStatus, stepsFor } from "../orderStatus.ts";

export function OrderPage({ id }: { id: string }) {
  return (
    <RequireSignIn title="Order">
      <Order id={id} />
    </RequireSignIn>
  );
}

type OrderData = NonNullable<OrderDetailsQuery["order"]>;

/**
 * One order, live: every `orderUpdated` event shows its status at once and
 * fetches the order again for what the event does not carry (the shipment's
 * tracking number, the status history).
 */
function Order({ id }: { id: string }) {
  const [{ data, fetching, error }, refetch] = useQuery({ query: OrderDetailsDocument, variables: { id }, requestPolicy: "cache-and-network" });
  const [{ data: live }] = useSubscription({ query: OrderUpdatedDocument, variables: { orderId: id } });
  const [cancelling, cancelOrder] = useMutation(CancelOrderDocument);
  const event = live?.orderUpdated;
  useEffect(() => {
    if (event) refetch({ requestPolicy: "network-only" });
  }, [event, refetch]);
  const errors = describeErrors(error);
  if (!data) return fetching ? <Loading what="the order" /> : <ErrorNotice errors={errors} />;
  const order = data.order;
  if (!order) {
    return (
      <section>
        <h1>Order not found</h1>
        <p>
          It does not exist, or it belongs to another account. <a href="#/orders">Your orders</a>
        </p>
      </section>
    );
  }
  // The event and the answer race (each event triggers a fetch): an order only moves forward.
  const status = event ? laterStatus(event.status, order.status) : order.status;
  const cancelReason = status === "CANCELLED" ? order.statusHistory.findLast((entry) => entry.to === "CANCELLED")?.reason : undefined;
  return (
    <article aria-labelledby="order-title" className="order">
      <h1 id="order-title">Order {order.id.slice(0, 8)}</h1>
      <p className="muted">
        Placed {new Date(order.placedAt).toLocaleString()} by {order.customer.name}
      </p>
      {onlyPartsMissing(errors) ? <p className="notice notice-partial">{errors.messages[0]}</p> : <ErrorNotice errors={errors} />}
      <div className="status-line" aria-live="polite">
        Status: <StatusBadge status={status} />
      </div>
      {status === "CANCELLED" ? (
        <div className="notice notice-error" role="alert" data-testid="cancelled">
          <p>This order was cancelled{cancelReason ? `: ${cancelReason}` : "."}</p>
          <p>Nothing was charged. You can place it again with another card.</p>
        </div>
      ) : (
        <ol className="steps" aria-label="Order progress">
          {stepsFor(status).map(({ step, state }) => (
            <li key={step} className={`step step-${state}`} aria-current={state === "current" ? "step" : undefined}>
              {step.replaceAll("_", " ").toLowerCase()}
            </li>
          ))}
        </ol>
      )}
      <div className="columns">
        <Lines order={order} />
        <div>
          <Payment order={order} errors={errors} />
          <Shipment order={order} errors={errors} />
        </div>
      </div>
      {canCancel(status) ? (
        <div className="cancel">
          <ErrorNotice errors={describeErrors(cancelling.error)} />
          <button type="button" className="button button-danger" disabled={cancelling.fetching} onClick={() => cancelOrder({ orderId: order.id, reason: null }).then(() => refetch({ requestPolicy: "network-only" }))}>
            {cancelling.fetching ? "Cancelling…" : "Cancel order"}
          </button>
        </div>
      ) : null}
      <details className="history">
        <summary>Status history</summary>
        <ol>
          {order.statusHistory.map((entry) => (
            <li key={`${entry.at}-${entry.to}`}>
              {new Date(entry.at).toLocaleTimeString()}: {entry.from ? `${entry.from} → ` : ""}
              {entry.to} ({entry.reason})
            </li>
          ))}
        </ol>
      </details>
    </article>
  );
}

function Lines({ order }: { order: OrderData }) {
  return (
    <section aria-labelledby="lines-title">
      <h2 id="lines-title">Items</h2>
      <ul className="summary">
        {order.lines.map((line, index) => (
          <li key={`${line.product.id}-${index}`}>
            {line.quantity} × {line.productName} <Money value={line.unitPrice} />
          </li>
        ))}
      </ul>
      <p className="subtotal">
        Total: <Money value={order.total} />
      </p>
    </section>
  );
}

function Payment({ order, errors }: { order: OrderData; errors: UserErrors }) {
  return (
    <section aria-labelledby="payment-title" data-testid="payment">
      <h2 id="payment-title">Payment</h2>
      {order.payment ? (
        <p>
          <StatusBadge status={order.payment.status} /> <Money value={order.payment.amount} />
        </p>
      ) : isMissing(errors, ["order", "payment"], "payments") ? (
        <p>
          <Unavailable what="Payment" />
        </p>
      ) : (
        <p className="muted">Not charged yet.</p>
      )}
    </section>
  );
}

function Shipment({ order, errors }: { order: OrderData; errors: UserErrors }) {
  return (
    <section aria-labelledby="shipment-title" data-testid="shipment">
      <h2 id="shipment-title">Shipment</h2>
      {order.shipment ? (
        <p>
          <StatusBadge status={order.shipment.status} /> {order.shipment.carrier}, tracking <code>{order.shipment.trackingNumber}</code>
        </p>
      ) : isMissing(errors, ["order", "shipment"], "shipping") ? (
        <p>
          <Unavailable what="Shipment" />
        </p>
      ) : (
        <p className="muted">Ships once the payment is captured.</p>
      )}
    </section>
  );
}
