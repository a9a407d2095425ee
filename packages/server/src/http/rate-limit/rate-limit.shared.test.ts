import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis } from '../../../test/helpers/redis.ts';
import { createTestDatabase, onPostgres } from '../../../test/helpers/test-database.ts';
import { type Config, DEFAULT_RATE_LIMITS } from '../../config/config.ts';
import { openDatabase } from '../../db/database.ts';
import type { SqlSession } from '../../db/migrate.ts';
import type { RateLimiter } from './rate-limit.types.ts';
import { counterKey, createRateLimiter } from './rate-limiter.ts';

/**
 * Several processes share one limit: two limiters, each with its own connection where the store
 * allows it (a second pool on PostgreSQL, a second client on Redis), count into one counter.
 * PGlite serves one process, so there both limiters share its single connection.
 */
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const silent = { warn: () => {}, info: () => {} };
const rules = { ...structuredClone(DEFAULT_RATE_LIMITS), login: { limit: 5, windowSeconds: 60 } } as Config['rateLimit']['rules'];

interface Backend {
  store: 'postgres' | 'redis';
  /** Where each of the two "processes" connects. */
  sessions: [SqlSession | undefined, SqlSession | undefined];
  redisUrl: string | null;
  /** The counter names as stored, read by a privileged session. */
  storedKeys(): Promise<string[]>;
  close(): Promise<void>;
}

async function postgresBackend(): Promise<Backend> {
  const t = await createTestDatabase();
  const admin = t.admin;
  if (!t.url || !t.migrationUrl || !admin) throw new Error('expected a PostgreSQL test database');
  const second = await openDatabase(
    { kind: 'postgres', url: t.url, migrationUrl: t.migrationUrl, poolMax: 5, dataDir: '/nonexistent' },
    { migrate: false },
  );
  return {
    store: 'postgres',
    sessions: [t.database, second],
    redisUrl: null,
    storedKeys: async () => (await admin.query<{ key: string }>('SELECT key FROM vigil.rate_limits')).rows.map((r) => r.key),
    async close() {
      await second.close();
      await t.destroy();
    },
  };
}

async function pgliteBackend(): Promise<Backend> {
  const database = await openDatabase({ kind: 'pglite', dataDir: 'memory://' });
  return {
    store: 'postgres',
    sessions: [database, database],
    redisUrl: null,
    storedKeys: async () => (await database.query<{ key: string }>('SELECT key FROM vigil.rate_limits')).rows.map((r) => r.key),
    close: () => database.close(),
  };
}

async function redisBackend(): Promise<Backend> {
  const server = await startRedis();
  const inspector = new Redis(server.url);
  return {
    store: 'redis',
    sessions: [undefined, undefined],
    redisUrl: server.url,
    storedKeys: () => inspector.keys('*'),
    async close() {
      inspector.disconnect();
      await server.stop();
    },
  };
}

type Opener = [label: string, open: () => Promise<Backend>];
const BACKENDS: Opener[] = [
  ...(onPostgres ? [['PostgreSQL (two pools)', postgresBackend] satisfies Opener] : []),
  ['PGlite', pgliteBackend],
  ['Redis (two clients)', redisBackend],
];

describe.each(BACKENDS)('limiters sharing %s', (_label, open) => {
  let backend: Backend;
  const clock = { ms: T0 };
  const limiters: RateLimiter[] = [];
  let a: RateLimiter;
  let b: RateLimiter;

  beforeAll(async () => {
    backend = await open();
    for (const session of backend.sessions) {
      limiters.push(
        createRateLimiter(
          { rules, store: backend.store, redisUrl: backend.redisUrl },
          { database: session, logger: silent, now: () => clock.ms },
        ),
      );
    }
    [a, b] = limiters as [RateLimiter, RateLimiter];
  });
  afterAll(async () => {
    await Promise.all(limiters.map((l) => l.close()));
    await backend?.close();
  });

  it('see one count: hits through either limiter use up the same limit', async () => {
    for (let i = 0; i < 3; i++) expect((await a.hit('login', 'shared')).allowed).toBe(true);
    expect(await b.hit('login', 'shared')).toMatchObject({ allowed: true, remaining: 1 });
    expect(await b.hit('login', 'shared')).toMatchObject({ allowed: true, remaining: 0 });
    expect(await a.hit('login', 'shared')).toMatchObject({ allowed: false, retryAfterSeconds: 60 });
    expect(await b.peek('login', 'shared')).toMatchObject({ allowed: false });
    // A reset through one (a successful login, say) frees the key for the other.
    await a.reset('login', 'shared');
    expect(await b.hit('login', 'shared')).toMatchObject({ allowed: true, remaining: 4 });
  });

  it('give exactly 10 of 50 concurrent hits, spread over both, with a limit of 10', async () => {
    const decisions = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).hit('mfa', 'race')));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(10);
    expect(
      decisions
        .filter((d) => d.allowed)
        .map((d) => d.remaining)
        .sort((x, y) => x - y),
    ).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('store only SHA-256 digests of the keys', async () => {
    const raw = ['alice@example.com', '198.51.100.23', 'x'.repeat(10_240), 'nul\u0000byte', 'ünïcødé 🔑'];
    for (const key of raw) await a.hit('password_reset', key);
    const stored = await backend.storedKeys();
    const prefix = backend.store === 'redis' ? 'vigil:rl:' : '';
    for (const key of raw) expect(stored).toContain(prefix + counterKey('password_reset', key));
    const everything = stored.join('\n');
    for (const fragment of ['alice', 'example.com', '198.51.100', 'xxxxxxxx', 'nul', 'ünïcødé']) expect(everything).not.toContain(fragment);
  });

  it('forget windows that ended: a later window starts from zero for every process', async () => {
    for (let i = 0; i < 5; i++) await a.hit('login', 'later');
    expect((await b.hit('login', 'later')).allowed).toBe(false);
    clock.ms += 60_000;
    expect(await b.hit('login', 'later')).toMatchObject({ allowed: true, remaining: 4 });
    expect(await a.hit('login', 'later')).toMatchObject({ allowed: true, remaining: 3 });
  });
});

describe('the PostgreSQL store cleans up', () => {
  it('deletes rows whose window ended longer ago than the longest rule, from time to time', async () => {
    const database = await openDatabase({ kind: 'pglite', dataDir: 'memory://' });
    const clock = { ms: T0 };
    const limiter = createRateLimiter({ rules, store: 'postgres', redisUrl: null }, { database, logger: silent, now: () => clock.ms });
    await limiter.hit('login', 'one-off visitor');
    const count = async () => Number((await database.query<{ n: number }>('SELECT count(*)::int AS n FROM vigil.rate_limits')).rows[0]?.n);
    expect(await count()).toBe(1);
    // The longest default window is an hour; the cleanup runs every five minutes.
    clock.ms = T0 + 3_600_000 + 5 * 60_000;
    await limiter.hit('login', 'next visitor');
    await limiter.close(); // waits for the cleanup started by that hit
    const { rows } = await database.query<{ key: string }>('SELECT key FROM vigil.rate_limits');
    expect(rows.map((r) => r.key)).toEqual([counterKey('login', 'next visitor')]);
    await database.close();
  });
});
