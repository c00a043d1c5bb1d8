import { useEffect, useId, useState, type FormEvent } from "react";
import { useQuery } from "urql";
import { BrowseProductsDocument, CategoriesDocument, type BrowseProductsQuery } from "@store/client";
import { useApp } from "../app.ts";
import { AddToCart } from "../components/AddToCart.tsx";
import { Money } from "../components/Money.tsx";
import { EmptyState, ErrorNotice, Loading, Unavailable } from "../components/Notices.tsx";
import { describeErrors, isMissing, onlyPartsMissing } from "../errors.ts";
import { hrefFor, SORTS, type BrowseQuery, type SortKey } from "../routes.ts";

const PAGE_SIZE = 12;

/** The catalogue: a category filter, a search, a sort, and pages added by "Show more" (cursor pagination). */
export function BrowsePage({ query }: { query: BrowseQuery }) {
  const { navigate } = useApp();
  const [{ data: categories }] = useQuery({ query: CategoriesDocument });
  const [search, setSearch] = useState(query.search);
  useEffect(() => setSearch(query.search), [query.search]);
  const go = (change: Partial<BrowseQuery>) => navigate(hrefFor({ page: "browse", ...query, ...change }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    go({ search: search.trim() });
  };
  const categoryId = useId();
  const sortId = useId();
  const searchId = useId();

  return (
    <section aria-labelledby="browse-title">
      <h1 id="browse-title">Shop</h1>
      <div className="filters">
        <form role="search" onSubmit={submit} className="search">
          <label htmlFor={searchId}>Search products</label>
          <div className="inline">
            <input id={searchId} type="search" value={search} onChange={(event) => setSearch(event.target.value)} placeholder="e.g. headphones" />
            <button type="submit" className="button">
              Search
            </button>
          </div>
        </form>
        <div className="field">
          <label htmlFor={categoryId}>Category</label>
          <select id={categoryId} value={query.category} onChange={(event) => go({ category: event.target.value })}>
            <option value="">All categories</option>
            {categories?.categories.map((category) => (
              <option key={category.id} value={category.slug}>
                {category.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={sortId}>Sort by</label>
          <select id={sortId} value={query.sort} onChange={(event) => go({ sort: event.target.value as SortKey })}>
            {Object.entries(SORTS).map(([key, { label }]) => (
              <option key={key} value={key}>
                {label}
              </option>
            ))}
          </select>
        </div>
      </div>
      {/* A new query starts again from its first page. */}
      <Results key={`${query.search}\n${query.category}\n${query.sort}`} query={query} />
    </section>
  );
}

function Results({ query }: { query: BrowseQuery }) {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  return (
    <div className="results">
      {cursors.map((after, index) => (
        <ResultsPage key={after ?? "first"} query={query} after={after} first={index === 0} last={index === cursors.length - 1} onMore={(cursor) => setCursors([...cursors, cursor])} />
      ))}
    </div>
  );
}

function ResultsPage({ query, after, first, last, onMore }: { query: BrowseQuery; after: string | null; first: boolean; last: boolean; onMore(cursor: string): void }) {
  const filter = { search: query.search || null, categorySlug: query.category || null };
  const [{ data, fetching, error }] = useQuery({ query: BrowseProductsDocument, variables: { filter, sort: SORTS[query.sort].sort, first: PAGE_SIZE, after } });
  const errors = describeErrors(error);
  if (!data?.products) {
    if (fetching) return <Loading what="products" />;
    return <ErrorNotice errors={errors} />;
  }
  const { products } = data;
  return (
    <>
      {first ? (
        <p className="result-count" role="status">
          {products.totalCount === 1 ? "1 product" : `${products.totalCount} products`}
          {query.search ? ` matching “${query.search}”` : ""}
        </p>
      ) : null}
      {onlyPartsMissing(errors) ? <p className="notice notice-partial">{errors.messages[0]}</p> : <ErrorNotice errors={errors} />}
      {first && products.edges.length === 0 ? (
        <EmptyState title="No products match.">
          <p>
            Try another search or <a href="#/">see everything</a>.
          </p>
        </EmptyState>
      ) : (
        <ul className="product-grid" aria-label={first ? "Products" : "More products"}>
          {products.edges.map((edge, index) => (
            <ProductCard key={edge.node.id} product={edge.node} stockMissing={isMissing(errors, ["products", "edges", index, "node", "inStock"], "inventory")} />
          ))}
        </ul>
      )}
      {last && products.pageInfo.hasNextPage && products.pageInfo.endCursor ? (
        <button type="button" className="button button-secondary more" onClick={() => onMore(products.pageInfo.endCursor!)} disabled={fetching}>
          Show more products
        </button>
      ) : null}
    </>
  );
}

type ProductNode = BrowseProductsQuery["products"]["edges"][number]["node"];

function ProductCard({ product, stockMissing }: { product: ProductNode; stockMissing: boolean }) {
  return (
    <li className="card product-card" data-product-id={product.id}>
      <h2 className="card-title">
        <a href={hrefFor({ page: "product", id: product.id })}>{product.name}</a>
      </h2>
      <p className="muted">{product.category.name}</p>
      <p className="price">
        <Money value={product.price} />
      </p>
      <StockText inStock={product.inStock} missing={stockMissing} />
      <AddToCart productId={product.id} productName={product.name} disabled={product.inStock === false} />
    </li>
  );
}

/** In stock, out of stock, or unknown because inventory did not answer. */
export function StockText({ inStock, missing, stock }: { inStock: boolean | null; missing: boolean; stock?: number | null }) {
  if (inStock === null || (missing && stock == null)) return <p className="stock"><Unavailable what="Stock" /></p>;
  if (!inStock) return <p className="stock stock-out">Out of stock</p>;
  return <p className="stock stock-in">{stock == null ? "In stock" : `${stock} in stock`}</p>;
}

