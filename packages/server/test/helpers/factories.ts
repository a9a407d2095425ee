import { randomBytes, randomUUID } from 'node:crypto';
import { asc, eq, sql } from 'drizzle-orm';
import type pg from 'pg';
import { expect } from 'vitest';
import type { Db } from '../../src/db/database.ts';
import { type AssetKind, assets, CLIENT_ROLES, clients, memberships, organizations, type Role, users } from '../../src/db/schema.ts';
import { type TenantContext, withSystem, withTenant } from '../../src/db/tenant.ts';
import { AppError } from '../../src/lib/app-error.ts';

/**
 * Factories for database tests: each call writes real rows through the same RLS-bound role the
 * app uses (tenant rows under `withTenant`, users under `withSystem`), so a factory can never
 * create what the policies would refuse. Names, slugs and emails are random: tests share one
 * database per file and stay independent by working in fresh organizations.
 */

export type OrganizationRow = typeof organizations.$inferSelect;
export type ClientRow = typeof clients.$inferSelect;
export type UserRow = typeof users.$inferSelect;
export type MembershipRow = typeof memberships.$inferSelect;
export type AssetRow = typeof assets.$inferSelect;

export interface Actor {
  ctx: TenantContext;
  user: UserRow;
  membership: MembershipRow;
}

/** Every row of every tenancy table that a context can read, with no application filter at all. */
export interface Visible {
  organizations: OrganizationRow[];
  clients: ClientRow[];
  memberships: MembershipRow[];
  users: UserRow[];
  assets: AssetRow[];
}

/** Everything one organization holds, read by an all-seeing context, ordered by id. */
export interface OrgSnapshot {
  organization: OrganizationRow[];
  clients: ClientRow[];
  memberships: MembershipRow[];
  assets: AssetRow[];
}

export function uniqueSuffix(): string {
  return randomBytes(5).toString('hex');
}

export function isClientRole(role: Role): boolean {
  return (CLIENT_ROLES as readonly Role[]).includes(role);
}

/** An org-wide context without a user, for seeding rows the way a migration or a job would. */
export function seedContext(orgId: string): TenantContext {
  return { orgId, userId: null, role: 'OWNER', clientIds: 'all' };
}

/** The context the auth layer builds for a member: client roles see only their client. */
export function contextFor(membership: Pick<MembershipRow, 'orgId' | 'userId' | 'role' | 'clientId'>): TenantContext {
  if (isClientRole(membership.role) && membership.clientId === null) throw new Error(`a ${membership.role} needs a client`);
  return {
    orgId: membership.orgId,
    userId: membership.userId,
    role: membership.role,
    clientIds: membership.clientId === null ? 'all' : [membership.clientId],
  };
}

function one<T>(rows: T[]): T {
  const [row] = rows;
  if (row === undefined) throw new Error('INSERT … RETURNING produced no row');
  return row;
}

export function createFactories(db: Db) {
  const f = {
    async org(input: { name?: string; slug?: string } = {}): Promise<OrganizationRow> {
      const id = randomUUID();
      const suffix = uniqueSuffix();
      return withTenant(db, seedContext(id), async (tx) =>
        one(
          await tx
            .insert(organizations)
            .values({ id, name: input.name ?? `Org ${suffix}`, slug: input.slug ?? `org-${suffix}` })
            .returning(),
        ),
      );
    },

    async client(orgId: string, input: { name?: string } = {}): Promise<ClientRow> {
      return withTenant(db, seedContext(orgId), async (tx) =>
        one(
          await tx
            .insert(clients)
            .values({ orgId, name: input.name ?? `Client ${uniqueSuffix()}` })
            .returning(),
        ),
      );
    },

    async user(input: { email?: string; displayName?: string | null } = {}): Promise<UserRow> {
      return withSystem(db, async (tx) =>
        one(
          await tx
            .insert(users)
            .values({ email: input.email ?? `user-${uniqueSuffix()}@example.test`, displayName: input.displayName ?? null })
            .returning(),
        ),
      );
    },

    async membership(orgId: string, userId: string, role: Role, clientId: string | null = null): Promise<MembershipRow> {
      // Memberships are created in the system scope only, as bootstrap and invitations do.
      return withSystem(db, async (tx) => one(await tx.insert(memberships).values({ orgId, userId, role, clientId }).returning()));
    },

    /** A new user who is a member of `orgId` with `role` (client roles need `clientId`). */
    async member(orgId: string, role: Role, clientId: string | null = null): Promise<{ user: UserRow; membership: MembershipRow }> {
      const user = await f.user();
      const membership = await f.membership(orgId, user.id, role, isClientRole(role) ? clientId : null);
      return { user, membership };
    },

    async asset(orgId: string, input: { clientId?: string | null; kind?: AssetKind; name?: string } = {}): Promise<AssetRow> {
      return withTenant(db, seedContext(orgId), async (tx) =>
        one(
          await tx
            .insert(assets)
            .values({
              orgId,
              clientId: input.clientId ?? null,
              kind: input.kind ?? 'server',
              name: input.name ?? `host-${uniqueSuffix()}.example.test`,
            })
            .returning(),
        ),
      );
    },

    /**
     * A member with `role` and the ready context the auth layer would build for them. A client
     * role is bound to `clientId`, or to a new client of the organization when none is given.
     */
    async actor(orgId: string, role: Role, opts: { clientId?: string } = {}): Promise<Actor> {
      const clientId = isClientRole(role) ? (opts.clientId ?? (await f.client(orgId)).id) : null;
      const { user, membership } = await f.member(orgId, role, clientId);
      return { ctx: contextFor(membership), user, membership };
    },

    /** The account with this email (compared in lower case, like the unique index), if any. */
    async userByEmail(email: string): Promise<UserRow | null> {
      const [row] = await withSystem(db, (tx) =>
        tx
          .select()
          .from(users)
          .where(eq(sql`lower(${users.email})`, email.toLowerCase())),
      );
      return row ?? null;
    },

    /** How many accounts exist, for checking that a refused call created none. */
    async userCount(): Promise<number> {
      return (await withSystem(db, (tx) => tx.select({ id: users.id }).from(users))).length;
    },

    /** What `ctx` sees of every table when it asks for everything: only RLS narrows it. */
    async visibleTo(ctx: TenantContext): Promise<Visible> {
      return withTenant(db, ctx, async (tx) => ({
        organizations: await tx.select().from(organizations).orderBy(asc(organizations.id)),
        clients: await tx.select().from(clients).orderBy(asc(clients.id)),
        memberships: await tx.select().from(memberships).orderBy(asc(memberships.id)),
        users: await tx.select().from(users).orderBy(asc(users.id)),
        assets: await tx.select().from(assets).orderBy(asc(assets.id)),
      }));
    },

    async snapshot(orgId: string): Promise<OrgSnapshot> {
      return withTenant(db, seedContext(orgId), async (tx) => ({
        organization: await tx.select().from(organizations).where(eq(organizations.id, orgId)),
        clients: await tx.select().from(clients).where(eq(clients.orgId, orgId)).orderBy(asc(clients.id)),
        memberships: await tx.select().from(memberships).where(eq(memberships.orgId, orgId)).orderBy(asc(memberships.id)),
        assets: await tx.select().from(assets).where(eq(assets.orgId, orgId)).orderBy(asc(assets.id)),
      }));
    },
  };
  return f;
}

export type Factories = ReturnType<typeof createFactories>;

/**
 * The AppError a service call fails with. The services return promises, so a refusal must
 * reject the promise: a synchronous throw escapes `.catch()` and `Promise.allSettled` callers,
 * and is reported here as a failure of its own.
 */
export async function failureOf(call: () => Promise<unknown>): Promise<AppError> {
  let pending: Promise<unknown>;
  try {
    pending = call();
  } catch (error) {
    throw new Error(`expected a rejected promise, but the call threw synchronously: ${String(error)}`);
  }
  try {
    await pending;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** Asserts the call fails with this code and status; returns the error for further checks. */
export async function expectFailure(call: () => Promise<unknown>, code: string, status: number): Promise<AppError> {
  const error = await failureOf(call);
  expect({ code: error.code, status: error.status }).toEqual({ code, status });
  return error;
}

/**
 * Makes a client vanish between the service's check and its write, on either driver: a trigger
 * deletes the client just before the next row naming it is written to `table`, which is what a
 * concurrent transaction committing at that moment looks like to the foreign key.
 */
export async function deleteClientMidway<T>(
  t: { admin: pg.Client | null; database: { exec(sql: string): Promise<void> } },
  table: 'memberships' | 'assets',
  clientId: string,
  call: () => Promise<T>,
): Promise<T> {
  const name = `vanish_${randomBytes(4).toString('hex')}`;
  const ddl = `
    CREATE FUNCTION vigil.${name}() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
      BEGIN DELETE FROM vigil.clients WHERE id = NEW.client_id; RETURN NEW; END $$;
    CREATE TRIGGER ${name} BEFORE INSERT OR UPDATE ON vigil.${table}
      FOR EACH ROW WHEN (NEW.client_id = '${clientId}') EXECUTE FUNCTION vigil.${name}();`;
  const cleanup = `DROP TRIGGER IF EXISTS ${name} ON vigil.${table}; DROP FUNCTION IF EXISTS vigil.${name}();`;
  // DDL needs the owner: PostgreSQL's admin connection, or PGlite's superuser for a moment.
  const asOwner = async (statements: string) => {
    if (t.admin) await t.admin.query(statements);
    else await t.database.exec(`RESET ROLE; ${statements} SET ROLE vigil_app;`);
  };
  await asOwner(ddl);
  try {
    return await call();
  } finally {
    await asOwner(cleanup);
  }
}
