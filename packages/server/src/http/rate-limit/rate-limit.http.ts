import type { FastifyReply, FastifyRequest } from 'fastify';
import ipaddr from 'ipaddr.js';
import { rateLimited } from '../../lib/app-error.ts';
import type { RateLimitDecision, RateLimiter, RateLimitName } from './rate-limit.types.ts';

/**
 * Counts the request and throws 429 (the error handler adds `Retry-After`) when it is over the
 * limit; returns the decision otherwise, for `rateLimitHeaders`.
 */
export async function enforceRateLimit(limiter: RateLimiter, name: RateLimitName, key: string): Promise<RateLimitDecision> {
  const decision = await limiter.hit(name, key);
  if (!decision.allowed) throw rateLimited(decision.retryAfterSeconds);
  return decision;
}

/** The draft IETF `RateLimit-*` fields, so well-behaved clients can slow down before a 429. */
export function rateLimitHeaders(reply: FastifyReply, decision: RateLimitDecision, nowMs: number = Date.now()): void {
  reply.header('ratelimit-limit', String(decision.limit));
  reply.header('ratelimit-remaining', String(decision.remaining));
  reply.header('ratelimit-reset', String(Math.max(0, Math.ceil((decision.resetAt.getTime() - nowMs) / 1000))));
}

/**
 * The client's address. Only `request.ip`: Fastify derives it from `X-Forwarded-For` solely when
 * the connection comes from a proxy listed in TRUST_PROXY (app.ts), and from the socket
 * otherwise. Reading a forwarding header here would let any client name its own address and so
 * get a fresh per-IP limit with every request.
 */
export function clientIp(request: FastifyRequest): string {
  return request.ip;
}

/**
 * The key per-IP limits count under. One IPv6 host is routinely given a whole /64 (2^64
 * addresses), so counting single IPv6 addresses would let one attacker rotate through fresh
 * limits without end: IPv6 addresses count per /64. An IPv4-mapped IPv6 address counts as its
 * IPv4 address, so a dual-stack listener cannot split one client in two.
 */
export function ipRateLimitKey(ip: string): string {
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    address = ipaddr.process(ip);
  } catch {
    // Not an address (a Unix socket, say): counted under what it is.
    return ip;
  }
  if (address.kind() === 'ipv4') return address.toString();
  const parts = (address as ipaddr.IPv6).parts.slice(0, 4).map((part) => part.toString(16));
  return `${parts.join(':')}::/64`;
}
