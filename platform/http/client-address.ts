/**
 * Who is asking, when requests may come through proxies (the console's origin, a load balancer):
 * `TRUST_PROXY` lists the proxies whose `X-Forwarded-For` is believed; everyone else's is ignored.
 *
 * One walk for HTTP (fastify's `trustProxy`, given `trustedProxies(list)`) and the socket.io
 * handshake (`clientAddress`), so the failed-auth limit counts the same address either way. The
 * walk is proxy-addr's (the one fastify runs with a trust function): start at the connection's
 * peer and, while that address is a trusted proxy, step to the next address from the right of
 * `X-Forwarded-For`. What a trusted proxy forwarded from an untrusted sender stops the walk, so
 * whatever a client wrote into the header itself is never reached.
 */
import { BlockList, isIP } from 'node:net';
import { z } from 'zod';

/** Is this address (a connection's peer, or a hop of X-Forwarded-For) a proxy we trust? */
export type TrustedProxies = (address: string) => boolean;

/** Names for the ranges people mean (proxy-addr's names): `loopback` is what `npm start` trusts. */
const NAMED_RANGES: Record<string, readonly string[]> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

function isRange(entry: string): boolean {
  const [address, prefix, ...rest] = entry.split('/');
  if (rest.length > 0 || !address) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * `TRUST_PROXY`: comma-separated addresses, CIDR ranges or the names `loopback`, `linklocal`,
 * `uniquelocal`, e.g. `loopback` or `172.28.0.10`. Unset: none (a peer's X-Forwarded-For is
 * ignored and the peer is the client).
 */
export const trustProxy = z.string().transform((value, context) => {
  const entries = value
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter(Boolean);
  for (const entry of entries) {
    if (!(entry in NAMED_RANGES) && !isRange(entry)) {
      context.addIssue({
        code: 'custom',
        message: `"${entry.slice(0, 60)}" is not an address, a CIDR range (10.0.0.0/8) or one of ${Object.keys(NAMED_RANGES).join(', ')}`,
      });
    }
  }
  return [...new Set(entries)];
});

/** IPv4 peers of a dual-stack socket come as `::ffff:1.2.3.4`; one key per client, not two. */
export function normalizeAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1]! : address;
}

/** The trust test for `entries` (TRUST_PROXY's value); empty: trusts nobody. */
export function trustedProxies(entries: readonly string[]): TrustedProxies {
  const list = new BlockList();
  for (const entry of entries.flatMap((name) => NAMED_RANGES[name] ?? [name])) {
    const [address, prefix] = entry.split('/') as [string, string | undefined];
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(prefix), family);
  }
  return (address) => {
    const normalized = normalizeAddress(address);
    const family = isIP(normalized);
    return family !== 0 && list.check(normalized, family === 6 ? 'ipv6' : 'ipv4');
  };
}

export const trustsNobody: TrustedProxies = () => false;

/** A header's value as one string (Node joins repeated X-Forwarded-For lines with ", " already). */
function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * The addresses this request came through, as far as they can be believed: the client first,
 * the connection's peer last (`X-Forwarded-For` order). Only the peer when it is not trusted.
 */
export function forwardedChain(peer: string, forwardedFor: string | string[] | undefined, trusted: TrustedProxies): string[] {
  const hops = (headerValue(forwardedFor) ?? '')
    .split(',')
    .map((hop) => hop.trim())
    .filter(Boolean);
  const chain = [normalizeAddress(peer)];
  for (let i = hops.length - 1; i >= 0 && trusted(chain[0]!); i--) chain.unshift(normalizeAddress(hops[i]!));
  return chain;
}

/** The client's address of a raw request (a socket.io handshake's `socket.request`). */
export function clientAddress(
  request: { socket: { remoteAddress?: string | undefined }; headers: Record<string, string | string[] | undefined> },
  trusted: TrustedProxies,
): string {
  return forwardedChain(request.socket.remoteAddress ?? '', request.headers['x-forwarded-for'], trusted)[0]!;
}

/**
 * The Host the client asked for: a trusted proxy's `X-Forwarded-Host` (it rewrote Host to reach
 * us), else the request's own `Host`. Lower case, as browsers write an origin.
 */
export function requestedHost(
  request: { socket: { remoteAddress?: string | undefined }; headers: Record<string, string | string[] | undefined> },
  trusted: TrustedProxies,
): string | undefined {
  const forwarded = headerValue(request.headers['x-forwarded-host']);
  // The last one is what the proxy next to us wrote.
  const host =
    forwarded && trusted(request.socket.remoteAddress ?? '') ? forwarded.split(',').at(-1)!.trim() : headerValue(request.headers.host);
  return host?.toLowerCase();
}
