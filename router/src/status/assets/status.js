// The router's status page: polls status/data every 2 s and redraws. Plain
// DOM calls (text goes in as text, never as markup), no framework, nothing
// loaded from anywhere but the router. Shapes: router/src/status/StatusData.ts.
"use strict";

const REFRESH_MS = 2000;
const params = new URLSearchParams(location.search);
// With METRICS_TOKEN set, the page is opened as status?token=...: the data needs it too.
const token = params.get("token");
const headers = token ? { authorization: `Bearer ${token}` } : {};

const $ = (id) => document.getElementById(id);

/** An element with attributes/properties and children (strings become text nodes). */
function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("data-") || key.startsWith("aria-") || key === "scope" || key === "colspan") node.setAttribute(key, String(value));
    else node[key] = value;
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

const ms = (value) => (value === null || value === undefined ? "–" : value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`);
/** A figure the subgraph could not read in time comes as null. */
const count = (value) => (value === null || value === undefined ? "?" : value);
const percent = (value) => `${(value * 100).toFixed(value > 0 && value < 0.01 ? 2 : 1)}%`;
const time = (iso) => new Date(iso).toLocaleTimeString([], { hour12: false });
const badge = (status) => el("span", { class: `badge ${status}` }, status);
const emptyRow = (columns, text) => el("tr", {}, el("td", { class: "empty", colspan: columns }, text));

async function getJson(path) {
  const response = await fetch(path, { headers, cache: "no-store" });
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new Error(body?.errors?.[0]?.message ?? `HTTP ${response.status}`);
  return body;
}

/** Sets text only when it changes: the summary is aria-live, and a screen reader must hear changes, not every refresh. */
function announce(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

function renderServices(subgraphs) {
  const list = $("services");
  list.replaceChildren(
    ...subgraphs.map((s) =>
      el(
        "li",
        { class: `service ${s.status}`, "data-service": s.name, "data-status": s.status },
        el("h3", {}, s.name, badge(s.status)),
        el("div", { class: "meta" }, `router → ${s.name}: ${ms(s.latencyMs)}`, s.uptimeSeconds !== undefined ? ` · up ${uptime(s.uptimeSeconds)}` : ""),
        s.dependencies.length
          ? el(
              "ul",
              { "aria-label": `${s.name} dependencies` },
              s.dependencies.map((d) => el("li", {}, el("span", {}, d.kind ? `${d.name} (${d.kind})` : d.name), el("span", {}, ms(d.latencyMs), " ", badge(d.status)))),
            )
          : null,
        ...s.dependencies.filter((d) => d.error).map((d) => el("p", { class: "error" }, `${d.name}: ${d.error}`)),
        s.error ? el("p", { class: "error" }, s.error) : null,
      ),
    ),
  );
  if (subgraphs.length === 0) list.replaceChildren(el("li", { class: "muted" }, "No supergraph loaded yet."));
}

function uptime(seconds) {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}

function renderOperations({ windowSeconds, rows }) {
  $("operations-note").textContent =
    windowSeconds === null ? "Rates appear from the second refresh." : `Over the last ${Math.round(windowSeconds)} s, from the router's own metrics.`;
  const body = $("operations").tBodies[0];
  body.replaceChildren(
    ...(rows.length
      ? rows.map((r) =>
          el(
            "tr",
            {},
            el("td", {}, r.operationType),
            el("td", {}, r.operationName ?? el("span", { class: "muted" }, "(unnamed)")),
            el("td", { class: "num" }, r.requests),
            el("td", { class: "num" }, `${r.ratePerSecond.toFixed(2)}/s`),
            el("td", { class: r.errorRate > 0 ? "num warn" : "num" }, percent(r.errorRate)),
            el("td", { class: "num" }, ms(r.meanMs)),
            el("td", { class: "num" }, ms(r.p95Ms)),
          ),
        )
      : [emptyRow(7, "No operations in this window.")]),
  );
}

function renderEvents(events, subgraphs) {
  const body = $("events").tBodies[0];
  const rows = [];
  for (const service of events) {
    const consumers = service.consumers.length ? service.consumers : [null];
    consumers.forEach((consumer, i) => {
      rows.push(
        el(
          "tr",
          {},
          i === 0 ? el("th", { scope: "row" }, service.service) : el("td", {}),
          el("td", { class: service.outboxPending > 0 && i === 0 ? "num warn" : "num" }, i === 0 ? count(service.outboxPending) : ""),
          el("td", { class: service.deadLetters > 0 && i === 0 ? "num warn" : "num" }, i === 0 ? service.deadLetters : ""),
          el("td", {}, consumer ? consumer.name : el("span", { class: "muted" }, "no consumers")),
          el("td", { class: consumer && consumer.lag > 0 ? "num warn" : "num" }, consumer ? count(consumer.lag) : ""),
        ),
      );
    });
  }
  const silent = subgraphs.filter((s) => !events.some((e) => e.service === s.name)).map((s) => s.name);
  if (silent.length) rows.push(el("tr", {}, el("td", { class: "empty", colspan: 5 }, `No event figures from ${silent.join(", ")}.`)));
  body.replaceChildren(...(rows.length ? rows : [emptyRow(5, "No event figures.")]));
}

const services = new Map();
/** One bar colour per service, stable for the page's life. */
const serviceClass = (name) => {
  if (!services.has(name)) services.set(name, `s${services.size % 8}`);
  return services.get(name);
};

function waterfall(w) {
  const total = w.totalMs || 1;
  return el(
    "ol",
    { class: "waterfall", "aria-label": "spans of this trace" },
    w.spans.map((s) => {
      const bar = el("span", { class: `bar ${serviceClass(s.service)}${s.status === "error" ? " error" : ""}` });
      bar.style.setProperty("left", `${(s.offsetMs / total) * 100}%`);
      bar.style.setProperty("width", `${Math.max((s.durationMs / total) * 100, 0.2)}%`);
      const label = el("span", { class: "label", title: s.detail ? `${s.name} (${s.detail})` : s.name }, el("span", { class: "svc" }, `${s.service} `), s.name);
      label.style.setProperty("padding-left", `${s.depth * 0.8}rem`);
      return el("li", { "data-span": s.spanId }, label, el("span", { class: "track", "aria-hidden": "true" }, bar), el("span", { class: "ms" }, `+${ms(s.offsetMs)}`, " ", ms(s.durationMs)));
    }),
    w.omitted ? el("li", { class: "muted" }, `${w.omitted} more spans not shown`) : null,
  );
}

const openTraces = new Set();
let lastSlow = "";

function renderTraces(traces) {
  const note = $("slow-note");
  const list = $("slow");
  if (!traces.kept) {
    note.textContent = `${traces.message[0].toUpperCase()}${traces.message.slice(1)}: slow operations and saga timelines need the in-memory span store (npm start).`;
    list.replaceChildren();
    return;
  }
  note.textContent = `The slowest operations of the last ${traces.windowMinutes} minutes, each with every span of its trace (events included). Open one for its waterfall.`;
  // Redrawn only when it changed: an open waterfall and keyboard focus stay put.
  const key = JSON.stringify(traces.slowest.map((s) => [s.traceId, s.durationMs, s.waterfall.spans.length]));
  if (key === lastSlow) return;
  lastSlow = key;
  const focused = document.activeElement?.closest?.("[data-trace]")?.getAttribute("data-trace");
  list.replaceChildren(
    ...(traces.slowest.length
      ? traces.slowest.map((op) => {
          const details = el(
            "details",
            { open: openTraces.has(op.traceId) },
            el(
              "summary",
              { "data-trace": op.traceId },
              el("span", { class: "name" }, `${op.operationType ?? "operation"} ${op.operationName ?? "(unnamed)"}`),
              el("span", { class: "meta" }, `${time(op.startedAt)} · ${op.waterfall.spans.length} spans`),
              op.status === "error" ? badge("error") : null,
              el("span", { class: "ms" }, ms(op.durationMs)),
            ),
            waterfall(op.waterfall),
          );
          details.addEventListener("toggle", () => (details.open ? openTraces.add(op.traceId) : openTraces.delete(op.traceId)));
          return el("li", {}, details);
        })
      : [el("li", { class: "muted" }, "No operations in this window.")]),
  );
  if (focused) list.querySelector(`[data-trace="${CSS.escape(focused)}"]`)?.focus();
}

let orderId = params.get("order");
let lastSaga = "";

function renderSaga(answer) {
  const target = $("saga");
  const key = JSON.stringify(answer);
  if (key === lastSaga) return;
  lastSaga = key;
  if (!answer.kept) {
    target.replaceChildren(el("p", { class: "muted" }, `${answer.message[0].toUpperCase()}${answer.message.slice(1)}.`));
    return;
  }
  if (answer.events.length === 0) {
    target.replaceChildren(el("p", { class: "muted" }, `No event of order ${answer.orderId} is in the span store (yet).`));
    return;
  }
  const start = Date.parse(answer.events[0].at);
  const offset = (iso) => `+${ms(Date.parse(iso) - start)}`;
  target.replaceChildren(
    el("h3", {}, `Order ${answer.orderId}`),
    el("ol", { class: "statuses", id: "saga-statuses", "aria-label": "statuses reached" }, answer.statuses.map((s) => el("li", { class: s.status, "data-status": s.status, title: `${s.event} at ${time(s.at)}` }, s.status))),
    el(
      "table",
      { id: "saga-events" },
      el("caption", { class: "muted" }, `${answer.events.length} events from ${time(answer.events[0].at)}`),
      el("thead", {}, el("tr", {}, ["When", "Event", "Published by", "Handled by (delivery, handler, outcome)"].map((h) => el("th", { scope: "col" }, h)))),
      el(
        "tbody",
        {},
        answer.events.map((e) =>
          el(
            "tr",
            { "data-event": e.type },
            el("td", { class: "num", title: e.at }, offset(e.at)),
            el("th", { scope: "row" }, e.type),
            el("td", {}, e.publishedBy ?? el("span", { class: "muted" }, "not kept")),
            el(
              "td",
              {},
              e.handlers.length
                ? el(
                    "ul",
                    { class: "handlers" },
                    e.handlers.map((h) =>
                      el("li", {}, el("span", {}, h.consumer), el("span", { class: "meta" }, `${offset(h.startedAt)} · ${ms(h.durationMs)}`, h.handlerMs !== null ? ` (handler ${ms(h.handlerMs)})` : ""), badge(h.outcome), h.error ? el("span", { class: "error" }, h.error) : null),
                    ),
                  )
                : el("span", { class: "muted" }, "no durable consumer (or none kept)"),
            ),
          ),
        ),
      ),
    ),
  );
}

async function refresh() {
  try {
    const [data, saga] = await Promise.all([getJson("status/data"), orderId ? getJson(`status/data?order=${encodeURIComponent(orderId)}`) : null]);
    renderServices(data.subgraphs);
    renderOperations(data.operations);
    renderEvents(data.events, data.subgraphs);
    renderTraces(data.traces);
    if (saga) renderSaga(saga);
    const down = data.subgraphs.filter((s) => s.status !== "up");
    const up = data.subgraphs.length - down.length;
    announce($("summary"), down.length === 0 ? `All ${data.subgraphs.length} services up` : `${up} of ${data.subgraphs.length} services up; ${down.map((s) => `${s.name} ${s.status}`).join(", ")}`);
    $("updated").textContent = `Updated ${time(data.generatedAt)}; refreshes every 2 seconds.`;
  } catch (error) {
    announce($("summary"), `The router's status could not be read: ${error.message}`);
  } finally {
    setTimeout(refresh, REFRESH_MS);
  }
}

$("saga-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const value = $("order-id").value.trim();
  if (!value) return;
  orderId = value;
  lastSaga = "";
  $("saga").replaceChildren(el("p", { class: "muted" }, "Looking up…"));
  const url = new URL(location.href);
  url.searchParams.set("order", value);
  history.replaceState(null, "", url);
  getJson(`status/data?order=${encodeURIComponent(value)}`).then(renderSaga, (error) => $("saga").replaceChildren(el("p", { class: "error" }, error.message)));
});
if (orderId) $("order-id").value = orderId;

refresh();
