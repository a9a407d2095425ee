import { createHash } from 'node:crypto';
import type { Config, RateLimitName, RateLimitRule } from '../../config/config.ts';
import type { SqlSession } from '../../db/migrate.ts';
import type { Logger } from '../../logger.ts';
import { createMemoryStore } from './rate-limit.memory-store.ts';
import { createPostgresStore } from './rate-limit.postgres-store.ts';
import { createRedisStore } from './rate-limit.redis-store.ts';
import type { RateLimitDecision, RateLimiter, RateLimitStore, WindowCount } from './rate-limit.types.ts';

export interface RateLimiterDeps {
  /** The app's database (`Database` fits); needed by the postgres store only. */
  database?: Pick<SqlSession, 'query'>;
  logger: Pick<Logger, 'warn' | 'info'>;
  /** Milliseconds since the epoch; `Date.now` unless a test moves time. */
  now?: () => number;
}

/** A failing shared store is reported at most this often, however many requests meet it. */
export const FAILURE_LOG_INTERVAL_MS = 60_000;
/**
 * After a failure the shared store is left alone this long: a Redis that hangs rather than
 * refuses would otherwise cost every request the full command timeout.
 */
export const RETRY_SHARED_STORE_AFTER_MS = 5_000;

/**
 * The stored name of a counter. Keys are client-chosen (IPs, emails, token ids): hashing keeps
 * them out of the database and Redis (no personal data at rest, nothing to leak in a dump), gives
 * every key the same short length whatever its size or bytes, and cannot collide between rules
 * because rule names contain no colon.
 */
export function counterKey(name: RateLimitName, key: string): string {
  return createHash('sha256').update(`${name}:${key}`).digest('hex');
}

function decide(rule: RateLimitRule, count: WindowCount | null, nowMs: number, counted: boolean): RateLimitDecision {
  const windowMs = rule.windowSeconds * 1000;
  const used = count?.hits ?? 0;
  // A counted hit is allowed while it is within the limit; a peek asks whether one more would be.
  const allowed = counted ? used <= rule.limit : used < rule.limit;
  const endsAtMs = (count?.windowStartMs ?? nowMs) + windowMs;
  // Clamped to the window: a process whose clock runs behind the one that opened the window
  // must not tell a client to wait longer than a whole window.
  const retryAfterSeconds = allowed ? 0 : Math.min(rule.windowSeconds, Math.max(1, Math.ceil((endsAtMs - nowMs) / 1000)));
  return { allowed, limit: rule.limit, remaining: Math.max(0, rule.limit - used), retryAfterSeconds, resetAt: new Date(endsAtMs) };
}

function openStore(config: Config['rateLimit'], deps: RateLimiterDeps, onError: (error: unknown) => void): RateLimitStore {
  switch (config.store) {
    case 'memory':
      return createMemoryStore();
    case 'postgres': {
      if (!deps.database) throw new TypeError('the postgres rate-limit store needs the database');
      const longestWindowMs = Math.max(...Object.values(config.rules).map((rule) => rule.windowSeconds * 1000));
      return createPostgresStore(deps.database, { longestWindowMs, onCleanupError: onError });
    }
    case 'redis':
      if (!config.redisUrl) throw new TypeError('the redis rate-limit store needs REDIS_URL');
      return createRedisStore(config.redisUrl, { onError });
  }
}

/** Logs a failing store once per interval, and its recovery once after each logged failure. */
function failureReporter(logger: RateLimiterDeps['logger'], store: string, now: () => number) {
  let lastLoggedMs = Number.NEGATIVE_INFINITY;
  let unreported = false;
  return {
    failed(error: unknown) {
      if (now() - lastLoggedMs < FAILURE_LOG_INTERVAL_MS) return;
      lastLoggedMs = now();
      unreported = true;
      logger.warn({ err: error, store }, 'rate-limit store failed; counting in this process only until it is back');
    },
    succeeded() {
      if (!unreported) return;
      unreported = false;
      logger.info({ store }, 'rate-limit store is back; counting there again');
    },
  };
}

/**
 * Fixed-window limits per rule and key. With a shared store (PostgreSQL, Redis) every process
 * sees one count. When that store fails, each request is counted in this process instead: the
 * limit still holds per process (an attacker gains at most a factor of the process count for
 * the outage), rather than failing open (no limit at all against password guessing) or closed
 * (a Redis outage locking everybody out of login).
 */
export function createRateLimiter(config: Config['rateLimit'], deps: RateLimiterDeps): RateLimiter {
  const now = deps.now ?? Date.now;
  const reporter = failureReporter(deps.logger, config.store, now);
  const primary = openStore(config, deps, (error) => reporter.failed(error));
  const fallback = primary.kind === 'memory' ? null : createMemoryStore();

  let skipSharedUntilMs = Number.NEGATIVE_INFINITY;

  async function withFallback<T>(op: (store: RateLimitStore) => Promise<T>): Promise<T> {
    if (!fallback) return op(primary);
    if (now() < skipSharedUntilMs) return op(fallback);
    try {
      const result = await op(primary);
      reporter.succeeded();
      return result;
    } catch (error) {
      skipSharedUntilMs = now() + RETRY_SHARED_STORE_AFTER_MS;
      reporter.failed(error);
      return op(fallback);
    }
  }

  function ruleOf(name: RateLimitName): RateLimitRule {
    const rule = config.rules[name];
    if (!rule) throw new TypeError(`unknown rate limit ${JSON.stringify(name)}`);
    return rule;
  }

  return {
    async hit(name, key) {
      const rule = ruleOf(name);
      const nowMs = now();
      const count = await withFallback((store) => store.increment(counterKey(name, key), rule.windowSeconds * 1000, nowMs));
      return decide(rule, count, nowMs, true);
    },
    async peek(name, key) {
      const rule = ruleOf(name);
      const nowMs = now();
      const count = await withFallback((store) => store.current(counterKey(name, key), rule.windowSeconds * 1000, nowMs));
      return decide(rule, count, nowMs, false);
    },
    async reset(name, key) {
      ruleOf(name);
      const stored = counterKey(name, key);
      await withFallback((store) => store.reset(stored));
      // A count taken locally during an outage must not outlive the reset either.
      await fallback?.reset(stored);
    },
    async close() {
      await Promise.all([primary.close(), fallback?.close()]);
    },
  };
}
