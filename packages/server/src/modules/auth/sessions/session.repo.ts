import { and, desc, eq, gt, isNull, ne, sql } from 'drizzle-orm';
import type { Tx } from '../../../db/database.ts';
import { memberships, organizations, refreshTokens, type SessionMethod, sessions, users } from '../../../db/schema.ts';

export type SessionRow = typeof sessions.$inferSelect;

export interface NewSession {
  userId: string;
  orgId: string;
  method: SessionMethod;
  mfaVerified: boolean;
  ip: string | null;
  userAgent: string | null;
  device: string | null;
  idleExpiresAt: Date;
  absoluteExpiresAt: Date;
}

/** Every query runs in the system scope (the caller's transaction); sessions belong to no tenant. */
export const sessionRepo = {
  async insert(tx: Tx, session: NewSession): Promise<SessionRow> {
    const [row] = await tx.insert(sessions).values(session).returning();
    if (!row) throw new Error('INSERT … RETURNING produced no row');
    return row;
  },

  async insertRefreshToken(tx: Tx, sessionId: string, tokenHash: string): Promise<void> {
    await tx.insert(refreshTokens).values({ sessionId, tokenHash });
  },

  /** The token's row and its session, locked: concurrent refreshes of one token queue here. */
  async lockByRefreshToken(tx: Tx, tokenHash: string) {
    const [row] = await tx
      .select({ token: refreshTokens, session: sessions })
      .from(refreshTokens)
      .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
      .where(eq(refreshTokens.tokenHash, tokenHash))
      .for('update');
    return row ?? null;
  },

  /** Marks the token exchanged; false when another request already did (the caller then has reuse). */
  async markRotated(tx: Tx, tokenHash: string, at: Date): Promise<boolean> {
    const rows = await tx
      .update(refreshTokens)
      .set({ rotatedAt: at })
      .where(and(eq(refreshTokens.tokenHash, tokenHash), isNull(refreshTokens.rotatedAt)))
      .returning({ tokenHash: refreshTokens.tokenHash });
    return rows.length === 1;
  },

  async touch(tx: Tx, sessionId: string, at: Date, idleExpiresAt: Date, ip: string | null, userAgent: string | null): Promise<void> {
    await tx.update(sessions).set({ lastUsedAt: at, idleExpiresAt, ip, userAgent }).where(eq(sessions.id, sessionId));
  },

  async markMfaVerified(tx: Tx, sessionId: string): Promise<void> {
    await tx
      .update(sessions)
      .set({ mfaVerified: true })
      .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)));
  },

  async revoke(tx: Tx, sessionId: string, reason: string, at: Date): Promise<SessionRow | null> {
    const [row] = await tx
      .update(sessions)
      .set({ revokedAt: at, revokedReason: reason })
      .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)))
      .returning();
    return row ?? null;
  },

  /** Revokes a user's live sessions (in one organization, or all), optionally sparing one. */
  async revokeForUser(tx: Tx, userId: string, reason: string, at: Date, opts: { orgId?: string; except?: string } = {}): Promise<number> {
    const rows = await tx
      .update(sessions)
      .set({ revokedAt: at, revokedReason: reason })
      .where(
        and(
          eq(sessions.userId, userId),
          isNull(sessions.revokedAt),
          opts.orgId ? eq(sessions.orgId, opts.orgId) : undefined,
          opts.except ? ne(sessions.id, opts.except) : undefined,
        ),
      )
      .returning({ id: sessions.id });
    return rows.length;
  },

  async listLive(tx: Tx, userId: string, at: Date): Promise<SessionRow[]> {
    return tx
      .select()
      .from(sessions)
      .where(
        and(eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.idleExpiresAt, at), gt(sessions.absoluteExpiresAt, at)),
      )
      .orderBy(desc(sessions.lastUsedAt));
  },

  async findForUser(tx: Tx, userId: string, sessionId: string): Promise<SessionRow | null> {
    const [row] = await tx
      .select()
      .from(sessions)
      .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId)));
    return row ?? null;
  },

  /**
   * What an access token stands for right now: its session live, its user enabled and still a
   * member of the token's organization, with the member's current role. One query per request,
   * so logout, removal and role changes take effect on the next request, not at token expiry.
   */
  async resolveAccess(tx: Tx, sessionId: string, userId: string, orgId: string, at: Date) {
    const [row] = await tx
      .select({
        sessionId: sessions.id,
        mfaVerified: sessions.mfaVerified,
        role: memberships.role,
        clientId: memberships.clientId,
        orgSettings: organizations.settings,
      })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .innerJoin(memberships, and(eq(memberships.userId, sessions.userId), eq(memberships.orgId, sessions.orgId)))
      .innerJoin(organizations, eq(organizations.id, sessions.orgId))
      .where(
        and(
          eq(sessions.id, sessionId),
          eq(sessions.userId, userId),
          eq(sessions.orgId, orgId),
          isNull(sessions.revokedAt),
          gt(sessions.idleExpiresAt, at),
          gt(sessions.absoluteExpiresAt, at),
          isNull(users.disabledAt),
          isNull(users.erasedAt),
        ),
      );
    return row ?? null;
  },

  /** Drops sessions that ended long ago (their refresh tokens go with them). */
  async purgeEnded(tx: Tx, before: Date): Promise<number> {
    const rows = await tx
      .delete(sessions)
      .where(sql`coalesce(${sessions.revokedAt}, least(${sessions.idleExpiresAt}, ${sessions.absoluteExpiresAt})) < ${before}`)
      .returning({ id: sessions.id });
    return rows.length;
  },
};
