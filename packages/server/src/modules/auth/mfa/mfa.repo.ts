import { and, eq, isNotNull, isNull, lt, or, sql } from 'drizzle-orm';
import type { Tx } from '../../../db/database.ts';
import { mfaBackupCodes, mfaTotp, users } from '../../../db/schema.ts';

/**
 * The second factor's rows. Both tables are reachable in the system scope only (RLS), so every
 * function expects a `tx` opened with `withSystem` (or switched to it); each still filters by
 * the user it was given, never by anything the caller did not name.
 */
export type TotpRow = Pick<typeof mfaTotp.$inferSelect, 'secretSealed' | 'confirmedAt' | 'lastStep'>;

export const mfaRepo = {
  async findTotp(tx: Tx, userId: string): Promise<TotpRow | null> {
    const [row] = await tx
      .select({ secretSealed: mfaTotp.secretSealed, confirmedAt: mfaTotp.confirmedAt, lastStep: mfaTotp.lastStep })
      .from(mfaTotp)
      .where(eq(mfaTotp.userId, userId));
    return row ?? null;
  },

  async hasConfirmedTotp(tx: Tx, userId: string): Promise<boolean> {
    const rows = await tx
      .select({ userId: mfaTotp.userId })
      .from(mfaTotp)
      .where(and(eq(mfaTotp.userId, userId), isNotNull(mfaTotp.confirmedAt)));
    return rows.length > 0;
  },

  /**
   * Stores a pending enrolment, replacing a pending one, in one statement: the `WHERE` of the
   * upsert leaves a confirmed row alone, so a concurrent confirmation cannot be overwritten.
   * False when a confirmed secret exists.
   */
  async upsertPendingTotp(tx: Tx, userId: string, secretSealed: string): Promise<boolean> {
    const rows = await tx
      .insert(mfaTotp)
      .values({ userId, secretSealed })
      .onConflictDoUpdate({
        target: mfaTotp.userId,
        set: { secretSealed, lastStep: null, createdAt: sql`now()` },
        where: isNull(mfaTotp.confirmedAt),
      })
      .returning({ userId: mfaTotp.userId });
    return rows.length > 0;
  },

  /** Confirms the pending secret that was checked (`secretSealed`), if it is still the one stored. */
  async confirmTotp(tx: Tx, userId: string, secretSealed: string, step: number): Promise<boolean> {
    const rows = await tx
      .update(mfaTotp)
      .set({ confirmedAt: sql`now()`, lastStep: step })
      .where(and(eq(mfaTotp.userId, userId), isNull(mfaTotp.confirmedAt), eq(mfaTotp.secretSealed, secretSealed)))
      .returning({ userId: mfaTotp.userId });
    return rows.length > 0;
  },

  /**
   * Replay protection in one conditional UPDATE: the step is recorded only if it is newer than
   * every step accepted before, so a code (or any older one) is accepted once, and of concurrent
   * uses of one code the row lock lets exactly one through. `secretSealed` must still be the
   * value the code was checked against (a disable and re-enrolment in between voids the check);
   * `resealed` is that same secret under the active key, or the same value when no rotation.
   */
  async acceptTotpStep(tx: Tx, userId: string, secretSealed: string, resealed: string, step: number): Promise<boolean> {
    const rows = await tx
      .update(mfaTotp)
      .set({ lastStep: step, secretSealed: resealed })
      .where(
        and(
          eq(mfaTotp.userId, userId),
          isNotNull(mfaTotp.confirmedAt),
          eq(mfaTotp.secretSealed, secretSealed),
          or(isNull(mfaTotp.lastStep), lt(mfaTotp.lastStep, step)),
        ),
      )
      .returning({ userId: mfaTotp.userId });
    return rows.length > 0;
  },

  /** Deletes the TOTP secret and every backup code; true if there was a secret. */
  async deleteTotp(tx: Tx, userId: string): Promise<boolean> {
    await tx.delete(mfaBackupCodes).where(eq(mfaBackupCodes.userId, userId));
    const rows = await tx.delete(mfaTotp).where(eq(mfaTotp.userId, userId)).returning({ userId: mfaTotp.userId });
    return rows.length > 0;
  },

  async replaceBackupCodes(tx: Tx, userId: string, codeHashes: readonly string[]): Promise<void> {
    await tx.delete(mfaBackupCodes).where(eq(mfaBackupCodes.userId, userId));
    await tx.insert(mfaBackupCodes).values(codeHashes.map((codeHash) => ({ userId, codeHash })));
  },

  /** Single use in one conditional UPDATE: of concurrent uses of one code, exactly one succeeds. */
  async markBackupCodeUsed(tx: Tx, userId: string, codeHash: string): Promise<boolean> {
    const rows = await tx
      .update(mfaBackupCodes)
      .set({ usedAt: sql`now()` })
      .where(and(eq(mfaBackupCodes.userId, userId), eq(mfaBackupCodes.codeHash, codeHash), isNull(mfaBackupCodes.usedAt)))
      .returning({ id: mfaBackupCodes.id });
    return rows.length > 0;
  },

  async countUnusedBackupCodes(tx: Tx, userId: string): Promise<number> {
    const [row] = await tx
      .select({ n: sql<number>`count(*)::int` })
      .from(mfaBackupCodes)
      .where(and(eq(mfaBackupCodes.userId, userId), isNull(mfaBackupCodes.usedAt)));
    return row?.n ?? 0;
  },

  /** The address the authenticator app labels the account with; null for an unknown or erased user. */
  async findAccountEmail(tx: Tx, userId: string): Promise<string | null> {
    const [row] = await tx
      .select({ email: users.email })
      .from(users)
      .where(and(eq(users.id, userId), isNull(users.erasedAt)));
    return row?.email ?? null;
  },
};
