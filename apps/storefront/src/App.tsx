import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from "react";
import { Provider, useQuery } from "urql";
import { MyCartDocument } from "@store/client";
import { AppContext, useApp, type AppState } from "./app.ts";
import { createStoreClient, type Endpoint, type StoreClient } from "./client.ts";
import { parseRoute, type Route } from "./routes.ts";
import type { Session } from "./session.ts";
import { AdminPage } from "./pages/AdminPage.tsx";
import { BrowsePage } from "./pages/BrowsePage.tsx";
import { CartPage } from "./pages/CartPage.tsx";
import { CheckoutPage } from "./pages/CheckoutPage.tsx";
import { OrderPage } from "./pages/OrderPage.tsx";
import { OrdersPage } from "./pages/OrdersPage.tsx";
import { ProductPage } from "./pages/ProductPage.tsx";
import { SignInPage, SignUpPage } from "./pages/SignInPage.tsx";
import { DEPENDS_ON_CART } from "./cacheHints.ts";

const subscribeToHash = (onChange: () => void) => {
  window.addEventListener("hashchange", onChange);
  return () => window.removeEventListener("hashchange", onChange);
};

function useHash(): string {
  return useSyncExternalStore(subscribeToHash, () => window.location.hash);
}

export function App({ endpoint }: { endpoint: Endpoint }) {
  const [session, setSession] = useState<Session | undefined>(undefined);
  const store = useMemo(() => createStoreClient(endpoint, session?.token), [endpoint, session?.token]);
  // The previous session's socket closes once its successor is in use (not in
  // an effect's cleanup: StrictMode runs those while the client is still live).
  const previous = useRef<StoreClient | undefined>(undefined);
  useEffect(() => {
    if (previous.current && previous.current !== store) previous.current.dispose();
    previous.current = store;
  }, [store]);

  const navigate = useCallback((href: string) => {
    window.location.hash = href.replace(/^#/, "");
  }, []);
  const app = useMemo<AppState>(
    () => ({
      session,
      signedIn: setSession,
      signOut: () => {
        setSession(undefined);
        navigate("#/");
      },
      navigate,
    }),
    [session, navigate],
  );

  return (
    <AppContext.Provider value={app}>
      <Provider value={store.client}>
        <Shell />
      </Provider>
    </AppContext.Provider>
  );
}

function Shell() {
  const route = parseRoute(useHash());
  const main = useRef<HTMLElement>(null);
  const firstRender = useRef(true);
  // A new page moves the keyboard focus to it, as a page load would.
  useEffect(() => {
    if (firstRender.current) firstRender.current = false;
    else main.current?.focus();
  }, [route.page]);
  return (
    <>
      <a className="skip-link" href="#main" onClick={(event) => (event.preventDefault(), main.current?.focus())}>
        Skip to content
      </a>
      <Header route={route} />
      <main id="main" ref={main} tabIndex={-1}>
        <Page route={route} />
      </main>
      <footer className="footer">
        <p>Reference storefront of the store platform. Test cards: tok_visa (succeeds), tok_declined (declined), tok_flaky (fails once).</p>
      </footer>
    </>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case "browse":
      return <BrowsePage query={route} />;
    case "product":
      return <ProductPage id={route.id} />;
    case "cart":
      return <CartPage />;
    case "checkout":
      return <CheckoutPage />;
    case "orders":
      return <OrdersPage />;
    case "order":
      return <OrderPage id={route.id} />;
    case "sign-in":
      return <SignInPage next={route.next} />;
    case "sign-up":
      return <SignUpPage next={route.next} />;
    case "admin":
      return <AdminPage />;
    case "not-found":
      return (
        <section>
          <h1>Page not found</h1>
          <p>
            Nothing lives at “{route.path}”. <a href="#/">Back to the shop</a>
          </p>
        </section>
      );
  }
}

function Header({ route }: { route: Route }) {
  const { session, signOut } = useApp();
  const current = (page: Route["page"]) => (route.page === page ? "page" : undefined);
  return (
    <header className="header">
      <a className="brand" href="#/">
        Store
      </a>
      <nav aria-label="Main">
        <ul>
          <li>
            <a href="#/" aria-current={current("browse")}>
              Shop
            </a>
          </li>
          {session ? (
            <>
              <li>
                <CartLink current={current("cart")} />
              </li>
              <li>
                <a href="#/orders" aria-current={current("orders")}>
                  My orders
                </a>
              </li>
              {session.user.role === "ADMIN" ? (
                <li>
                  <a href="#/admin" aria-current={current("admin")}>
                    Back office
                  </a>
                </li>
              ) : null}
              <li className="who">
                <span>{session.user.name}</span>
                <button type="button" className="link-button" onClick={signOut}>
                  Sign out
                </button>
              </li>
            </>
          ) : (
            <>
              <li>
                <a href="#/sign-in" aria-current={current("sign-in")}>
                  Sign in
                </a>
              </li>
              <li>
                <a href="#/sign-up" aria-current={current("sign-up")}>
                  Create account
                </a>
              </li>
            </>
          )}
        </ul>
      </nav>
    </header>
  );
}

function CartLink({ current }: { current: "page" | undefined }) {
  const [{ data }] = useQuery({ query: MyCartDocument, context: DEPENDS_ON_CART });
  const count = data?.myCart?.itemCount ?? 0;
  return (
    <a href="#/cart" aria-current={current}>
      Cart <span className="count" data-testid="cart-count">{count}</span>
      <span className="visually-hidden"> {count === 1 ? "item" : "items"}</span>
    </a>
  );
}
