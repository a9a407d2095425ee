import { and, asc, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Tx } from '../../../db/database.ts';
import { authChallenges, users, webauthnCredentials } from '../../../db/schema.ts';

/**
 * Data access for passkeys and their challenges. Both tables are reachable in the system scope
 * only, so every function expects a `withSystem` transaction and filters by the user itself.
 */

export type WebauthnPurpose = 'webauthn_register' | 'webauthn_login';
export type PasskeyRow = typeof webauthnCredentials.$inferSelect;

export interface ConsumedChallenge {
  userId: string | null;
  challenge: string;
}

export const passkeysRepo = {
  async findUser(tx: Tx, userId: string) {
    const [row] = await tx
      .select({ id: users.id, email: users.email, displayName: users.displayName })
      .from(users)
      .where(and(eq(users.id, userId), isNull(users.erasedAt)));
    return row ?? null;
  },

  async insertChallenge(
    tx: Tx,
    input: { purpose: WebauthnPurpose; userId: string | null; secretHash: string; challenge: string; ttlSeconds: number },
  ): Promise<void> {
    await tx.insert(authChallenges).values({
      purpose: input.purpose,
      userId: input.userId,
      secretHash: input.secretHash,
      data: { challenge: input.challenge },
      // The database's clock decides expiry, on insert as on consumption.
      expiresAt: sql`now() + make_interval(secs => ${input.ttlSeconds})`,
    });
  },

  /**
   * Marks a live challenge used and returns it, in one conditional UPDATE: of any number of
   * concurrent answers to the same challenge exactly one sees a row (a replay sees none).
   * `userId`, when given, confines the match to challenges issued to that user.
   */
  async consumeChallenge(tx: Tx, purpose: WebauthnPurpose, secretHash: string, userId?: string): Promise<ConsumedChallenge | null> {
    const [row] = await tx
      .update(authChallenges)
      .set({ usedAt: sql`now()` })
      .where(
        and(
          eq(authChallenges.secretHash, secretHash),
          eq(authChallenges.purpose, purpose),
          userId === undefined ? undefined : eq(authChallenges.userId, userId),
          isNull(authChallenges.usedAt),
          gt(authChallenges.expiresAt, sql`now()`),
        ),
      )
      .returning({ userId: authChallenges.userId, data: authChallenges.data });
    if (!row || typeof row.data.challenge !== 'string') return null;
    return { userId: row.userId, challenge: row.data.challenge };
  },

  listByUser(tx: Tx, userId: string): Promise<PasskeyRow[]> {
    return tx
      .select()
      .from(webauthnCredentials)
      .where(eq(webauthnCredentials.userId, userId))
      .orderBy(asc(webauthnCredentials.createdAt), asc(webauthnCredentials.id));
  },

  async findByCredentialId(tx: Tx, credentialId: string): Promise<PasskeyRow | null> {
    const [row] = await tx.select().from(webauthnCredentials).where(eq(webauthnCredentials.credentialId, credentialId));
    return row ?? null;
  },

  /** Null when the credential id is already registered (to anyone): never an error that aborts the transaction. */
  async insert(
    tx: Tx,
    values: { userId: string; credentialId: string; publicKey: Uint8Array; signCount: number; transports: string[]; name: string },
  ): Promise<PasskeyRow | null> {
    const [row] = await tx.insert(webauthnCredentials).values(values).onConflictDoNothing().returning();
    return row ?? null;
  },

  /**
   * Stores a use and its counter only if the counter still moves forward (or both are zero, the
   * authenticators that keep no counter): two assertions racing on one credential cannot both
   * store, and the stored value never goes back.
   */
  async recordUse(tx: Tx, id: string, signCount: number): Promise<boolean> {
    const rows = await tx
      .update(webauthnCredentials)
      .set({ signCount, lastUsedAt: sql`now()` })
      .where(
        and(
          eq(webauthnCredentials.id, id),
          signCount === 0 ? eq(webauthnCredentials.signCount, 0) : sql`${webauthnCredentials.signCount} < ${signCount}`,
        ),
      )
      .returning({ id: webauthnCredentials.id });
    return rows.length === 1;
  },

  async rename(tx: Tx, userId: string, id: string, name: string): Promise<PasskeyRow | null> {
    const [row] = await tx
      .update(webauthnCredentials)
      .set({ name })
      .where(and(eq(webauthnCredentials.userId, userId), eq(webauthnCredentials.id, id)))
      .returning();
    return row ?? null;
  },

  async remove(tx: Tx, userId: string, id: string): Promise<PasskeyRow | null> {
    const [row] = await tx
      .delete(webauthnCredentials)
      .where(and(eq(webauthnCredentials.userId, userId), eq(webauthnCredentials.id, id)))
      .returning();
    return row ?? null;
  },
};
