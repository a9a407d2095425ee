import { and, asc, eq, gt, isNull } from 'drizzle-orm';
import type { Tx } from '../../../db/database.ts';
import { memberships, passwordResets, userPasswords, users } from '../../../db/schema.ts';

/** Reset tokens and password rows: system scope only (the tables have no tenant policy). */
export const passwordsRepo = {
  async insertReset(tx: Tx, values: { userId: string; tokenHash: string; expiresAt: Date }): Promise<void> {
    await tx.insert(passwordResets).values(values);
  },

  /** The account a live reset token belongs to, without spending the token. */
  async findResetAccount(tx: Tx, tokenHash: string, at: Date) {
    const [row] = await tx
      .select({ userId: users.id, email: users.email, displayName: users.displayName })
      .from(passwordResets)
      .innerJoin(users, eq(users.id, passwordResets.userId))
      .where(
        and(
          eq(passwordResets.tokenHash, tokenHash),
          isNull(passwordResets.usedAt),
          gt(passwordResets.expiresAt, at),
          isNull(users.disabledAt),
          isNull(users.erasedAt),
        ),
      );
    return row ?? null;
  },

  /** Spends a reset token: one conditional UPDATE, so of concurrent uses exactly one gets the row. */
  async consumeReset(tx: Tx, tokenHash: string, at: Date): Promise<string | null> {
    const [row] = await tx
      .update(passwordResets)
      .set({ usedAt: at })
      .where(and(eq(passwordResets.tokenHash, tokenHash), isNull(passwordResets.usedAt), gt(passwordResets.expiresAt, at)))
      .returning({ userId: passwordResets.userId });
    return row?.userId ?? null;
  },

  /** Every other outstanding link of the user dies with a new password. */
  async spendAllResets(tx: Tx, userId: string, at: Date): Promise<number> {
    const rows = await tx
      .update(passwordResets)
      .set({ usedAt: at })
      .where(and(eq(passwordResets.userId, userId), isNull(passwordResets.usedAt)))
      .returning({ id: passwordResets.id });
    return rows.length;
  },

  async findAccount(tx: Tx, userId: string) {
    const [row] = await tx
      .select({ userId: users.id, email: users.email, displayName: users.displayName, passwordHash: userPasswords.passwordHash })
      .from(users)
      .leftJoin(userPasswords, eq(userPasswords.userId, users.id))
      .where(and(eq(users.id, userId), isNull(users.disabledAt), isNull(users.erasedAt)));
    return row ?? null;
  },

  /** The organizations whose audit chains record a change to the user's credentials. */
  async orgIds(tx: Tx, userId: string): Promise<string[]> {
    const rows = await tx
      .select({ orgId: memberships.orgId })
      .from(memberships)
      .where(eq(memberships.userId, userId))
      .orderBy(asc(memberships.createdAt));
    return rows.map((r) => r.orgId);
  },
};
