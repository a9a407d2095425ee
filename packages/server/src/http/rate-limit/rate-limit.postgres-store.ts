import type { SqlSession } from '../../db/migrate.ts';
import type { RateLimitStore, WindowCount } from './rate-limit.types.ts';

export interface PostgresStoreOptions {
  /** The longest window of any rule: rows whose window started longer ago than this are dead. */
  longestWindowMs: number;
  /** How often (by the limiter's clock) one request also deletes dead rows. */
  cleanupIntervalMs?: number;
  onCleanupError?: (error: unknown) => void;
}

const DEFAULT_CLEANUP_INTERVAL_MS = 5 * 60_000;

// One statement, so concurrent requests from any number of processes serialise on the row lock:
// each sees the count including every hit committed before it, and no hit is lost. Both CASEs
// read the row as it was before this update. `$3` is the instant a window must have started
// after to still be running.
const INCREMENT = `
  INSERT INTO vigil.rate_limits AS r (key, window_start, hits) VALUES ($1, $2::timestamptz, 1)
  ON CONFLICT (key) DO UPDATE SET
    hits = CASE WHEN r.window_start <= $3::timestamptz THEN 1 ELSE r.hits + 1 END,
    window_start = CASE WHEN r.window_start <= $3::timestamptz THEN $2::timestamptz ELSE r.window_start END
  RETURNING hits, (extract(epoch FROM window_start) * 1000)::float8 AS start_ms`;

const CURRENT = `
  SELECT hits, (extract(epoch FROM window_start) * 1000)::float8 AS start_ms
  FROM vigil.rate_limits WHERE key = $1 AND window_start > $2::timestamptz`;

interface Row {
  hits: number;
  start_ms: number;
}

const iso = (ms: number) => new Date(ms).toISOString();
const toCount = (row: Row): WindowCount => ({ hits: Number(row.hits), windowStartMs: Math.round(Number(row.start_ms)) });

/**
 * Counters in `vigil.rate_limits` (an unlogged table: losing them in a crash only forgets a few
 * minutes of counts), shared by every process on the database. The table's policy lets the app
 * role use it without a tenant or system scope, so plain queries serve.
 */
export function createPostgresStore(session: Pick<SqlSession, 'query'>, options: PostgresStoreOptions): RateLimitStore {
  const cleanupIntervalMs = options.cleanupIntervalMs ?? DEFAULT_CLEANUP_INTERVAL_MS;
  let lastCleanupMs: number | null = null;
  let cleaning: Promise<void> = Promise.resolve();

  // Rows of ended windows are reset in place when their key comes back; keys that never come
  // back (one-off IPs and emails) would stay for ever without this.
  function maybeCleanUp(nowMs: number): void {
    if (lastCleanupMs === null) lastCleanupMs = nowMs;
    if (nowMs - lastCleanupMs < cleanupIntervalMs) return;
    lastCleanupMs = nowMs;
    cleaning = session
      .query('DELETE FROM vigil.rate_limits WHERE window_start <= $1::timestamptz', [iso(nowMs - options.longestWindowMs)])
      .then(
        () => undefined,
        (error: unknown) => options.onCleanupError?.(error),
      );
  }

  return {
    kind: 'postgres',
    async increment(key, windowMs, nowMs) {
      const { rows } = await session.query<Row>(INCREMENT, [key, iso(nowMs), iso(nowMs - windowMs)]);
      maybeCleanUp(nowMs);
      const row = rows[0];
      if (!row) throw new Error('rate-limit upsert returned no row');
      return toCount(row);
    },
    async current(key, windowMs, nowMs) {
      const { rows } = await session.query<Row>(CURRENT, [key, iso(nowMs - windowMs)]);
      return rows[0] ? toCount(rows[0]) : null;
    },
    async reset(key) {
      await session.query('DELETE FROM vigil.rate_limits WHERE key = $1', [key]);
    },
    async close() {
      // The database belongs to the app; only a cleanup still running is waited for.
      await cleaning;
    },
  };
}
