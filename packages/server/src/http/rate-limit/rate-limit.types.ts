import type { RateLimitName } from '../../config/config.ts';

export type { RateLimitName };

/** The answer to one request against one limit. */
export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  /** Requests left in the current window after this one. */
  remaining: number;
  /** Whole seconds until the window ends (at least 1) when refused; 0 when allowed. */
  retryAfterSeconds: number;
  /** When the current window ends and the count starts again. */
  resetAt: Date;
}

export interface RateLimiter {
  /** Counts one request against `name` for `key` (an IP, an email, a token id) and decides it. */
  hit(name: RateLimitName, key: string): Promise<RateLimitDecision>;
  /**
   * What the next `hit` would meet, without counting: for flows that only count failures (check
   * before the expensive password hash, `hit` when the guess was wrong). `allowed` is false when
   * the limit is already used up.
   */
  peek(name: RateLimitName, key: string): Promise<RateLimitDecision>;
  /** Forgets the count (after a successful login, say). */
  reset(name: RateLimitName, key: string): Promise<void>;
  close(): Promise<void>;
}

/** A fixed window's count as a store holds it. */
export interface WindowCount {
  hits: number;
  windowStartMs: number;
}

/**
 * Where counts live. Keys reach a store already hashed; `nowMs` comes from the limiter's clock so
 * every store agrees on time with the process (and tests can move it).
 */
export interface RateLimitStore {
  readonly kind: 'memory' | 'postgres' | 'redis';
  /**
   * Atomically adds one hit: a window that ended at or before `nowMs` starts again at `nowMs`
   * with one hit. Returns the count including this hit.
   */
  increment(key: string, windowMs: number, nowMs: number): Promise<WindowCount>;
  /** The current window's count, or null when there is none (never counted, or ended). */
  current(key: string, windowMs: number, nowMs: number): Promise<WindowCount | null>;
  reset(key: string): Promise<void>;
  close(): Promise<void>;
}
