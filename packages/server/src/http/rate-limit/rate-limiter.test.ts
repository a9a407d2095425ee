import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../../../test/helpers/redis.ts';
import { createTestDatabase, onPostgres, type TestDatabase } from '../../../test/helpers/test-database.ts';
import { type Config, ConfigError, DEFAULT_RATE_LIMITS, loadConfig } from '../../config/config.ts';
import { REDIS_KEY_PREFIX } from './rate-limit.redis-store.ts';
import type { RateLimiter } from './rate-limit.types.ts';
import { counterKey, createRateLimiter } from './rate-limiter.ts';

/**
 * The same behaviour from each store, at its edges: the limit-th hit passes and the next does
 * not, Retry-After is the rest of the window rounded up, and a window ends on time. The clock is
 * injected, so nothing waits and nothing depends on how fast the machine is.
 */
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const silent = { warn: () => {}, info: () => {} };

type StoreKind = Config['rateLimit']['store'];
let t: TestDatabase;
let redis: TestRedis;
let inspector: Redis;

beforeAll(async () => {
  [t, redis] = await Promise.all([createTestDatabase(), startRedis()]);
  inspector = new Redis(redis.url);
});
afterAll(async () => {
  inspector?.disconnect();
  await Promise.all([t?.destroy(), redis?.stop()]);
});

function rules(login: { limit: number; windowSeconds: number }) {
  return { ...structuredClone(DEFAULT_RATE_LIMITS), login } as Config['rateLimit']['rules'];
}

let unique = 0;
/** A limiter on `kind` with its own clock, and a key prefix no other test uses. */
function setup(kind: StoreKind, login = { limit: 5, windowSeconds: 60 }) {
  const clock = { ms: T0 };
  const limiter = createRateLimiter(
    { rules: rules(login), store: kind, redisUrl: kind === 'redis' ? redis.url : null },
    { database: t.database, logger: silent, now: () => clock.ms },
  );
  unique += 1;
  return { limiter, clock, key: (k = 'client') => `${unique}/${k}` };
}

/** The counter names as the store holds them, or null for the in-process store. */
async function storedKeys(kind: StoreKind): Promise<string[] | null> {
  if (kind === 'postgres') {
    const { rows } = await t.database.query<{ key: string }>('SELECT key FROM vigil.rate_limits');
    return rows.map((row) => row.key);
  }
  if (kind === 'redis') return inspector.keys('*');
  return null;
}

async function hits(limiter: RateLimiter, key: string, n: number) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await limiter.hit('login', key));
  return out;
}

const KINDS: Array<[string, StoreKind]> = [
  ['memory', 'memory'],
  [onPostgres ? 'PostgreSQL' : 'PGlite', 'postgres'],
  ['Redis', 'redis'],
];

describe.each(KINDS)('rate limiter on %s', (_label, kind) => {
  it('allows exactly the limit in a window and refuses the next hit, with the seconds left', async () => {
    const { limiter, key } = setup(kind);
    const decisions = await hits(limiter, key(), 7);
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, true, true, false, false]);
    expect(decisions.map((d) => d.remaining)).toEqual([4, 3, 2, 1, 0, 0, 0]);
    expect(decisions.map((d) => d.retryAfterSeconds)).toEqual([0, 0, 0, 0, 0, 60, 60]);
    for (const d of decisions) {
      expect(d.limit).toBe(5);
      expect(d.resetAt.getTime()).toBe(T0 + 60_000);
    }
    await limiter.close();
  });

  it('rounds Retry-After up to whole seconds, never below 1', async () => {
    const { limiter, clock, key } = setup(kind, { limit: 1, windowSeconds: 60 });
    expect((await limiter.hit('login', key())).allowed).toBe(true);
    const retryAt = async (offsetMs: number) => {
      clock.ms = T0 + offsetMs;
      const d = await limiter.hit('login', key());
      expect(d.allowed).toBe(false);
      return d.retryAfterSeconds;
    };
    expect(await retryAt(500)).toBe(60); // 59.5 s left
    expect(await retryAt(30_000)).toBe(30);
    expect(await retryAt(59_001)).toBe(1); // 0.999 s left
    expect(await retryAt(59_999)).toBe(1);
    await limiter.close();
  });

  it('starts a new window when the old one ends, not before', async () => {
    const { limiter, clock, key } = setup(kind, { limit: 2, windowSeconds: 60 });
    await hits(limiter, key(), 3);
    clock.ms = T0 + 59_999;
    expect((await limiter.hit('login', key())).allowed).toBe(false);
    clock.ms = T0 + 60_000;
    const fresh = await limiter.hit('login', key());
    expect(fresh).toMatchObject({ allowed: true, remaining: 1, retryAfterSeconds: 0 });
    expect(fresh.resetAt.getTime()).toBe(T0 + 120_000);
    await limiter.close();
  });

  it('peek reports without counting; reset forgets one count only', async () => {
    const { limiter, key } = setup(kind, { limit: 3, windowSeconds: 60 });
    for (let i = 0; i < 3; i++) expect(await limiter.peek('login', key('a'))).toMatchObject({ allowed: true, remaining: 3 });
    await hits(limiter, key('a'), 3);
    await hits(limiter, key('b'), 3);
    expect(await limiter.peek('login', key('a'))).toMatchObject({ allowed: false, remaining: 0, retryAfterSeconds: 60 });
    // Another rule counts the same key apart.
    expect((await limiter.hit('mfa', key('a'))).allowed).toBe(true);
    await limiter.reset('login', key('a'));
    expect(await limiter.hit('login', key('a'))).toMatchObject({ allowed: true, remaining: 2 });
    expect((await limiter.hit('login', key('b'))).allowed).toBe(false);
    await limiter.close();
  });

  it('gives exactly 10 of 50 concurrent hits on one key with a limit of 10', async () => {
    const { limiter, key } = setup(kind, { limit: 10, windowSeconds: 60 });
    const decisions = await Promise.all(Array.from({ length: 50 }, () => limiter.hit('login', key())));
    const allowed = decisions.filter((d) => d.allowed);
    expect(allowed).toHaveLength(10);
    // Each count from 1 to 10 was handed out once: no two requests saw the same count.
    expect(allowed.map((d) => d.remaining).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await limiter.close();
  });

  it('counts hostile keys exactly, each apart, and stores none of them', async () => {
    const { limiter, key } = setup(kind, { limit: 2, windowSeconds: 60 });
    const hostile = [
      'x'.repeat(10_240),
      'a\u0000b',
      'a\u0000c',
      '登录🔐é',
      'e\u0301', // the same text as "é" to a reader, another key to the limiter
      '',
      "'; DROP TABLE vigil.rate_limits; --",
      'alice@example.com',
      '203.0.113.7',
    ].map((k) => key(k));
    for (const k of hostile) {
      expect((await hits(limiter, k, 3)).map((d) => d.allowed)).toEqual([true, true, false]);
    }
    const stored = await storedKeys(kind);
    if (stored !== null) {
      const prefix = kind === 'redis' ? REDIS_KEY_PREFIX : '';
      for (const k of hostile) expect(stored).toContain(prefix + counterKey('login', k));
      for (const s of stored) {
        expect(s).toMatch(kind === 'redis' ? /^vigil:rl:[0-9a-f]{64}$/ : /^[0-9a-f]{64}$/);
        expect(s).not.toContain('example.com');
        expect(s).not.toContain('203.0.113');
      }
    }
    await limiter.close();
  });

  it('refuses a rule name it does not know', async () => {
    const { limiter } = setup(kind);
    await expect(limiter.hit('nonsense' as 'login', 'k')).rejects.toThrow(TypeError);
    await limiter.close();
  });
});

describe('rate-limit configuration', () => {
  const base = { VIGIL_DATA_DIR: '/nonexistent', LOG_LEVEL: 'silent' };

  it('RATE_LIMITS overrides take effect and leave the other rules at their defaults', async () => {
    const config = loadConfig({ ...base, RATE_LIMITS: 'login=2/min,password_reset=1/hour' });
    expect(config.rateLimit.store).toBe('memory');
    const limiter = createRateLimiter(config.rateLimit, { logger: silent, now: () => T0 });
    expect((await hits(limiter, 'ip', 3)).map((d) => [d.allowed, d.retryAfterSeconds])).toEqual([
      [true, 0],
      [true, 0],
      [false, 60],
    ]);
    expect((await limiter.hit('password_reset', 'e')).allowed).toBe(true);
    expect(await limiter.hit('password_reset', 'e')).toMatchObject({ allowed: false, limit: 1, retryAfterSeconds: 3600 });
    expect(await limiter.hit('mfa', 'u')).toMatchObject({ allowed: true, limit: DEFAULT_RATE_LIMITS.mfa.limit });
    await limiter.close();
  });

  it('the default login limit is 10 a minute per key', async () => {
    const limiter = createRateLimiter(loadConfig(base).rateLimit, { logger: silent, now: () => T0 });
    expect((await hits(limiter, 'ip', 11)).filter((d) => d.allowed)).toHaveLength(10);
    await limiter.close();
  });

  it.each(['login=0/min', 'nosuch=1/min', 'login=5/fortnight', 'login=5'])('refuses RATE_LIMITS=%s', (value) => {
    expect(() => loadConfig({ ...base, RATE_LIMITS: value })).toThrow(ConfigError);
  });
});
