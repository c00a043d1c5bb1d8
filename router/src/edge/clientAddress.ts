import type { IncomingMessage } from "node:http";
import { BlockList, isIP } from "node:net";
import type { Identity } from "@store/kit";

/** Whose budget an operation spends (rate limits): `user:<id>` when authenticated, else `ip:<address>`. */
export type ClientKey = `user:${string}` | `ip:${string}`;

// Addresses a proxy in front of the router can have: loopback, private
// (RFC 1918, RFC 6598 shared, IPv6 ULA) and link-local.
const PRIVATE = new BlockList();
for (const [network, prefix] of [["127.0.0.0", 8], ["10.0.0.0", 8], ["172.16.0.0", 12], ["192.168.0.0", 16], ["100.64.0.0", 10], ["169.254.0.0", 16]] as const) {
  PRIVATE.addSubnet(network, prefix, "ipv4");
}
PRIVATE.addAddress("::1", "ipv6");
PRIVATE.addSubnet("fc00::", 7, "ipv6");
PRIVATE.addSubnet("fe80::", 10, "ipv6");

/** The address in canonical-enough form (IPv4-mapped IPv6 as IPv4, no zone), or undefined when it is not an IP. */
function normalizeAddress(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  let address = raw.trim().toLowerCase();
  if (address.startsWith("::ffff:") && isIP(address.slice(7)) === 4) address = address.slice(7);
  address = address.split("%")[0]!;
  return isIP(address) ? address : undefined;
}

function isPrivate(address: string): boolean {
  return PRIVATE.check(address, isIP(address) === 4 ? "ipv4" : "ipv6");
}

/**
 * The client's IP. Without `trustProxy`, the socket's peer: X-Forwarded-For
 * is whatever the client wrote. With it, the peer and every private or
 * loopback address are taken for proxies, each vouching for the hop to its
 * left in X-Forwarded-For; the client is the right-most hop that is not a
 * proxy (the left-most valid one when all are). Hops a client prepended
 * itself sit left of that and are never read. A proxy with a public address
 * is not recognised: the router then limits by that proxy's address.
 */
export function clientAddressOf(req: IncomingMessage, trustProxy: boolean): string {
  let client = normalizeAddress(req.socket.remoteAddress);
  if (!client) return "unknown"; // the socket is already closed
  if (!trustProxy) return client;
  const header = req.headers["x-forwarded-for"];
  const hops = (Array.isArray(header) ? header.join(",") : (header ?? "")).split(",");
  for (let i = hops.length - 1; i >= 0 && isPrivate(client); i--) {
    if (!hops[i]!.trim()) continue;
    const hop = normalizeAddress(hops[i]);
    if (!hop) break; // not an address, so not written by a proxy: the last vouched-for hop stands
    client = hop;
  }
  return client;
}

/**
 * Whose budget a request spends: the authenticated user's, else its IP's
 * (see `clientAddressOf`). A public IPv6 address counts by its /64, which a
 * single subscriber usually holds whole and could otherwise rotate through.
 */
export function clientKeyOf(req: IncomingMessage, identity: Identity | null, trustProxy: boolean): ClientKey {
  return identity ? `user:${identity.userId}` : clientKeyFor(clientAddressOf(req, trustProxy), identity);
}

/** `clientKeyOf` for an address already worked out (`clientAddressOf`). */
export function clientKeyFor(address: string, identity: Identity | null): ClientKey {
  if (identity) return `user:${identity.userId}`;
  return `ip:${isIP(address) === 6 && !isPrivate(address) ? prefix64(address) : address}`;
}

/** The /64 network of a valid IPv6 address, e.g. `2001:db8:0:1::/64`. */
function prefix64(address: string): string {
  // An embedded IPv4 tail (`64:ff9b::192.0.2.1`) holds two groups.
  const groups = (part: string) => (part ? part.split(":").flatMap((g) => (g.includes(".") ? ["0", "0"] : [g])) : []);
  const [head = "", tail] = address.split("::");
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right];
  return `${all.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(":")}::/64`;
}
