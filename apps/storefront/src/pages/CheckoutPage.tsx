import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { AddAddressDocument, MeDocument, MyCartDocument, PlaceOrderDocument, type AddressInput } from "@store/client";
import { useApp } from "../app.ts";
import { Field } from "../components/Field.tsx";
import { Money } from "../components/Money.tsx";
import { EmptyState, ErrorNotice, Loading } from "../components/Notices.tsx";
import { RequireSignIn } from "../components/RequireSignIn.tsx";
import { describeErrors } from "../errors.ts";
import { hrefFor } from "../routes.ts";
import { DEPENDS_ON_ADDRESSES, DEPENDS_ON_CART } from "../cacheHints.ts";

/** The platform's test payment tokens (README "Test payment tokens"), as a card form would produce them. */
export const TEST_CARDS = [
  { token: "tok_visa", label: "Visa ending 4242 (succeeds)" },
  { token: "tok_declined", label: "Card that is declined" },
  { token: "tok_flaky", label: "Card that fails once, then succeeds" },
] as const;

export function CheckoutPage() {
  return (
    <RequireSignIn title="Checkout">
      <Checkout />
    </RequireSignIn>
  );
}

function Checkout() {
  const { navigate } = useApp();
  const [{ data: cartData, fetching: cartLoading, error: cartError }] = useQuery({ query: MyCartDocument, requestPolicy: "cache-and-network", context: DEPENDS_ON_CART });
  const [{ data: meData, error: meError }] = useQuery({ query: MeDocument, requestPolicy: "cache-and-network", context: DEPENDS_ON_ADDRESSES });
  const [placing, placeOrder] = useMutation(PlaceOrderDocument);
  const [addressId, setAddressId] = useState<string | undefined>(undefined);
  const [paymentToken, setPaymentToken] = useState<string>(TEST_CARDS[0].token);
  const cart = cartData?.myCart;
  const addresses = meData?.me?.addresses ?? [];
  const chosenAddress = addressId ?? addresses[0]?.id;

  if (!cartData) return cartLoading ? <Loading what="your cart" /> : <ErrorNotice errors={describeErrors(cartError)} />;
  if (!cart || cart.lines.length === 0) {
    return (
      <section>
        <h1>Checkout</h1>
        <EmptyState title="Your cart is empty.">
          <p>
            <a href="#/">Find something in the shop</a>
          </p>
        </EmptyState>
      </section>
    );
  }
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await placeOrder({
      input: { cartId: cart.id, lines: cart.lines.map((line) => ({ productId: line.product.id, quantity: line.quantity })), paymentToken, shippingAddressId: chosenAddress ?? null },
    });
    if (result.data) navigate(hrefFor({ page: "order", id: result.data.placeOrder.id }));
  };
  return (
    <section aria-labelledby="checkout-title">
      <h1 id="checkout-title">Checkout</h1>
      <div className="columns">
        <div>
          <h2>Shipping address</h2>
          <ErrorNotice errors={describeErrors(meError)} />
          {addresses.length > 0 ? (
            <fieldset>
              <legend>Ship to</legend>
              {addresses.map((address) => (
                <label key={address.id} className="choice">
                  <input type="radio" name="address" value={address.id} checked={chosenAddress === address.id} onChange={() => setAddressId(address.id)} />
                  <span>
                    <strong>{address.label}</strong>: {address.line1}
                    {address.line2 ? `, ${address.line2}` : ""}, {address.postalCode} {address.city}, {address.country}
                  </span>
                </label>
              ))}
            </fieldset>
          ) : (
            <p>You have no saved address yet: add one below.</p>
          )}
          <NewAddress onAdded={setAddressId} />
        </div>
        <form onSubmit={submit} aria-labelledby="payment-title">
          <h2 id="payment-title">Payment</h2>
          <fieldset>
            <legend>Test card</legend>
            {TEST_CARDS.map((card) => (
              <label key={card.token} className="choice">
                <input type="radio" name="card" value={card.token} checked={paymentToken === card.token} onChange={() => setPaymentToken(card.token)} />
                <span>
                  {card.label} <code>{card.token}</code>
                </span>
              </label>
            ))}
          </fieldset>
          <h2>Summary</h2>
          <ul className="summary">
            {cart.lines.map((line) => (
              <li key={line.id}>
                {line.quantity} × {line.product.name} <Money value={line.lineTotal} />
              </li>
            ))}
          </ul>
          <p className="subtotal">
            Total: <Money value={cart.subtotal} />
          </p>
          <ErrorNotice errors={describeErrors(placing.error)} />
          <button type="submit" className="button" disabled={placing.fetching || !chosenAddress}>
            {placing.fetching ? "Placing your order…" : "Place order"}
          </button>
          {!chosenAddress ? <p className="hint">Add a shipping address first.</p> : null}
        </form>
      </div>
    </section>
  );
}

const EMPTY_ADDRESS: AddressInput = { label: "Home", line1: "", line2: "", city: "", postalCode: "", country: "US" };

function NewAddress({ onAdded }: { onAdded(id: string): void }) {
  const [{ fetching, error }, addAddress] = useMutation(AddAddressDocument);
  const [address, setAddress] = useState<AddressInput>(EMPTY_ADDRESS);
  const errors = describeErrors(error);
  const set = (field: keyof AddressInput) => (event: { target: { value: string } }) => setAddress({ ...address, [field]: event.target.value });
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await addAddress({ input: { ...address, line2: address.line2 || null, country: (address.country ?? "").trim().toUpperCase() } });
    if (result.data) {
      onAdded(result.data.addAddress.id);
      setAddress(EMPTY_ADDRESS);
    }
  };
  return (
    <form onSubmit={submit} aria-labelledby="new-address-title" className="card" noValidate>
      <h3 id="new-address-title">New address</h3>
      <ErrorNotice errors={errors} />
      <Field label="Label" value={address.label} onChange={set("label")} error={errors.fields.label} />
      <Field label="Street and number" autoComplete="address-line1" value={address.line1} onChange={set("line1")} error={errors.fields.line1} />
      <Field label="Apartment, floor (optional)" autoComplete="address-line2" value={address.line2 ?? ""} onChange={set("line2")} error={errors.fields.line2} />
      <Field label="City" autoComplete="address-level2" value={address.city} onChange={set("city")} error={errors.fields.city} />
      <Field label="Postal code" autoComplete="postal-code" value={address.postalCode} onChange={set("postalCode")} error={errors.fields.postalCode} />
      <Field label="Country code" autoComplete="country" hint="Two letters, e.g. US" value={address.country} onChange={set("country")} error={errors.fields.country} />
      <button type="submit" className="button button-secondary" disabled={fetching}>
        {fetching ? "Saving…" : "Save address"}
      </button>
    </form>
  );
}
