import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Tx } from '../../db/database.ts';
import { clients, memberships, organizations, type Role, users } from '../../db/schema.ts';
import type { TenantContext } from '../../db/tenant.ts';

const memberColumns = {
  id: memberships.id,
  userId: memberships.userId,
  email: users.email,
  displayName: users.displayName,
  role: memberships.role,
  clientId: memberships.clientId,
  createdAt: memberships.createdAt,
};

/**
 * Every function takes the tenant first and filters by it; RLS would hide other tenants' rows
 * anyway, but the application layer must never depend on that alone.
 */
function clientScope(ctx: TenantContext, column: typeof clients.id | typeof memberships.clientId) {
  return ctx.clientIds === 'all' ? undefined : inArray(column, [...ctx.clientIds]);
}

export const tenancyRepo = {
  async findOrganization(tx: Tx, ctx: TenantContext) {
    const [row] = await tx.select().from(organizations).where(eq(organizations.id, ctx.orgId));
    return row ?? null;
  },

  listClients(tx: Tx, ctx: TenantContext) {
    return tx
      .select()
      .from(clients)
      .where(and(eq(clients.orgId, ctx.orgId), clientScope(ctx, clients.id)))
      .orderBy(asc(clients.name), asc(clients.id));
  },

  async findClient(tx: Tx, ctx: TenantContext, clientId: string) {
    const [row] = await tx
      .select()
      .from(clients)
      .where(and(eq(clients.orgId, ctx.orgId), eq(clients.id, clientId), clientScope(ctx, clients.id)));
    return row ?? null;
  },

  async insertClient(tx: Tx, ctx: TenantContext, name: string) {
    const [row] = await tx.insert(clients).values({ orgId: ctx.orgId, name }).returning();
    return row;
  },

  async renameClient(tx: Tx, ctx: TenantContext, clientId: string, name: string) {
    const [row] = await tx
      .update(clients)
      .set({ name })
      .where(and(eq(clients.orgId, ctx.orgId), eq(clients.id, clientId), clientScope(ctx, clients.id)))
      .returning();
    return row ?? null;
  },

  async deleteClient(tx: Tx, ctx: TenantContext, clientId: string) {
    const rows = await tx
      .delete(clients)
      .where(and(eq(clients.orgId, ctx.orgId), eq(clients.id, clientId), clientScope(ctx, clients.id)))
      .returning({ id: clients.id });
    return rows.length > 0;
  },

  listMembers(tx: Tx, ctx: TenantContext) {
    return tx
      .select(memberColumns)
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(and(eq(memberships.orgId, ctx.orgId), clientScope(ctx, memberships.clientId)))
      .orderBy(asc(users.email));
  },

  /** One member with the user's email and name, as the list shows it. */
  async findMemberView(tx: Tx, ctx: TenantContext, memberId: string) {
    const [row] = await tx
      .select(memberColumns)
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(and(eq(memberships.orgId, ctx.orgId), eq(memberships.id, memberId), clientScope(ctx, memberships.clientId)));
    return row ?? null;
  },

  async findMember(tx: Tx, ctx: TenantContext, memberId: string) {
    const [row] = await tx
      .select()
      .from(memberships)
      .where(and(eq(memberships.orgId, ctx.orgId), eq(memberships.id, memberId), clientScope(ctx, memberships.clientId)));
    return row ?? null;
  },

  async insertMember(tx: Tx, ctx: TenantContext, values: { userId: string; role: Role; clientId: string | null }) {
    const [row] = await tx
      .insert(memberships)
      .values({ orgId: ctx.orgId, ...values })
      .returning();
    return row;
  },

  async updateMember(tx: Tx, ctx: TenantContext, memberId: string, values: { role: Role; clientId: string | null }) {
    const [row] = await tx
      .update(memberships)
      .set(values)
      .where(and(eq(memberships.orgId, ctx.orgId), eq(memberships.id, memberId), clientScope(ctx, memberships.clientId)))
      .returning();
    return row ?? null;
  },

  async deleteMember(tx: Tx, ctx: TenantContext, memberId: string) {
    const rows = await tx
      .delete(memberships)
      .where(and(eq(memberships.orgId, ctx.orgId), eq(memberships.id, memberId), clientScope(ctx, memberships.clientId)))
      .returning({ id: memberships.id });
    return rows.length > 0;
  },

  /** Locks the organization's owner rows so two concurrent demotions cannot both pass the check. */
  async countOwnersForUpdate(tx: Tx, ctx: TenantContext): Promise<number> {
    const rows = await tx
      .select({ id: memberships.id })
      .from(memberships)
      .where(and(eq(memberships.orgId, ctx.orgId), eq(memberships.role, 'OWNER')))
      .for('update');
    return rows.length;
  },
};

/**
 * Users belong to no tenant: these run under the system scope (`switchScope.toSystem`), the only
 * one the `users_system` policy lets write. Emails are compared in lower case, as the unique index
 * `users_email_key` compares them.
 */
export const usersRepo = {
  /** The id of the user with this email, creating the user when there is none. */
  async findOrCreateByEmail(tx: Tx, email: string): Promise<string> {
    const existing = await usersRepo.findIdByEmail(tx, email);
    if (existing) return existing;
    // A concurrent transaction may create the same user between the lookup and the insert: the
    // insert then waits for it and does nothing, and the second lookup sees its committed row.
    const [created] = await tx.insert(users).values({ email }).onConflictDoNothing().returning({ id: users.id });
    const id = created?.id ?? (await usersRepo.findIdByEmail(tx, email));
    if (!id) throw new Error('a user email neither inserted nor found');
    return id;
  },

  async findIdByEmail(tx: Tx, email: string): Promise<string | null> {
    const [row] = await tx
      .select({ id: users.id })
      .from(users)
      .where(eq(sql`lower(${users.email})`, email.toLowerCase()));
    return row?.id ?? null;
  },
};
