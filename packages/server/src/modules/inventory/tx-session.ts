import { type SQL, sql } from 'drizzle-orm';
import type { Tx } from '../../db/database.ts';
import type { SqlSession } from '../../db/migrate.ts';

/**
 * The open transaction as the plain-SQL session the feed-store readers take (loadAdvisoryIndex,
 * loadEnrichment), so matching reads advisories inside the inventory's own transaction: on PGlite
 * a query on the database from inside a transaction would deadlock, and on PostgreSQL it would run
 * outside the tenant scope. `$n` placeholders become bound parameters (arrays stay one parameter).
 */
export function sessionOf(tx: Tx): SqlSession {
  return {
    async query<T = Record<string, unknown>>(text: string, params: unknown[] = []) {
      const chunks: SQL[] = text
        .split(/\$(\d+)/)
        .map((part, i) => (i % 2 === 0 ? sql.raw(part) : sql`${sql.param(params[Number(part) - 1])}`));
      return { rows: ((await tx.execute(sql.join(chunks))) as unknown as { rows: T[] }).rows };
    },
    async exec(text: string) {
      await tx.execute(sql.raw(text));
    },
  };
}
