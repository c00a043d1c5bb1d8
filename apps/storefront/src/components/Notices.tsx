import type { ReactNode } from "react";
import type { UserErrors } from "../errors.ts";

/** Messages for what went wrong; an alert, so a screen reader says it at once. */
export function ErrorNotice({ errors }: { errors: UserErrors | undefined }) {
  if (!errors || errors.messages.length === 0) return null;
  return (
    <div className="notice notice-error" role="alert" data-codes={errors.codes.join(" ")}>
      {errors.messages.length === 1 ? <p>{errors.messages[0]}</p> : <ul>{errors.messages.map((message) => <li key={message}>{message}</li>)}</ul>}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty-title">{title}</p>
      {children}
    </div>
  );
}

/** In place of a part of the page whose data did not arrive (a subgraph down): the rest still shows. */
export function Unavailable({ what }: { what: string }) {
  return (
    <span className="unavailable" data-unavailable={what}>
      {what} unavailable right now
    </span>
  );
}

/** A status as a badge; the text is the status, the colour only repeats it. */
export function StatusBadge({ status }: { status: string }) {
  return (
    <span className={`badge badge-${status.toLowerCase()}`} data-status={status}>
      {status.replaceAll("_", " ").toLowerCase()}
    </span>
  );
}
