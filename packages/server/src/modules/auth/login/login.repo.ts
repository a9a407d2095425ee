import { and, asc, eq, gt, isNull, lt, sql } from 'drizzle-orm';
import type { Tx } from '../../../db/database.ts';
import { authChallenges, loginThrottle, memberships, organizations, userPasswords, users } from '../../../db/schema.ts';

/** Login's queries, all in the system scope: before a login there is no tenant to act as. */
export const loginRepo = {
  async findAccount(tx: Tx, normalized: string) {
    const [row] = await tx
      .select({ userId: users.id, email: users.email, displayName: users.displayName, passwordHash: userPasswords.passwordHash })
      .from(users)
      .leftJoin(userPasswords, eq(userPasswords.userId, users.id))
      // `normalized` is already lower case (login.service normalizeAccountName); only the stored
      // side is folded, so the database cannot match a spelling the throttle keys differently.
      .where(and(sql`lower(${users.email}) = ${normalized}`, isNull(users.disabledAt), isNull(users.erasedAt)));
    return row ?? null;
  },

  async isActive(tx: Tx, userId: string): Promise<boolean> {
    const [row] = await tx
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.id, userId), isNull(users.disabledAt), isNull(users.erasedAt)));
    return row !== undefined;
  },

  async memberships(tx: Tx, userId: string) {
    return tx
      .select({ orgId: memberships.orgId, role: memberships.role, clientId: memberships.clientId, orgSettings: organizations.settings })
      .from(memberships)
      .innerJoin(organizations, eq(organizations.id, memberships.orgId))
      .where(eq(memberships.userId, userId))
      .orderBy(asc(memberships.createdAt), asc(memberships.id));
  },

  async setPasswordHash(tx: Tx, userId: string, passwordHash: string): Promise<void> {
    await tx
      .insert(userPasswords)
      .values({ userId, passwordHash })
      .onConflictDoUpdate({ target: userPasswords.userId, set: { passwordHash, changedAt: sql`now()` } });
  },

  async lockedUntil(tx: Tx, accountKey: string): Promise<Date | null> {
    const [row] = await tx
      .select({ lockedUntil: loginThrottle.lockedUntil })
      .from(loginThrottle)
      .where(eq(loginThrottle.accountKey, accountKey));
    return row?.lockedUntil ?? null;
  },

  /**
   * Counts a failure and returns the new count. Failures older than `forgetBefore` are forgotten
   * first, so an occasional typo months apart never adds up to a lockout.
   */
  async recordFailure(tx: Tx, accountKey: string, at: Date, forgetBefore: Date): Promise<{ failures: number; lockedUntil: Date | null }> {
    const [row] = await tx
      .insert(loginThrottle)
      .values({ accountKey, failures: 1, lastFailureAt: at })
      .onConflictDoUpdate({
        target: loginThrottle.accountKey,
        set: {
          failures: sql`CASE WHEN ${loginThrottle.lastFailureAt} < ${forgetBefore} THEN 1 ELSE ${loginThrottle.failures} + 1 END`,
          lastFailureAt: at,
        },
      })
      // The row as the newest committed version left it: a lock written by a concurrent attempt
      // that got here first shows up, which a read before the upsert could miss.
      .returning({ failures: loginThrottle.failures, lockedUntil: loginThrottle.lockedUntil });
    return { failures: row?.failures ?? 1, lockedUntil: row?.lockedUntil ?? null };
  },

  async lock(tx: Tx, accountKey: string, until: Date): Promise<void> {
    await tx.update(loginThrottle).set({ lockedUntil: until }).where(eq(loginThrottle.accountKey, accountKey));
  },

  /** Takes back one counted attempt (it turned out to be a correct password). */
  async forgiveOne(tx: Tx, accountKey: string): Promise<void> {
    await tx
      .update(loginThrottle)
      .set({ failures: sql`greatest(${loginThrottle.failures} - 1, 0)` })
      .where(eq(loginThrottle.accountKey, accountKey));
  },

  async clearFailures(tx: Tx, accountKey: string): Promise<void> {
    await tx.delete(loginThrottle).where(eq(loginThrottle.accountKey, accountKey));
  },

  async insertChallenge(tx: Tx, values: typeof authChallenges.$inferInsert): Promise<void> {
    await tx.insert(authChallenges).values(values);
  },

  /** The challenge row, locked: concurrent answers to one challenge are decided one at a time. */
  async lockChallenge(tx: Tx, secretHash: string, purpose: 'mfa', at: Date) {
    const [row] = await tx
      .select()
      .from(authChallenges)
      .where(
        and(
          eq(authChallenges.secretHash, secretHash),
          eq(authChallenges.purpose, purpose),
          isNull(authChallenges.usedAt),
          gt(authChallenges.expiresAt, at),
        ),
      )
      .for('update');
    return row ?? null;
  },

  /** The challenge's user, without locking or spending it (to rate limit before deciding). */
  async peekChallenge(tx: Tx, secretHash: string, purpose: 'mfa', at: Date) {
    const [row] = await tx
      .select({ userId: authChallenges.userId })
      .from(authChallenges)
      .where(
        and(
          eq(authChallenges.secretHash, secretHash),
          eq(authChallenges.purpose, purpose),
          isNull(authChallenges.usedAt),
          gt(authChallenges.expiresAt, at),
        ),
      );
    return row ?? null;
  },

  async countChallengeFailure(tx: Tx, id: string): Promise<void> {
    await tx
      .update(authChallenges)
      .set({ attempts: sql`${authChallenges.attempts} + 1` })
      .where(eq(authChallenges.id, id));
  },

  async useChallenge(tx: Tx, id: string, at: Date): Promise<boolean> {
    const rows = await tx
      .update(authChallenges)
      .set({ usedAt: at })
      .where(and(eq(authChallenges.id, id), isNull(authChallenges.usedAt)))
      .returning({ id: authChallenges.id });
    return rows.length === 1;
  },

  async purgeChallenges(tx: Tx, before: Date): Promise<void> {
    await tx.delete(authChallenges).where(lt(authChallenges.expiresAt, before));
  },
};
