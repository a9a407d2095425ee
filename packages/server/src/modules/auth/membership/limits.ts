import type { RateLimitName } from '../../../config/config.ts';
import { ipRateLimitKey } from '../../../http/rate-limit/index.ts';
import { rateLimited } from '../../../lib/app-error.ts';
import type { Limiter } from '../login/login.service.ts';
import type { RequestMeta } from '../sessions/session.service.ts';

/** Counts one hit and refuses with 429 (and its Retry-After) when over the rule's limit. */
export async function limit(limiter: Limiter, name: RateLimitName, key: string): Promise<void> {
  const decision = await limiter.hit(name, key);
  if (!decision.allowed) throw rateLimited(decision.retryAfterSeconds);
}

/** Per-IP limits count an IPv6 client per /64 (one host owns the whole prefix). */
export function limitPerIp(limiter: Limiter, name: RateLimitName, meta: RequestMeta): Promise<void> {
  return limit(limiter, name, meta.ip ? ipRateLimitKey(meta.ip) : 'unknown');
}
