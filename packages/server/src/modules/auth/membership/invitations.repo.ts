import { and, asc, eq, gt, inArray, isNull, sql } from 'drizzle-orm';
import type { Tx } from '../../../db/database.ts';
import { invitations, memberships, organizations, type Role, users } from '../../../db/schema.ts';
import type { TenantContext } from '../../../db/tenant.ts';

export type InvitationRow = typeof invitations.$inferSelect;

const pending = (at: Date) => and(isNull(invitations.acceptedAt), isNull(invitations.revokedAt), gt(invitations.expiresAt, at));
const clientScope = (ctx: TenantContext) => (ctx.clientIds === 'all' ? undefined : inArray(invitations.clientId, [...ctx.clientIds]));

/** Tenant-scope queries take the context first and filter by it (RLS would too). */
export const invitationsRepo = {
  async insert(
    tx: Tx,
    ctx: TenantContext,
    values: { email: string; role: Role; clientId: string | null; tokenHash: string; expiresAt: Date },
  ): Promise<InvitationRow> {
    const [row] = await tx
      .insert(invitations)
      .values({ ...values, orgId: ctx.orgId, invitedBy: ctx.userId })
      .returning();
    if (!row) throw new Error('INSERT … RETURNING produced no row');
    return row;
  },

  listPending(tx: Tx, ctx: TenantContext, at: Date): Promise<InvitationRow[]> {
    return tx
      .select()
      .from(invitations)
      .where(and(eq(invitations.orgId, ctx.orgId), clientScope(ctx), pending(at)))
      .orderBy(asc(invitations.createdAt), asc(invitations.id));
  },

  async findPending(tx: Tx, ctx: TenantContext, id: string, at: Date): Promise<InvitationRow | null> {
    const [row] = await tx
      .select()
      .from(invitations)
      .where(and(eq(invitations.orgId, ctx.orgId), eq(invitations.id, id), clientScope(ctx), pending(at)));
    return row ?? null;
  },

  async revoke(tx: Tx, ctx: TenantContext, id: string, at: Date): Promise<InvitationRow | null> {
    const [row] = await tx
      .update(invitations)
      .set({ revokedAt: at })
      .where(and(eq(invitations.orgId, ctx.orgId), eq(invitations.id, id), clientScope(ctx), pending(at)))
      .returning();
    return row ?? null;
  },

  async organizationName(tx: Tx, ctx: TenantContext): Promise<string> {
    const [row] = await tx.select({ name: organizations.name }).from(organizations).where(eq(organizations.id, ctx.orgId));
    return row?.name ?? 'Vigil';
  },

  // ---- System scope: the checks no tenant context can see, and the acceptance. ----

  /** Whether the email already belongs to a member of the organization (any client). */
  async isMember(tx: Tx, orgId: string, email: string): Promise<boolean> {
    const [row] = await tx
      .select({ id: memberships.id })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(and(eq(memberships.orgId, orgId), sql`lower(${users.email}) = ${email}`));
    return row !== undefined;
  },

  async hasPending(tx: Tx, orgId: string, email: string, at: Date): Promise<boolean> {
    const [row] = await tx
      .select({ id: invitations.id })
      .from(invitations)
      .where(and(eq(invitations.orgId, orgId), sql`lower(${invitations.email}) = ${email}`, pending(at)));
    return row !== undefined;
  },

  /** A pending invitation by its token's hash, without spending it (to decide what the accept needs). */
  async findPendingByHash(tx: Tx, tokenHash: string, at: Date): Promise<InvitationRow | null> {
    const [row] = await tx
      .select()
      .from(invitations)
      .where(and(eq(invitations.tokenHash, tokenHash), pending(at)));
    return row ?? null;
  },

  /**
   * Spends the invitation: one conditional UPDATE, so of any number of concurrent accepts exactly
   * one gets the row back (the others wait for its lock, re-check, and find it accepted).
   */
  async consume(tx: Tx, tokenHash: string, at: Date): Promise<InvitationRow | null> {
    const [row] = await tx
      .update(invitations)
      .set({ acceptedAt: at })
      .where(and(eq(invitations.tokenHash, tokenHash), pending(at)))
      .returning();
    return row ?? null;
  },

  async findUser(tx: Tx, email: string) {
    const [row] = await tx
      .select({ id: users.id, email: users.email, displayName: users.displayName, disabledAt: users.disabledAt, erasedAt: users.erasedAt })
      .from(users)
      .where(sql`lower(${users.email}) = ${email.toLowerCase()}`);
    return row ?? null;
  },

  async userEmail(tx: Tx, userId: string): Promise<string | null> {
    const [row] = await tx
      .select({ email: users.email })
      .from(users)
      .where(and(eq(users.id, userId), isNull(users.disabledAt), isNull(users.erasedAt)));
    return row?.email ?? null;
  },

  /** Creates the user; null when the email was taken meanwhile (a concurrent sign-up). */
  async insertUser(tx: Tx, email: string, displayName: string | null): Promise<string | null> {
    const [row] = await tx.insert(users).values({ email, displayName }).onConflictDoNothing().returning({ id: users.id });
    return row?.id ?? null;
  },

  async insertMembership(tx: Tx, values: { orgId: string; userId: string; role: Role; clientId: string | null }) {
    const [row] = await tx.insert(memberships).values(values).returning();
    if (!row) throw new Error('INSERT … RETURNING produced no row');
    return row;
  },

  async organizationSettings(tx: Tx, orgId: string): Promise<Record<string, unknown>> {
    const [row] = await tx.select({ settings: organizations.settings }).from(organizations).where(eq(organizations.id, orgId));
    return row?.settings ?? {};
  },
};
