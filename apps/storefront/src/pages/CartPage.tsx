import { useMutation, useQuery } from "urql";
import { ChangeCartLineQuantityDocument, MyCartDocument, RemoveCartLineDocument, type MyCartQuery } from "@store/client";
import { Money } from "../components/Money.tsx";
import { EmptyState, ErrorNotice, Loading, Unavailable } from "../components/Notices.tsx";
import { RequireSignIn } from "../components/RequireSignIn.tsx";
import { describeErrors, onlyPartsMissing } from "../errors.ts";
import { hrefFor } from "../routes.ts";
import { DEPENDS_ON_CART } from "../cacheHints.ts";

export function CartPage() {
  return (
    <RequireSignIn title="Your cart">
      <Cart />
    </RequireSignIn>
  );
}

type CartLine = NonNullable<MyCartQuery["myCart"]>["lines"][number];

function Cart() {
  const [{ data, fetching, error }] = useQuery({ query: MyCartDocument, requestPolicy: "cache-and-network", context: DEPENDS_ON_CART });
  const [change, changeQuantity] = useMutation(ChangeCartLineQuantityDocument);
  const [removal, removeLine] = useMutation(RemoveCartLineDocument);
  const errors = describeErrors(error ?? change.error ?? removal.error);
  const cart = data?.myCart;
  const busy = change.fetching || removal.fetching;
  if (!data) return fetching ? <Loading what="your cart" /> : <ErrorNotice errors={errors} />;
  return (
    <section aria-labelledby="cart-title">
      <h1 id="cart-title">Your cart</h1>
      {onlyPartsMissing(errors) ? <p className="notice notice-partial">{errors.messages[0]}</p> : <ErrorNotice errors={errors} />}
      {!cart || cart.lines.length === 0 ? (
        <EmptyState title="Your cart is empty.">
          <p>
            <a href="#/">Find something in the shop</a>
          </p>
        </EmptyState>
      ) : (
        <>
          <table className="lines">
            <caption className="visually-hidden">Products in your cart</caption>
            <thead>
              <tr>
                <th scope="col">Product</th>
                <th scope="col">Price</th>
                <th scope="col">Quantity</th>
                <th scope="col">Total</th>
              </tr>
            </thead>
            <tbody>
              {cart.lines.map((line) => (
                <Line key={line.id} line={line} busy={busy} onQuantity={(quantity) => changeQuantity({ lineId: line.id, quantity })} onRemove={() => removeLine({ lineId: line.id })} />
              ))}
            </tbody>
          </table>
          <p className="subtotal" data-testid="subtotal">
            Subtotal ({cart.itemCount} {cart.itemCount === 1 ? "item" : "items"}): <Money value={cart.subtotal} />
          </p>
          <a className="button" href={hrefFor({ page: "checkout" })}>
            Go to checkout
          </a>
        </>
      )}
    </section>
  );
}

function Line({ line, busy, onQuantity, onRemove }: { line: CartLine; busy: boolean; onQuantity(quantity: number): void; onRemove(): void }) {
  const name = line.product.name;
  return (
    <tr data-line-id={line.id}>
      <th scope="row">
        <a href={hrefFor({ page: "product", id: line.product.id })}>{name}</a>
        {line.product.inStock === null ? (
          <small>
            {" "}
            <Unavailable what="Stock" />
          </small>
        ) : line.product.stock !== null && line.product.stock < line.quantity ? (
          <small className="field-error"> Only {line.product.stock} left</small>
        ) : null}
      </th>
      <td>
        <Money value={line.unitPrice} />
      </td>
      <td>
        <div className="stepper" role="group" aria-label={`Quantity of ${name}`}>
          <button type="button" onClick={() => (line.quantity > 1 ? onQuantity(line.quantity - 1) : onRemove())} disabled={busy} aria-label={`One fewer ${name}`}>
            −
          </button>
          <output aria-live="polite" data-testid="quantity">
            {line.quantity}
          </output>
          <button type="button" onClick={() => onQuantity(line.quantity + 1)} disabled={busy} aria-label={`One more ${name}`}>
            +
          </button>
        </div>
        <button type="button" className="link-button" onClick={onRemove} disabled={busy} aria-label={`Remove ${name}`}>
          Remove
        </button>
      </td>
      <td>
        <Money value={line.lineTotal} />
      </td>
    </tr>
  );
}
