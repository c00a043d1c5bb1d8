import { useState } from "react";
import { useQuery, useSubscription } from "urql";
import { MyOrdersDocument, MyOrderUpdatesDocument, type OrderStatus } from "@store/client";
import { Money } from "../components/Money.tsx";
import { EmptyState, ErrorNotice, Loading, StatusBadge, Unavailable } from "../components/Notices.tsx";
import { RequireSignIn } from "../components/RequireSignIn.tsx";
import { describeErrors, isMissing, onlyPartsMissing } from "../errors.ts";
import { hrefFor } from "../routes.ts";
import { DEPENDS_ON_ORDERS } from "../cacheHints.ts";

const PAGE_SIZE = 10;

export function OrdersPage() {
  return (
    <RequireSignIn title="My orders">
      <Orders />
    </RequireSignIn>
  );
}

function Orders() {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  // Statuses that changed while the page is open (myOrderUpdates), over the pages' answers.
  const [{ data: live }] = useSubscription({ query: MyOrderUpdatesDocument }, (statuses: Record<string, OrderStatus> = {}, event) => ({ ...statuses, [event.myOrderUpdates.id]: event.myOrderUpdates.status }));
  return (
    <section aria-labelledby="orders-title">
      <h1 id="orders-title">My orders</h1>
      {cursors.map((after, index) => (
        <OrdersPageOf key={after ?? "first"} after={after} first={index === 0} last={index === cursors.length - 1} live={live ?? {}} onMore={(cursor) => setCursors([...cursors, cursor])} />
      ))}
    </section>
  );
}

function OrdersPageOf({ after, first, last, live, onMore }: { after: string | null; first: boolean; last: boolean; live: Record<string, OrderStatus>; onMore(cursor: string): void }) {
  const [{ data, fetching, error }] = useQuery({ query: MyOrdersDocument, variables: { first: PAGE_SIZE, after }, requestPolicy: "cache-and-network", context: DEPENDS_ON_ORDERS });
  const errors = describeErrors(error);
  if (!data) return fetching ? <Loading what="your orders" /> : <ErrorNotice errors={errors} />;
  const { edges, pageInfo } = data.myOrders;
  if (first && edges.length === 0) {
    return (
      <EmptyState title="You have no orders yet.">
        <p>
          <a href="#/">Start shopping</a>
        </p>
      </EmptyState>
    );
  }
  return (
    <>
      {onlyPartsMissing(errors) ? <p className="notice notice-partial">{errors.messages[0]}</p> : <ErrorNotice errors={errors} />}
      <ul className="order-list" aria-label={first ? "Orders" : "Older orders"}>
        {edges.map(({ node: order }, index) => (
          <li key={order.id} className="card" data-order-id={order.id}>
            <h2 className="card-title">
              <a href={hrefFor({ page: "order", id: order.id })}>Order placed {new Date(order.placedAt).toLocaleString()}</a>
            </h2>
            <p>
              <StatusBadge status={live[order.id] ?? order.status} /> <Money value={order.total} />
            </p>
            <p className="muted">{order.lines.map((line) => `${line.quantity} × ${line.productName}`).join(", ")}</p>
            <p className="muted">
              Payment: {order.payment ? order.payment.status.toLowerCase() : isMissing(errors, ["myOrders", "edges", index, "node", "payment"], "payments") ? <Unavailable what="Payment" /> : "none yet"}
              {" · "}Shipment: {order.shipment ? order.shipment.status.toLowerCase() : isMissing(errors, ["myOrders", "edges", index, "node", "shipment"], "shipping") ? <Unavailable what="Shipment" /> : "none yet"}
            </p>
          </li>
        ))}
      </ul>
      {last && pageInfo.hasNextPage && pageInfo.endCursor ? (
        <button type="button" className="button button-secondary more" onClick={() => onMore(pageInfo.endCursor!)}>
          Show older orders
        </button>
      ) : null}
    </>
  );
}
