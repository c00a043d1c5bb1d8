import { useState } from "react";
import { useQuery, useSubscription } from "urql";
import { ProductDetailsDocument, StockChangedDocument } from "@store/client";
import { AddToCart } from "../components/AddToCart.tsx";
import { Field } from "../components/Field.tsx";
import { Money } from "../components/Money.tsx";
import { ErrorNotice, Loading } from "../components/Notices.tsx";
import { describeErrors, isMissing, onlyPartsMissing } from "../errors.ts";
import { StockText } from "./BrowsePage.tsx";

/** One product, with its stock kept current by `stockChanged` while the page is open. */
export function ProductPage({ id }: { id: string }) {
  const [{ data, fetching, error }] = useQuery({ query: ProductDetailsDocument, variables: { id } });
  const [{ data: live }] = useSubscription({ query: StockChangedDocument, variables: { productId: id } });
  const [quantity, setQuantity] = useState("1");
  const errors = describeErrors(error);
  if (!data) return fetching ? <Loading what="the product" /> : <ErrorNotice errors={errors} />;
  const product = data.product;
  if (!product) {
    return (
      <section>
        <h1>Product not found</h1>
        <p>
          It may have been removed. <a href="#/">Back to the shop</a>
        </p>
      </section>
    );
  }
  // The latest event wins over the page's first answer.
  const stock = live?.stockChanged.id === product.id ? live.stockChanged : product;
  const wanted = Number(quantity);
  const validQuantity = Number.isInteger(wanted) && wanted >= 1 && wanted <= 1000;
  return (
    <article className="product" aria-labelledby="product-title">
      <p className="breadcrumb">
        <a href="#/">Shop</a> / <a href={`#/?category=${encodeURIComponent(product.category.slug)}`}>{product.category.name}</a>
      </p>
      <h1 id="product-title">{product.name}</h1>
      {onlyPartsMissing(errors) ? <p className="notice notice-partial">{errors.messages[0]}</p> : <ErrorNotice errors={errors} />}
      <p className="price price-large">
        <Money value={product.price} />
      </p>
      <p>{product.description}</p>
      <p className="muted">SKU {product.sku}</p>
      <div aria-live="polite" data-testid="live-stock">
        <StockText inStock={stock.inStock} stock={stock.stock} missing={isMissing(errors, ["product", "stock"], "inventory")} />
      </div>
      <div className="buy">
        <Field label="Quantity" type="number" min={1} max={1000} inputMode="numeric" value={quantity} onChange={(event) => setQuantity(event.target.value)} error={validQuantity ? undefined : "Enter a whole number from 1 to 1000"} />
        <AddToCart productId={product.id} productName={product.name} quantity={validQuantity ? wanted : 1} disabled={stock.inStock === false || !validQuantity} />
      </div>
    </article>
  );
}
