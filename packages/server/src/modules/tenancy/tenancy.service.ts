import type { Db } from '../../db/database.ts';
import { isPgError, PG, pgError } from '../../db/pg-errors.ts';
import type { Role } from '../../db/schema.ts';
import { type TenantContext, withTenant } from '../../db/tenant.ts';
import { access, isClientRole } from './access.ts';
import { tenancyError } from './tenancy.errors.ts';
import { presentClient, presentMember, presentOrganization } from './tenancy.presenters.ts';
import { tenancyRepo as repo } from './tenancy.repo.ts';

export interface TenancyServiceDeps {
  db: Db;
}

export type TenancyService = ReturnType<typeof createTenancyService>;

export function createTenancyService({ db }: TenancyServiceDeps) {
  return {
    async getOrganization(ctx: TenantContext) {
      access.require(ctx, 'organization:read');
      return withTenant(db, ctx, async (tx) => {
        const row = await repo.findOrganization(tx, ctx);
        if (!row) throw tenancyError('ORGANIZATION_NOT_FOUND');
        return presentOrganization(row);
      });
    },

    async listClients(ctx: TenantContext) {
      access.require(ctx, 'client:read');
      return withTenant(db, ctx, async (tx) => (await repo.listClients(tx, ctx)).map(presentClient));
    },

    async getClient(ctx: TenantContext, clientId: string) {
      access.require(ctx, 'client:read');
      return withTenant(db, ctx, async (tx) => {
        const row = await repo.findClient(tx, ctx, clientId);
        // Another tenant's client and a missing one answer the same: existence is not leaked.
        if (!row) throw tenancyError('CLIENT_NOT_FOUND');
        return presentClient(row);
      });
    },

    async createClient(ctx: TenantContext, input: { name: string }) {
      access.require(ctx, 'client:create');
      try {
        return await withTenant(db, ctx, async (tx) => presentClient(await insertedRow(repo.insertClient(tx, ctx, input.name))));
      } catch (error) {
        if (isPgError(error, PG.UNIQUE_VIOLATION)) throw tenancyError('CLIENT_NAME_TAKEN', `a client named "${input.name}" already exists`);
        throw error;
      }
    },

    async renameClient(ctx: TenantContext, clientId: string, input: { name: string }) {
      access.require(ctx, 'client:update');
      try {
        return await withTenant(db, ctx, async (tx) => {
          const row = await repo.renameClient(tx, ctx, clientId, input.name);
          if (!row) throw tenancyError('CLIENT_NOT_FOUND');
          return presentClient(row);
        });
      } catch (error) {
        if (isPgError(error, PG.UNIQUE_VIOLATION)) throw tenancyError('CLIENT_NAME_TAKEN', `a client named "${input.name}" already exists`);
        throw error;
      }
    },

    async deleteClient(ctx: TenantContext, clientId: string) {
      access.require(ctx, 'client:delete');
      try {
        await withTenant(db, ctx, async (tx) => {
          if (!(await repo.deleteClient(tx, ctx, clientId))) throw tenancyError('CLIENT_NOT_FOUND');
        });
      } catch (error) {
        // Assets reference their client with ON DELETE RESTRICT: deleting a client must not
        // silently orphan or destroy a customer's monitoring history.
        const code = pgError(error)?.code;
        if (code === PG.FOREIGN_KEY_VIOLATION || code === PG.RESTRICT_VIOLATION) {
          throw tenancyError('CLIENT_IN_USE', 'move or delete its assets first');
        }
        throw error;
      }
    },

    async listMembers(ctx: TenantContext) {
      access.require(ctx, 'member:read');
      return withTenant(db, ctx, async (tx) => (await repo.listMembers(tx, ctx)).map(presentMember));
    },

    /** Adds an existing user to the organization (invitations by email come with the auth module). */
    async addMember(ctx: TenantContext, input: { userId: string; role: Role; clientId: string | null }) {
      access.require(ctx, 'member:invite');
      checkRoleShape(ctx, input.role, input.clientId);
      try {
        return await withTenant(db, ctx, async (tx) => {
          if (input.clientId !== null && !(await repo.findClient(tx, ctx, input.clientId))) throw tenancyError('CLIENT_NOT_FOUND');
          const row = await insertedRow(repo.insertMember(tx, ctx, input));
          return row;
        });
      } catch (error) {
        if (isPgError(error, PG.UNIQUE_VIOLATION)) throw tenancyError('MEMBER_EXISTS');
        // The users table is outside the tenant's view; a made-up id shows up as a broken reference.
        if (pgError(error)?.constraint === 'memberships_user_id_fkey') throw tenancyError('USER_NOT_FOUND');
        throw error;
      }
    },

    async updateMember(ctx: TenantContext, memberId: string, input: { role: Role; clientId?: string | null }) {
      access.require(ctx, 'member:update');
      return withTenant(db, ctx, async (tx) => {
        const current = await repo.findMember(tx, ctx, memberId);
        if (!current) throw tenancyError('MEMBER_NOT_FOUND');
        access.requireAssignable(ctx, current.role);
        // An omitted clientId keeps the member's client; an explicit one (or an explicit null) is
        // checked like addMember checks it, never silently replaced.
        const clientId = input.clientId !== undefined ? input.clientId : isClientRole(input.role) ? current.clientId : null;
        checkRoleShape(ctx, input.role, clientId);
        if (clientId !== null && !(await repo.findClient(tx, ctx, clientId))) throw tenancyError('CLIENT_NOT_FOUND');
        if (current.role === 'OWNER' && input.role !== 'OWNER' && (await repo.countOwnersForUpdate(tx, ctx)) <= 1) {
          throw tenancyError('LAST_OWNER');
        }
        const row = await repo.updateMember(tx, ctx, memberId, { role: input.role, clientId });
        if (!row) throw tenancyError('MEMBER_NOT_FOUND');
        return row;
      });
    },

    async removeMember(ctx: TenantContext, memberId: string) {
      access.require(ctx, 'member:remove');
      return withTenant(db, ctx, async (tx) => {
        const current = await repo.findMember(tx, ctx, memberId);
        if (!current) throw tenancyError('MEMBER_NOT_FOUND');
        access.requireAssignable(ctx, current.role);
        if (current.role === 'OWNER' && (await repo.countOwnersForUpdate(tx, ctx)) <= 1) throw tenancyError('LAST_OWNER');
        await repo.deleteMember(tx, ctx, memberId);
      });
    },
  };
}

function checkRoleShape(ctx: TenantContext, role: Role, clientId: string | null): void {
  access.requireAssignable(ctx, role);
  if (isClientRole(role) !== (clientId !== null)) throw tenancyError('CLIENT_ROLE_NEEDS_CLIENT');
  // A CLIENT_OWNER manages people of their own client only.
  if (clientId !== null && !access.seesClient(ctx, clientId)) throw tenancyError('CLIENT_NOT_FOUND');
}

async function insertedRow<T>(promise: Promise<T | undefined>): Promise<T> {
  const row = await promise;
  if (row === undefined) throw new Error('INSERT … RETURNING produced no row');
  return row;
}
