import { useState } from "react";
import { useMutation } from "urql";
import { AddToCartDocument } from "@store/client";
import { useApp } from "../app.ts";
import { describeErrors } from "../errors.ts";
import { hrefFor } from "../routes.ts";
import { ErrorNotice } from "./Notices.tsx";

/** Adds a product to the cart; signed out, it offers to sign in and come back. */
export function AddToCart({ productId, productName, quantity = 1, disabled = false }: { productId: string; productName: string; quantity?: number; disabled?: boolean }) {
  const { session } = useApp();
  const [{ fetching, error }, addToCart] = useMutation(AddToCartDocument);
  const [added, setAdded] = useState(false);
  if (!session) {
    return (
      <a className="button button-secondary" href={hrefFor({ page: "sign-in", next: window.location.hash || "#/" })}>
        Sign in to buy
      </a>
    );
  }
  const add = async () => {
    setAdded(false);
    const result = await addToCart({ productId, quantity });
    setAdded(!result.error);
  };
  return (
    <div className="add-to-cart">
      {/* The product's name is heard, not seen: the card already shows it, and the visible words start the accessible name. */}
      <button type="button" className="button" disabled={disabled || fetching} onClick={add}>
        {fetching ? "Adding…" : disabled ? "Out of stock" : "Add to cart"}
        <span className="visually-hidden">: {productName}</span>
      </button>
      <span role="status" className="added">
        {added ? "Added to your cart" : ""}
      </span>
      <ErrorNotice errors={error ? describeErrors(error) : undefined} />
    </div>
  );
}
