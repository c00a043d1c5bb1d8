// Child of bench/subscriptions.mjs: many graphql-ws (graphql-transport-ws)
// subscribers in one process, on raw `ws` sockets (one socket, one
// subscription each). Driven over IPC by the parent:
//
//   { cmd: "connect", url, query, productIds, subscribers, inFlight }  -> { type: "connected", ... }
//   { cmd: "taps", url, secret, query, productIds }                      -> { type: "taps", ok }
//   { cmd: "missing", keys: { [productId]: stock } }                     -> { type: "missing", byProduct, taps }
//   { cmd: "count", keys: [ "productId:stock", ... ] }                    -> { type: "count", deliveries }
//   { cmd: "report", events: [{ key, productId, stock, occurredAt, sent, resp }], warmup: { [productId]: stock } }
//                                                                        -> { type: "report", ... }
//   { cmd: "close" }                                                     -> { type: "closed" } then exits
//
// Every payload is stamped on arrival with performance.timeOrigin +
// performance.now() (epoch ms, sub-ms resolution): the same clock as the
// parent's Date.now() and the event's occurredAt on this machine.
import { createRequire } from "node:module";

const root = createRequire(new URL("../../package.json", import.meta.url));
const WebSocket = root("ws");
const { signConnection } = await import("./sign.mjs");

const now = () => performance.timeOrigin + performance.now();
const send = (message) => process.send?.(message);

/** @type {Sub[]} */
const subs = [];
/**
 * @typedef {{ i: number, productId: string, ws: any, acked: boolean, subscribed: boolean, closed: boolean,
 *   closeCode?: number, closeReason?: string, errors: string[], stocks: number[], times: number[], completes: number }} Sub
 */

/**
 * Taps: one socket straight to the owning subgraph (inventory), signed as the
 * router signs an anonymous caller, with one subscription per product. Their
 * arrival times tell what the router adds: client arrival minus tap arrival.
 */
const tapArrival = new Map(); // "productId:stock" -> t
const tapLatest = new Map(); // productId -> highest stock seen
let tapSocket;
function openTaps({ url, secret, query, productIds, subgraph = "inventory" }) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, "graphql-transport-ws", { perMessageDeflate: false });
    tapSocket = ws;
    ws.on("open", () => ws.send(JSON.stringify({ type: "connection_init", payload: signConnection(secret, subgraph, null) })));
    ws.on("message", (data) => {
      const t = now();
      const msg = JSON.parse(data.toString());
      if (msg.type === "connection_ack") {
        productIds.forEach((productId, i) => ws.send(JSON.stringify({ id: String(i), type: "subscribe", payload: { query, variables: { productId } } })));
        resolve(true);
      } else if (msg.type === "next") {
        const p = msg.payload?.data?.stockChanged;
        if (p && typeof p.stock === "number") {
          tapArrival.set(`${p.id}:${p.stock}`, t);
          tapLatest.set(p.id, Math.max(tapLatest.get(p.id) ?? -Infinity, p.stock));
        }
      } else if (msg.type === "ping") ws.send(JSON.stringify({ type: "pong" }));
      else if (msg.type === "error") process.stderr.write(`tap error: ${JSON.stringify(msg.payload)}\n`);
    });
    ws.on("error", (e) => {
      process.stderr.write(`tap socket error: ${e.message}\n`);
      resolve(false);
    });
    ws.on("close", (code, reason) => {
      process.stderr.write(`tap socket closed: ${code} ${reason}\n`);
      resolve(false);
    });
  });
}

function open(sub, url, query) {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (ok) => {
      if (!settled) {
        settled = true;
        resolve(ok);
      }
    };
    const ws = new WebSocket(url, "graphql-transport-ws", { perMessageDeflate: false, handshakeTimeout: 30_000 });
    sub.ws = ws;
    ws.on("open", () => ws.send(JSON.stringify({ type: "connection_init", payload: {} })));
    ws.on("message", (data) => {
      const t = now();
      let msg;
      try {
        msg = JSON.parse(data.toString());
      } catch {
        sub.errors.push("unparsable message");
        return;
      }
      switch (msg.type) {
        case "next": {
          const stock = msg.payload?.data?.stockChanged?.stock;
          if (msg.payload?.errors?.length) sub.errors.push(`next with errors: ${JSON.stringify(msg.payload.errors).slice(0, 300)}`);
          if (typeof stock === "number") {
            sub.stocks.push(stock);
            sub.times.push(t);
          }
          break;
        }
        case "connection_ack":
          sub.acked = true;
          ws.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query, variables: { productId: sub.productId } } }));
          sub.subscribed = true;
          settle(true);
          break;
        case "ping":
          ws.send(JSON.stringify({ type: "pong" }));
          break;
        case "error":
          sub.errors.push(`error: ${JSON.stringify(msg.payload).slice(0, 300)}`);
          break;
        case "complete":
          sub.completes += 1;
          break;
      }
    });
    ws.on("error", (error) => {
      sub.errors.push(`socket: ${error.code ?? ""} ${error.message}`.slice(0, 300));
      settle(false);
    });
    ws.on("close", (code, reason) => {
      sub.closed = true;
      sub.closeCode = code;
      sub.closeReason = reason.toString();
      settle(false);
    });
  });
}

async function connect({ url, query, productIds, subscribers, inFlight }) {
  const started = now();
  let next = 0;
  let ok = 0;
  let lastProgress = started;
  const worker = async () => {
    while (next < subscribers) {
      const i = next++;
      const sub = { i, productId: productIds[i % productIds.length], ws: undefined, acked: false, subscribed: false, closed: false, errors: [], stocks: [], times: [], completes: 0 };
      subs.push(sub);
      if (await open(sub, url, query)) ok += 1;
      if (now() - lastProgress > 2000) {
        lastProgress = now();
        send({ type: "progress", opened: ok, attempted: next });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, subscribers) }, worker));
  subs.sort((a, b) => a.i - b.i);
  send({ type: "connected", ok, failed: subscribers - ok, ms: now() - started, sampleErrors: subs.filter((s) => s.errors.length || s.closed).slice(0, 5).map((s) => ({ i: s.i, errors: s.errors, closeCode: s.closeCode, closeReason: s.closeReason })) });
}

/** Per product, how many live subscribers have not yet seen the probe `stock` (a later value counts too); and taps not yet live. */
function missing(keys) {
  const byProduct = {};
  const taps = [];
  if (tapSocket) for (const [productId, probe] of Object.entries(keys)) if (!((tapLatest.get(productId) ?? -Infinity) >= probe)) taps.push(productId);
  for (const sub of subs) {
    const probe = keys[sub.productId];
    if (probe === undefined || sub.closed) continue;
    if (!sub.stocks.some((s) => s >= probe)) byProduct[sub.productId] = (byProduct[sub.productId] ?? 0) + 1;
  }
  return { byProduct, taps };
}

function count(keys) {
  const wanted = new Set(keys);
  let deliveries = 0;
  for (const sub of subs) for (const s of sub.stocks) if (wanted.has(`${sub.productId}:${s}`)) deliveries += 1;
  return deliveries;
}

function percentiles(values) {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
  let sum = 0;
  for (const v of sorted) sum += v;
  const r = (v) => Math.round(v * 100) / 100;
  return { n: sorted.length, min: r(sorted[0]), p50: r(at(50)), p90: r(at(90)), p99: r(at(99)), p999: r(at(99.9)), max: r(sorted[sorted.length - 1]), mean: r(sum / sorted.length) };
}

/**
 * Checks every subscriber against the events its product had (in stream order):
 * each exactly once, in order, nothing else after the warm-up; and the latency
 * of every delivery against the event's reference times.
 */
function report({ events, warmup }) {
  const byProduct = new Map();
  for (const e of events) {
    if (!byProduct.has(e.productId)) byProduct.set(e.productId, []);
    byProduct.get(e.productId).push(e);
  }
  const fromOccurred = [];
  const fromResponse = [];
  const fromSend = [];
  const fromPublish = [];
  const routerAdded = [];
  /** key -> earliest and latest arrival over all subscribers (fan-out start and completion) */
  const firstArrival = new Map();
  const lastArrival = new Map();
  let expected = 0;
  let delivered = 0;
  let lost = 0;
  let duplicates = 0;
  let outOfOrder = 0;
  let unexpected = 0;
  let subscribersMissing = 0;
  let subscribersClosed = 0;
  let subscribersWithErrors = 0;
  const sampleProblems = [];
  for (const sub of subs) {
    const mine = byProduct.get(sub.productId) ?? [];
    const index = new Map(mine.map((e, i) => [e.stock, i]));
    const seen = new Uint8Array(mine.length);
    const base = warmup[sub.productId] ?? -Infinity;
    let last = -1;
    let subLost = 0;
    expected += mine.length;
    for (let k = 0; k < sub.stocks.length; k++) {
      const stock = sub.stocks[k];
      const i = index.get(stock);
      if (i === undefined) {
        if (stock > base) unexpected += 1;
        continue;
      }
      if (seen[i]) {
        duplicates += 1;
        continue;
      }
      seen[i] = 1;
      delivered += 1;
      if (i < last) outOfOrder += 1;
      last = Math.max(last, i);
      const e = mine[i];
      const t = sub.times[k];
      if (e.occurredAt != null) fromOccurred.push(t - e.occurredAt);
      if (e.resp != null) fromResponse.push(t - e.resp);
      if (e.sent != null) fromSend.push(t - e.sent);
      if (e.tapAt != null) fromPublish.push(t - e.tapAt);
      const tapT = tapArrival.get(e.key);
      if (tapT !== undefined) routerAdded.push(t - tapT);
      if (!(lastArrival.get(e.key) >= t)) lastArrival.set(e.key, t);
      if (!(firstArrival.get(e.key) <= t)) firstArrival.set(e.key, t);
    }
    for (let i = 0; i < mine.length; i++) if (!seen[i]) subLost += 1;
    lost += subLost;
    if (subLost) subscribersMissing += 1;
    if (sub.closed) subscribersClosed += 1;
    if (sub.errors.length) subscribersWithErrors += 1;
    if ((subLost || sub.closed || sub.errors.length) && sampleProblems.length < 10) {
      sampleProblems.push({ subscriber: sub.i, productId: sub.productId, lost: subLost, closed: sub.closed, closeCode: sub.closeCode, closeReason: sub.closeReason, errors: sub.errors.slice(0, 3) });
    }
  }
  const fanOut = [];
  const spread = [];
  const subgraphOut = [];
  /** Per event, in production order: ms after the first send; then ms from occurredAt to: published (NATS tap), mutation response, the direct subgraph tap, first and last subscriber. */
  const perEvent = [];
  const t0 = Math.min(...events.map((e) => e.sent));
  const r1 = (v) => (Number.isFinite(v) ? Math.round(v * 10) / 10 : null);
  for (const e of [...events].sort((a, b) => a.sent - b.sent)) {
    const t = lastArrival.get(e.key);
    const ref = e.occurredAt ?? e.resp;
    if (t !== undefined && ref != null) fanOut.push(t - ref);
    if (t !== undefined) spread.push(t - firstArrival.get(e.key));
    const tapT = tapArrival.get(e.key);
    if (tapT !== undefined && e.tapAt != null) subgraphOut.push(tapT - e.tapAt);
    perEvent.push([r1(e.sent - t0), r1(e.tapAt - ref), r1(e.resp - ref), r1((tapT ?? NaN) - ref), r1(firstArrival.get(e.key) - ref), r1(t - ref)]);
  }
  return {
    type: "report",
    subscribers: subs.length,
    expected,
    delivered,
    lost,
    duplicates,
    outOfOrder,
    unexpected,
    subscribersMissing,
    subscribersClosed,
    subscribersWithErrors,
    sampleProblems,
    latencyMs: {
      fromOccurredAt: percentiles(fromOccurred),
      fromMutationResponse: percentiles(fromResponse),
      fromMutationSend: percentiles(fromSend),
      fromNatsPublish: percentiles(fromPublish),
      lastSubscriberFromOccurredAt: percentiles(fanOut),
      natsPublishToSubgraphTap: percentiles(subgraphOut),
      routerAddedOverSubgraphTap: percentiles(routerAdded),
      fanOutSpreadFirstToLast: percentiles(spread),
    },
    perEventColumns: ["sentAtMs", "publishedMs", "mutationResponseMs", "subgraphTapMs", "firstSubscriberMs", "lastSubscriberMs"],
    perEvent,
  };
}

async function close() {
  const open = subs.filter((s) => s.ws && s.ws.readyState === WebSocket.OPEN);
  await Promise.race([
    Promise.all(
      open.map(
        (s) =>
          new Promise((resolve) => {
            s.ws.once("close", resolve);
            s.ws.close(1000, "bench done");
          }),
      ),
    ),
    new Promise((resolve) => setTimeout(resolve, 5000)),
  ]);
  for (const s of subs) s.ws?.terminate();
  tapSocket?.terminate();
  send({ type: "closed" });
  setTimeout(() => process.exit(0), 100);
}

process.on("message", (message) => {
  Promise.resolve()
    .then(async () => {
      switch (message.cmd) {
        case "connect":
          return connect(message);
        case "missing":
          return send({ type: "missing", ...missing(message.keys) });
        case "taps":
          return send({ type: "taps", ok: await openTaps(message) });
        case "problems": {
          const bad = subs.filter((x) => x.errors.length || x.closed);
          const kinds = {};
          for (const x of bad) for (const e of x.closed ? [`closed ${x.closeCode} ${x.closeReason}`] : x.errors.slice(0, 1)) kinds[e.slice(0, 160)] = (kinds[e.slice(0, 160)] ?? 0) + 1;
          return send({ type: "problems", subscribers: bad.length, kinds: Object.fromEntries(Object.entries(kinds).sort((a, b) => b[1] - a[1]).slice(0, 8)) });
        }
        case "count":
          return send({ type: "count", deliveries: count(message.keys) });
        case "report":
          return send(report(message));
        case "close":
          return close();
      }
    })
    .catch((error) => send({ type: "failed", error: String(error?.stack ?? error) }));
});
process.on("disconnect", () => process.exit(0));
send({ type: "hello", pid: process.pid });
