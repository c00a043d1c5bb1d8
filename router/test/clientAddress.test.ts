import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { Role, type Identity } from "@store/kit";
import { clientAddressOf, clientKeyOf } from "../src/edge/clientAddress.ts";

describe("clientKeyOf", () => {
  const request = (remoteAddress: string | undefined, forwardedFor?: string) =>
    ({ socket: { remoteAddress }, headers: forwardedFor === undefined ? {} : { "x-forwarded-for": forwardedFor } }) as unknown as IncomingMessage;
  const customer: Identity = { userId: "c42", roles: [Role.Customer] };

  it("is the user when the request is authenticated", () => {
    expect(clientKeyOf(request("198.51.100.1"), customer, false)).toBe("user:c42");
  });

  it("is the socket's peer, X-Forwarded-For ignored, unless a proxy is trusted", () => {
    expect(clientKeyOf(request("198.51.100.1", "203.0.113.9"), null, false)).toBe("ip:198.51.100.1");
    expect(clientKeyOf(request("::ffff:127.0.0.1"), null, false)).toBe("ip:127.0.0.1");
    expect(clientKeyOf(request(undefined), null, false)).toBe("ip:unknown");
  });

  it("is the right-most X-Forwarded-For hop that is not a proxy when proxies are trusted", () => {
    expect(clientKeyOf(request("10.0.0.2", "203.0.113.9"), null, true)).toBe("ip:203.0.113.9");
    expect(clientKeyOf(request("10.0.0.2", "203.0.113.9, 192.168.1.4"), null, true)).toBe("ip:203.0.113.9");
    // A client cannot choose its key by prepending hops of its own.
    expect(clientKeyOf(request("10.0.0.2", "1.2.3.4, 203.0.113.9"), null, true)).toBe("ip:203.0.113.9");
    expect(clientKeyOf(request("10.0.0.2", "not-an-ip, 10.1.1.1"), null, true)).toBe("ip:10.1.1.1");
    // A public peer is the client itself, whatever it claims.
    expect(clientKeyOf(request("198.51.100.1", "203.0.113.9"), null, true)).toBe("ip:198.51.100.1");
    expect(clientKeyOf(request("127.0.0.1"), null, true)).toBe("ip:127.0.0.1");
  });

  it("counts a public IPv6 client by its /64", () => {
    expect(clientKeyOf(request("2001:db8:a:b:1:2:3:4"), null, false)).toBe("ip:2001:db8:a:b::/64");
    expect(clientKeyOf(request("2001:db8::1"), null, false)).toBe("ip:2001:db8:0:0::/64");
    expect(clientKeyOf(request("::1"), null, false)).toBe("ip:::1");
  });

  it("and clientAddressOf gives the address itself (forwarded to subgraphs, signed): whole, without a zone, IPv4 unmapped", () => {
    expect(clientAddressOf(request("2001:db8:a:b:1:2:3:4"), false)).toBe("2001:db8:a:b:1:2:3:4");
    expect(clientAddressOf(request("fe80::1%eth0"), false)).toBe("fe80::1");
    expect(clientAddressOf(request("::ffff:198.51.100.1"), false)).toBe("198.51.100.1");
    expect(clientAddressOf(request("10.0.0.2", "203.0.113.9"), true)).toBe("203.0.113.9");
  });
});
