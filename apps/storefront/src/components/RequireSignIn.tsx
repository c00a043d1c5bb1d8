import type { ReactNode } from "react";
import { useApp } from "../app.ts";
import { hrefFor } from "../routes.ts";

/** A page for signed-in users: signed out, it says so and links to sign in and come back. */
export function RequireSignIn({ title, children }: { title: string; children: ReactNode }) {
  const { session } = useApp();
  if (session) return <>{children}</>;
  const next = window.location.hash || "#/";
  return (
    <section className="narrow">
      <h1>{title}</h1>
      <p>
        Please <a href={hrefFor({ page: "sign-in", next })}>sign in</a> or <a href={hrefFor({ page: "sign-up", next })}>create an account</a> to see this page.
      </p>
    </section>
  );
}
