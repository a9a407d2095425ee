export { clientIp, enforceRateLimit, ipRateLimitKey, rateLimitHeaders } from './rate-limit.http.ts';
export type { RateLimitDecision, RateLimiter, RateLimitName } from './rate-limit.types.ts';
export { createRateLimiter, type RateLimiterDeps } from './rate-limiter.ts';
