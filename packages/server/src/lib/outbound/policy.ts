import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/** What an outbound download may do. Every request Vigil makes to a feed mirror is bound by one. */
export interface OutboundPolicy {
  /** Plain http lets anyone on the path swap a feed file; only for mirrors on a trusted network. */
  readonly allowHttp: boolean;
  /**
   * Exact `host:port` pairs (e.g. `mirror.lan:8080`, `[fd00::5]:443`) that may resolve to
   * private addresses, for an admin's internal mirror. Nothing else may reach the local network.
   */
  readonly allowPrivateHosts: readonly string[];
  readonly maxBytes: number;
  /** Wall-clock limit for the whole download, redirects included. */
  readonly timeoutMs: number;
  /** Longest silence allowed while connecting, waiting for headers or reading the body. */
  readonly idleTimeoutMs: number;
  readonly maxRedirects: number;
}

export const DEFAULT_OUTBOUND_POLICY: OutboundPolicy = Object.freeze({
  allowHttp: false,
  allowPrivateHosts: Object.freeze([]),
  maxBytes: 2 * 1024 ** 3,
  timeoutMs: 10 * 60_000,
  idleTimeoutMs: 30_000,
  maxRedirects: 5,
});

export interface AddressClass {
  /** The address judged: for an IPv4-mapped IPv6 address, the IPv4 address inside it. */
  readonly address: string;
  /** The ipaddr.js range name (`unicast`, `private`, `loopback`, ...), or `invalid`. */
  readonly range: string;
  readonly blocked: boolean;
}

// ::a.b.c.d (IPv4-compatible, deprecated) is "unicast" to ipaddr.js, but it was defined for
// automatic tunnelling to the embedded IPv4 address, so it is refused like the mapped form.
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');

/** Only globally routable unicast addresses pass; anything else could reach the host or its network. */
export function classifyAddress(input: string): AddressClass {
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    ip = ipaddr.parse(input);
  } catch {
    return { address: input, range: 'invalid', blocked: true };
  }
  // ::ffff:127.0.0.1 connects to 127.0.0.1; judging it as IPv6 would let loopback through.
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
  let range: string = ip.range();
  if (range === 'unicast' && ip.kind() === 'ipv6' && ip.match(IPV4_COMPATIBLE)) range = 'ipv4Compatible';
  return { address: ip.toString(), range, blocked: range !== 'unicast' };
}

const RANGE_NAMES: Record<string, string> = {
  private: 'a private address',
  loopback: 'a loopback address',
  linkLocal: 'a link-local address (where cloud metadata services answer)',
  uniqueLocal: 'a unique-local (private IPv6) address',
  carrierGradeNat: 'a carrier-grade NAT address',
  unspecified: 'the unspecified address',
  broadcast: 'the broadcast address',
  multicast: 'a multicast address',
  reserved: 'a reserved address',
  invalid: 'not a valid address',
};

function describe(input: string, verdict: AddressClass): string {
  const kind = RANGE_NAMES[verdict.range] ?? `a special-purpose address (${verdict.range})`;
  const mapped = verdict.address !== input && verdict.range !== 'invalid' ? ` (it maps to ${verdict.address})` : '';
  return `${input} is ${kind}${mapped}`;
}

// Even an allow-listed internal mirror never legitimately lives on these; 0.0.0.0 reaches the local host.
const NEVER_ALLOWED = new Set(['unspecified', 'broadcast', 'multicast', 'invalid']);

/** `host:port` of a URL with the scheme's default port filled in, as matched against `allowPrivateHosts`. */
export function hostKey(url: URL): string {
  return `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
}

function isAllowListed(url: URL, policy: OutboundPolicy): boolean {
  const key = hostKey(url);
  return policy.allowPrivateHosts.some((entry) => entry.trim().toLowerCase() === key);
}

/** Why connecting to `address` for `url` is refused, or null when it is allowed. */
export function addressRefusal(address: string, url: URL, policy: OutboundPolicy): string | null {
  const verdict = classifyAddress(address);
  if (!verdict.blocked) return null;
  if (!NEVER_ALLOWED.has(verdict.range) && isAllowListed(url, policy)) return null;
  return describe(address, verdict);
}

/**
 * Why `url` is refused before any connection, or null. A literal IP host is judged here because
 * Node connects to literal addresses without calling the guarded DNS lookup. WHATWG URL parsing
 * has already turned 2130706433, 0x7f.1 and 0177.0.0.1 into 127.0.0.1.
 */
export function urlRefusal(url: URL, policy: OutboundPolicy): string | null {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `the scheme ${url.protocol} is not allowed`;
  if (url.protocol === 'http:' && !policy.allowHttp) return 'plain http is not allowed (https only)';
  // Credentials in a mirror URL would be sent to every host it redirects to and end up in logs.
  if (url.username || url.password) return 'URLs with credentials are not allowed';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return isIP(host) ? addressRefusal(host, url, policy) : null;
}
