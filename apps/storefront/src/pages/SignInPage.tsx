import { useState, type FormEvent } from "react";
import { useMutation } from "urql";
import { SignInDocument, SignUpDocument } from "@store/client";
import { useApp } from "../app.ts";
import { Field } from "../components/Field.tsx";
import { ErrorNotice } from "../components/Notices.tsx";
import { describeErrors } from "../errors.ts";
import { hrefFor, safeNext } from "../routes.ts";
import { sessionFrom } from "../session.ts";

export function SignInPage({ next }: { next: string }) {
  const { signedIn, navigate } = useApp();
  const [{ fetching, error }, signIn] = useMutation(SignInDocument);
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const errors = describeErrors(error);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await signIn({ input: { email: email.trim(), password } });
    if (result.data) {
      signedIn(sessionFrom(result.data.signIn));
      navigate(safeNext(next));
    }
  };
  return (
    <section className="narrow" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in</h1>
      <form onSubmit={submit} noValidate>
        <ErrorNotice errors={errors} />
        <Field label="Email" type="email" autoComplete="email" required value={email} onChange={(event) => setEmail(event.target.value)} error={errors.fields.email} />
        <Field label="Password" type="password" autoComplete="current-password" required value={password} onChange={(event) => setPassword(event.target.value)} error={errors.fields.password} />
        <button type="submit" className="button" disabled={fetching}>
          {fetching ? "Signing in…" : "Sign in"}
        </button>
      </form>
      <p>
        New here? <a href={hrefFor({ page: "sign-up", next })}>Create an account</a>
      </p>
    </section>
  );
}

export function SignUpPage({ next }: { next: string }) {
  const { signedIn, navigate } = useApp();
  const [{ fetching, error }, signUp] = useMutation(SignUpDocument);
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const errors = describeErrors(error);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await signUp({ input: { name: name.trim(), email: email.trim(), password } });
    if (result.data) {
      signedIn(sessionFrom(result.data.signUp));
      navigate(safeNext(next));
    }
  };
  return (
    <section className="narrow" aria-labelledby="sign-up-title">
      <h1 id="sign-up-title">Create an account</h1>
      <form onSubmit={submit} noValidate>
        <ErrorNotice errors={errors} />
        <Field label="Name" autoComplete="name" required value={name} onChange={(event) => setName(event.target.value)} error={errors.fields.name} />
        <Field label="Email" type="email" autoComplete="email" required value={email} onChange={(event) => setEmail(event.target.value)} error={errors.fields.email} />
        <Field
          label="Password"
          type="password"
          autoComplete="new-password"
          required
          hint="10 to 200 characters"
          value={password}
          onChange={(event) => setPassword(event.target.value)}
          error={errors.fields.password}
        />
        <button type="submit" className="button" disabled={fetching}>
          {fetching ? "Creating your account…" : "Create account"}
        </button>
      </form>
      <p>
        Have an account? <a href={hrefFor({ page: "sign-in", next })}>Sign in</a>
      </p>
    </section>
  );
}
