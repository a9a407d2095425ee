import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, waitFor } from '../../../test/helpers/processes.ts';
import { startRedis, type TestRedis } from '../../../test/helpers/redis.ts';
import { type Config, DEFAULT_RATE_LIMITS } from '../../config/config.ts';
import { openDatabase } from '../../db/database.ts';
import type { RateLimiter } from './rate-limit.types.ts';
import { createRateLimiter, FAILURE_LOG_INTERVAL_MS, RETRY_SHARED_STORE_AFTER_MS } from './rate-limiter.ts';

/**
 * When the shared store fails, requests are counted in the process instead: never unlimited
 * (password guessing during a Redis outage), never refused outright (nobody can log in), and
 * never slow. The failure is logged once a minute, not once a request.
 */
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const rules = { ...structuredClone(DEFAULT_RATE_LIMITS), login: { limit: 5, windowSeconds: 60 } } as Config['rateLimit']['rules'];
// Generous: a dead store must cost a request milliseconds; this only catches a hang.
const FAST_MS = 3_000;

function recordingLogger() {
  const lines: Array<{ level: 'warn' | 'info'; fields: unknown; message?: string }> = [];
  return {
    lines,
    warns: () => lines.filter((l) => l.level === 'warn'),
    logger: {
      warn: (fields: unknown, message?: string) => void lines.push({ level: 'warn', fields, message }),
      info: (fields: unknown, message?: string) => void lines.push({ level: 'info', fields, message }),
    },
  };
}

async function timedHit(limiter: RateLimiter, key: string) {
  const started = performance.now();
  const decision = await limiter.hit('login', key);
  expect(performance.now() - started).toBeLessThan(FAST_MS);
  return decision;
}

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function redisLimiter(url: string, clock: { ms: number }, logger = recordingLogger()) {
  const limiter = createRateLimiter({ rules, store: 'redis', redisUrl: url }, { logger: logger.logger, now: () => clock.ms });
  cleanups.push(() => limiter.close());
  return { limiter, log: logger };
}

async function started(): Promise<TestRedis> {
  const server = await startRedis();
  cleanups.push(() => server.stop());
  return server;
}

describe('Redis going away', () => {
  it('mid-test: counting continues in the process, still limited, logged once a minute', async () => {
    const server = await started();
    const clock = { ms: T0 };
    const { limiter, log } = redisLimiter(server.url, clock);
    for (const remaining of [4, 3, 2]) expect(await timedHit(limiter, 'victim@example.com')).toMatchObject({ remaining });
    expect(log.lines).toEqual([]);

    await server.stop();
    const during = [];
    for (let i = 0; i < 20; i++) during.push(await timedHit(limiter, 'victim@example.com'));
    // The local count starts afresh: at most one more limit's worth, then refused.
    expect(during.map((d) => d.allowed)).toEqual([...Array(5).fill(true), ...Array(15).fill(false)]);
    expect(during[5]?.retryAfterSeconds).toBe(60);
    expect(log.warns()).toHaveLength(1);
    expect(log.warns()[0]?.message).toMatch(/rate-limit store failed/);
    expect(log.warns()[0]?.fields).toMatchObject({ store: 'redis' });
    // The key is nowhere in what was logged.
    expect(JSON.stringify(log.lines)).not.toContain('victim');

    clock.ms += FAILURE_LOG_INTERVAL_MS;
    await timedHit(limiter, 'victim@example.com');
    expect(log.warns()).toHaveLength(2);
  });

  it('coming back: counting returns to Redis, where every process sees it, and that is logged', async () => {
    const server = await started();
    const clock = { ms: T0 };
    const { limiter, log } = redisLimiter(server.url, clock);
    await timedHit(limiter, 'k');
    await server.stop();
    await timedHit(limiter, 'k');
    expect(log.warns()).toHaveLength(1);

    const again = await startRedis({ port: server.port });
    cleanups.push(() => again.stop());
    const inspector = new Redis(again.url);
    cleanups.push(() => inspector.disconnect());
    await waitFor(
      async () => {
        clock.ms += RETRY_SHARED_STORE_AFTER_MS; // let the limiter try Redis again
        await limiter.hit('login', 'k');
        return (await inspector.keys('vigil:rl:*')).length === 1;
      },
      15_000,
      'the limiter to count in Redis again',
    );
    expect(log.lines.filter((l) => l.level === 'info').map((l) => l.message)).toEqual([expect.stringMatching(/store is back/)]);
    const other = redisLimiter(again.url, clock).limiter;
    const seen = await other.peek('login', 'k');
    expect(seen.remaining).toBeLessThan(5);
  });

  it('unreachable from the start: limits locally from the first request', async () => {
    const clock = { ms: T0 };
    const { limiter, log } = redisLimiter(`redis://127.0.0.1:${await freePort()}`, clock);
    const decisions = [];
    for (let i = 0; i < 7; i++) decisions.push(await timedHit(limiter, 'k'));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, true, true, false, false]);
    expect(log.warns()).toHaveLength(1);
  });

  it('hanging (stopped, connection open): the command times out once, then requests skip it for a while', async () => {
    const server = await started();
    const clock = { ms: T0 };
    const { limiter, log } = redisLimiter(server.url, clock);
    await timedHit(limiter, 'k');
    server.pause();
    cleanups.push(() => server.resume());
    const decisions = [];
    for (let i = 0; i < 6; i++) decisions.push(await timedHit(limiter, 'k'));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, true, true, false]);
    expect(log.warns()).toHaveLength(1);
    expect(log.warns()[0]?.fields).toMatchObject({ err: { message: expect.stringMatching(/timed out/i) } });
  });
});

describe('PostgreSQL going away', () => {
  it('counting continues in the process, still limited', async () => {
    const database = await openDatabase({ kind: 'pglite', dataDir: 'memory://' });
    const clock = { ms: T0 };
    const log = recordingLogger();
    const limiter = createRateLimiter({ rules, store: 'postgres', redisUrl: null }, { database, logger: log.logger, now: () => clock.ms });
    for (let i = 0; i < 3; i++) await timedHit(limiter, 'k');
    await database.close();
    const during = [];
    for (let i = 0; i < 7; i++) during.push(await timedHit(limiter, 'k'));
    expect(during.map((d) => d.allowed)).toEqual([true, true, true, true, true, false, false]);
    expect(log.warns()).toHaveLength(1);
    expect(log.warns()[0]?.fields).toMatchObject({ store: 'postgres' });
    await limiter.close();
  });
});
