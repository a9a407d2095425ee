import { sql } from 'drizzle-orm';
import type { Db, Tx } from './database.ts';
import { CLIENT_ROLES, type Role } from './schema.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Who is acting, in which organization, over which of its clients. Built by the auth layer and
 * passed explicitly to every service call; nothing reads it from ambient state.
 */
export interface TenantContext {
  readonly orgId: string;
  readonly userId: string | null;
  readonly role: Role;
  /** 'all' for org-wide roles; otherwise the client ids this actor is bound to. */
  readonly clientIds: 'all' | readonly string[];
}

function assertUuid(value: string, what: string): void {
  // The settings are read back with ::uuid casts in the policies; anything else is a bug.
  if (!UUID.test(value)) throw new TypeError(`${what} must be a UUID`);
}

async function applyTenant(tx: Tx, ctx: TenantContext): Promise<void> {
  assertUuid(ctx.orgId, 'orgId');
  // A client-bound role with an org-wide scope would see every client: refuse to build it.
  if (CLIENT_ROLES.includes(ctx.role as (typeof CLIENT_ROLES)[number]) && ctx.clientIds === 'all') {
    throw new TypeError(`a ${ctx.role} context must name its client`);
  }
  if (ctx.userId !== null) assertUuid(ctx.userId, 'userId');
  if (ctx.clientIds !== 'all') for (const id of ctx.clientIds) assertUuid(id, 'clientId');
  const scope = ctx.clientIds === 'all' ? 'all' : ctx.clientIds.join(',');
  // is_local = true: the settings vanish at COMMIT/ROLLBACK, so a pooled connection never
  // carries one tenant's context into the next transaction.
  await tx.execute(sql`SELECT
    set_config('vigil.scope', 'tenant', true),
    set_config('vigil.org_id', ${ctx.orgId}, true),
    set_config('vigil.user_id', ${ctx.userId ?? ''}, true),
    set_config('vigil.client_scope', ${scope}, true)`);
}

async function applySystem(tx: Tx): Promise<void> {
  await tx.execute(sql`SELECT
    set_config('vigil.scope', 'system', true),
    set_config('vigil.org_id', '', true),
    set_config('vigil.user_id', '', true),
    set_config('vigil.client_scope', '', true)`);
}

/** Runs `fn` in one transaction under the tenant's row-level-security context. */
export function withTenant<T>(db: Db, ctx: TenantContext, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await applyTenant(tx, ctx);
    return fn(tx);
  });
}

/**
 * Runs `fn` in a transaction with the system scope: what no tenant owns (finding a user by email
 * at login, listing organizations for schedulers). Policies grant it only on the tables that
 * name it; tenant data stays out of reach.
 */
export function withSystem<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await applySystem(tx);
    return fn(tx);
  });
}

/** Switches an open transaction's scope, for flows that span both (bootstrap). */
export const switchScope = {
  toTenant: applyTenant,
  toSystem: applySystem,
};
