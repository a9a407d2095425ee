import { Redis } from 'ioredis';
import type { RateLimitStore, WindowCount } from './rate-limit.types.ts';

export const REDIS_KEY_PREFIX = 'vigil:rl:';

// Runs atomically in Redis, so hits from every process on one key are serialised. The window's
// start travels in ARGV (the limiter's clock) rather than from Redis's TIME, so that all stores
// share one notion of time and tests can move it; processes' clocks are NTP-close, and a skew
// of a second shifts a window by a second. The expiry only collects the key once its window ended.
const INCREMENT = `
local stored = redis.call('HGET', KEYS[1], 's')
local start = tonumber(stored)
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
if start == nil or start <= now - window then
  redis.call('HSET', KEYS[1], 's', ARGV[1], 'h', 1)
  redis.call('PEXPIRE', KEYS[1], window)
  return {ARGV[1], 1}
end
return {stored, redis.call('HINCRBY', KEYS[1], 'h', 1)}`;

export interface RedisStoreOptions {
  connectTimeoutMs?: number;
  /** A reply slower than this counts as a failure (the limiter then falls back to memory). */
  commandTimeoutMs?: number;
  /** Connection errors, which ioredis reports as events between commands. */
  onError?: (error: Error) => void;
}

function parseCount(reply: unknown): WindowCount {
  if (!Array.isArray(reply) || reply.length !== 2) throw new Error('unexpected reply from the rate-limit script');
  const [start, hits] = reply.map(Number) as [number, number];
  if (!Number.isFinite(start) || !Number.isFinite(hits)) throw new Error('unexpected reply from the rate-limit script');
  return { hits, windowStartMs: start };
}

/**
 * Counters in Redis, shared by every process using it. Tuned to fail fast: with no offline queue
 * a command on a lost connection is refused at once instead of waiting for a reconnect, so a
 * dead Redis costs a request nothing but the fallback (ioredis keeps reconnecting meanwhile).
 */
export function createRedisStore(url: string, options: RedisStoreOptions = {}): RateLimitStore {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    connectTimeout: options.connectTimeoutMs ?? 1_000,
    commandTimeout: options.commandTimeoutMs ?? 1_000,
    maxRetriesPerRequest: 0,
    // Reconnect quickly at first, then every 2 s: the shared limit comes back soon after Redis.
    retryStrategy: (times) => Math.min(times * 100, 2_000),
  });
  // Without a listener ioredis prints every failed reconnect to stderr itself.
  redis.on('error', (error: Error) => options.onError?.(error));
  // The first requests after start-up wait for the first connection attempt rather than fail
  // while it is in flight; later ones never wait.
  const connected = redis.connect().catch(() => {});

  return {
    kind: 'redis',
    async increment(key, windowMs, nowMs) {
      await connected;
      return parseCount(await redis.eval(INCREMENT, 1, REDIS_KEY_PREFIX + key, String(nowMs), String(windowMs)));
    },
    async current(key, windowMs, nowMs) {
      await connected;
      const [start, hits] = await redis.hmget(REDIS_KEY_PREFIX + key, 's', 'h');
      if (start === null || hits === null || Number(start) <= nowMs - windowMs) return null;
      return { hits: Number(hits), windowStartMs: Number(start) };
    },
    async reset(key) {
      await connected;
      await redis.del(REDIS_KEY_PREFIX + key);
    },
    async close() {
      await connected;
      // QUIT waits for replies in flight; on a dead connection there is nothing to wait for.
      if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
      else redis.disconnect();
    },
  };
}
