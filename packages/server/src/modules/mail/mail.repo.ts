import { and, desc, eq, sql } from 'drizzle-orm';
import type { Tx } from '../../db/database.ts';
import { mailOutbox } from '../../db/schema.ts';
import type { TenantContext } from '../../db/tenant.ts';

export type OutboxRow = typeof mailOutbox.$inferSelect;

// The cursor carries a JavaScript Date (milliseconds) while created_at has microseconds: order
// and compare on the millisecond so that rows in the same millisecond are neither skipped nor
// repeated across pages (the id breaks the tie).
const createdMs = sql`date_trunc('milliseconds', ${mailOutbox.createdAt})`;

export const mailRepo = {
  /** One page of the organization's outbox, newest first; one row more than asked tells whether more follow. */
  listOutbox(tx: Tx, ctx: TenantContext, opts: { limit: number; after: { createdAt: Date; id: string } | null }): Promise<OutboxRow[]> {
    const { after } = opts;
    return tx
      .select()
      .from(mailOutbox)
      .where(
        and(
          eq(mailOutbox.orgId, ctx.orgId),
          after ? sql`(${createdMs}, ${mailOutbox.id}) < (${after.createdAt.toISOString()}::timestamptz, ${after.id}::uuid)` : undefined,
        ),
      )
      .orderBy(desc(createdMs), desc(mailOutbox.id))
      .limit(opts.limit + 1);
  },
};
