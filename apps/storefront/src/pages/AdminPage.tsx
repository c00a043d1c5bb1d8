import { useId, useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { AdvanceShipmentDocument, BrowseProductsDocument, ChangeProductPriceDocument, RestockDocument, ShipmentsDocument, StockLevelDocument, type ShipmentStatus } from "@store/client";
import { useApp } from "../app.ts";
import { Field } from "../components/Field.tsx";
import { EmptyState, ErrorNotice, Loading, StatusBadge } from "../components/Notices.tsx";
import { RequireSignIn } from "../components/RequireSignIn.tsx";
import { describeErrors } from "../errors.ts";
import { formatMoney, parseAmount } from "../money.ts";
import { hrefFor } from "../routes.ts";
import { DEPENDS_ON_SHIPMENTS } from "../cacheHints.ts";

export function AdminPage() {
  return (
    <RequireSignIn title="Back office">
      <BackOffice />
    </RequireSignIn>
  );
}

function BackOffice() {
  const { session } = useApp();
  if (session?.user.role !== "ADMIN") {
    return (
      <section>
        <h1>Back office</h1>
        <p role="alert">The back office is for administrators. Sign in with an admin account.</p>
      </section>
    );
  }
  return (
    <section aria-labelledby="admin-title">
      <h1 id="admin-title">Back office</h1>
      <Shipments status="PENDING" title="Shipments to dispatch" action="Dispatch" />
      <Shipments status="DISPATCHED" title="Shipments on their way" action="Mark delivered" />
      <div className="columns">
        <Restock />
        <ChangePrice />
      </div>
    </section>
  );
}

function Shipments({ status, title, action }: { status: ShipmentStatus; title: string; action: string }) {
  const [{ data, fetching, error }, refresh] = useQuery({ query: ShipmentsDocument, variables: { status, first: 20 }, requestPolicy: "cache-and-network", context: DEPENDS_ON_SHIPMENTS });
  const [advancing, advance] = useMutation(AdvanceShipmentDocument);
  const titleId = useId();
  const shipments = data?.shipments.edges.map((edge) => edge.node) ?? [];
  return (
    <section aria-labelledby={titleId} className="admin-section">
      <div className="section-head">
        <h2 id={titleId}>
          {title} {data ? <span className="muted">({data.shipments.totalCount})</span> : null}
        </h2>
        <button type="button" className="button button-secondary" onClick={() => refresh({ requestPolicy: "network-only" })} disabled={fetching}>
          Refresh
        </button>
      </div>
      <ErrorNotice errors={describeErrors(error ?? advancing.error)} />
      {!data && fetching ? <Loading what="shipments" /> : null}
      {data && shipments.length === 0 ? <EmptyState title="None right now." /> : null}
      {shipments.length > 0 ? (
        <table className="lines">
          <thead>
            <tr>
              <th scope="col">Order</th>
              <th scope="col">Customer</th>
              <th scope="col">Shipment</th>
              <th scope="col">Action</th>
            </tr>
          </thead>
          <tbody>
            {shipments.map((shipment) => (
              <tr key={shipment.id} data-order-id={shipment.order.id}>
                <th scope="row">
                  <a href={hrefFor({ page: "order", id: shipment.order.id })}>{shipment.order.id.slice(0, 8)}</a> <StatusBadge status={shipment.order.status} />
                </th>
                <td>{shipment.order.customer.name}</td>
                <td>
                  <StatusBadge status={shipment.status} /> {shipment.carrier} <code>{shipment.trackingNumber}</code>
                </td>
                <td>
                  <button type="button" className="button" disabled={advancing.fetching} onClick={() => advance({ shipmentId: shipment.id })} aria-label={`${action}: order ${shipment.order.id.slice(0, 8)}`}>
                    {action}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

/** Every product, by name, for the back office's pickers (the API's largest page). */
function useProducts() {
  const [{ data }] = useQuery({ query: BrowseProductsDocument, variables: { first: 100, sort: { field: "NAME", direction: "ASC" } } });
  return data?.products.edges.map((edge) => edge.node) ?? [];
}

function ProductPicker({ value, onChange }: { value: string; onChange(id: string): void }) {
  const products = useProducts();
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>Product</label>
      <select id={id} value={value} onChange={(event) => onChange(event.target.value)}>
        <option value="">Choose a product</option>
        {products.map((product) => (
          <option key={product.id} value={product.id}>
            {product.name} ({formatMoney(product.price)})
          </option>
        ))}
      </select>
    </div>
  );
}

function Restock() {
  const [productId, setProductId] = useState("");
  const [quantity, setQuantity] = useState("10");
  const [{ data: level }] = useQuery({ query: StockLevelDocument, variables: { productId }, pause: !productId, requestPolicy: "cache-and-network" });
  const [{ data, fetching, error }, restock] = useMutation(RestockDocument);
  const errors = describeErrors(error);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await restock({ productId, quantity: Number(quantity) });
  };
  return (
    <form onSubmit={submit} className="card" aria-labelledby="restock-title" noValidate>
      <h2 id="restock-title">Restock</h2>
      <ErrorNotice errors={errors} />
      <ProductPicker value={productId} onChange={setProductId} />
      {productId && level?.stockLevel ? (
        <p className="muted">
          On hand {level.stockLevel.onHand}, reserved {level.stockLevel.reserved}, available {level.stockLevel.available}
        </p>
      ) : null}
      <Field label="Units to add" type="number" min={1} max={1000} value={quantity} onChange={(event) => setQuantity(event.target.value)} error={errors.fields.quantity} />
      <button type="submit" className="button" disabled={fetching || !productId}>
        Restock
      </button>
      <p role="status">{data && !error ? `${data.restock.name}: ${data.restock.stock ?? "?"} in stock` : ""}</p>
    </form>
  );
}

function ChangePrice() {
  const products = useProducts();
  const [productId, setProductId] = useState("");
  const [price, setPrice] = useState("");
  const [{ data, fetching, error }, changePrice] = useMutation(ChangeProductPriceDocument);
  const [invalid, setInvalid] = useState<string | undefined>(undefined);
  const currency = products.find((product) => product.id === productId)?.price.currency ?? "USD";
  const errors = describeErrors(error);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const amount = parseAmount(price, currency);
    setInvalid(amount === undefined ? "Enter an amount such as 19.99" : undefined);
    if (amount !== undefined) await changePrice({ productId, price: { amount, currency } });
  };
  return (
    <form onSubmit={submit} className="card" aria-labelledby="price-title" noValidate>
      <h2 id="price-title">Change a price</h2>
      <ErrorNotice errors={errors} />
      <ProductPicker value={productId} onChange={setProductId} />
      <Field label={`New price (${currency})`} inputMode="decimal" value={price} onChange={(event) => setPrice(event.target.value)} error={invalid ?? errors.fields.amount} />
      <button type="submit" className="button" disabled={fetching || !productId}>
        Change price
      </button>
      <p role="status">{data && !error ? `New price: ${formatMoney(data.changeProductPrice.price)}` : ""}</p>
    </form>
  );
}

