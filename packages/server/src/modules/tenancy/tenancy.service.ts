import type { Db } from '../../db/database.ts';
import { isPgError, PG, pgError } from '../../db/pg-errors.ts';
import type { Role } from '../../db/schema.ts';
import { switchScope, type TenantContext, withTenant } from '../../db/tenant.ts';
import { fail } from '../../lib/app-error.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { revokeKeysCreatedBy } from '../auth/api-keys/index.ts';
import { sessionRepo } from '../auth/sessions/session.repo.ts';
import { access, isClientRole } from './access.ts';
import { clientVanished } from './client-references.ts';
import { tenancyError } from './tenancy.errors.ts';
import { presentAddedMember, presentClient, presentMember, presentOrganization } from './tenancy.presenters.ts';
import { tenancyRepo as repo, usersRepo } from './tenancy.repo.ts';
import { type AddMemberInput, addMemberInput } from './tenancy.schemas.ts';

export interface TenancyServiceDeps {
  db: Db;
}

/** Who asked, for the audit trail: the request's address and the kind of credential it carried. */
export interface MemberChangeMeta {
  actorKind?: 'user' | 'api_key';
  ip?: string | null;
  userAgent?: string | null;
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

    /**
     * Makes the person with this email a member, creating their user account when there is none.
     *
     * Consent: nobody should be put into an organization, and shown to its members, without
     * agreeing to it. The auth issue puts an invitation in front of this method: an inviter only
     * sends an invitation, the invitee accepts it, and accepting calls this method. Until then no
     * route reaches it.
     *
     * The person is named by email, never by user id. Attaching any user id let one organization
     * pull in another organization's user and read their email through `listMembers` (the
     * `users_org_read` policy shows users who have a membership here), and told it which ids
     * exist. The email the inviter knew already, so listing it afterwards reveals nothing new.
     * Nor does the call reveal whether the account existed before: both cases run the same checks
     * in the same order, fail with the same errors, and answer from the inviter's own input (see
     * presentAddedMember). The account's own profile (its display name) is shown to the members
     * only once it has joined, which after the auth issue means once its owner agreed to.
     */
    async addMember(ctx: TenantContext, raw: AddMemberInput) {
      access.require(ctx, 'member:invite');
      // No route validates this input yet (the invitation flow will call it): check it here, so a
      // malformed email is a 400 rather than a CHECK violation, and never an account.
      const parsed = addMemberInput.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw fail('VALIDATION_FAILED', `${issue?.path.join('.') || 'input'}: ${issue?.message}`);
      }
      const input = parsed.data;
      // Privilege escalation: the role checks come before anything is looked up, so they cannot
      // depend on (or reveal) the account.
      checkRoleShape(ctx, input.role, input.clientId);
      // users_email_key compares in lower case; one canonical form keeps the answer the same
      // whatever casing the account was stored with.
      const email = input.email.toLowerCase();
      try {
        // One transaction: a refused or failed call leaves no account behind.
        return await withTenant(db, ctx, async (tx) => {
          if (input.clientId !== null && !(await repo.findClient(tx, ctx, input.clientId))) throw tenancyError('CLIENT_NOT_FOUND');
          // Users belong to no tenant; only the system scope may read them by email or create them.
          // Attaching a user to an organization is a system-scope write (RLS allows no tenant to
          // create memberships); every check on the actor has passed above.
          await switchScope.toSystem(tx);
          const userId = await usersRepo.findOrCreateByEmail(tx, email);
          const row = await insertedRow(repo.insertMember(tx, ctx, { userId, role: input.role, clientId: input.clientId }));
          await switchScope.toTenant(tx, ctx);
          return presentAddedMember(row, email);
        });
      } catch (error) {
        // Only a member of this very organization collides, which the actor can list anyway.
        if (isPgError(error, PG.UNIQUE_VIOLATION)) throw tenancyError('MEMBER_EXISTS');
        if (clientVanished(error, 'memberships_client_fkey')) throw tenancyError('CLIENT_NOT_FOUND');
        throw error;
      }
    },

    async updateMember(ctx: TenantContext, memberId: string, input: { role: Role; clientId?: string | null }, meta: MemberChangeMeta = {}) {
      access.require(ctx, 'member:update');
      try {
        return await withTenant(db, ctx, async (tx) => {
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
          if (!(await repo.updateMember(tx, ctx, memberId, { role: input.role, clientId }))) throw tenancyError('MEMBER_NOT_FOUND');
          if (current.role !== input.role || current.clientId !== clientId) {
            await recordAudit(tx, ctx, {
              action: 'member.role_changed',
              ...auditMeta(meta),
              targetType: 'membership',
              targetId: memberId,
              clientId: clientId ?? current.clientId,
              before: { role: current.role, clientId: current.clientId },
              after: { role: input.role, clientId },
              details: { userId: current.userId },
            });
          }
          const view = await repo.findMemberView(tx, ctx, memberId);
          if (!view) throw tenancyError('MEMBER_NOT_FOUND');
          return presentMember(view);
        });
      } catch (error) {
        if (clientVanished(error, 'memberships_client_fkey')) throw tenancyError('CLIENT_NOT_FOUND');
        throw error;
      }
    },

    /**
     * Removes a member, and in the same transaction ends what they hold in the organization:
     * their sessions there and the API keys they created. Authentication already refuses both once
     * the membership is gone; revoking them makes that visible (session list, key list, audit)
     * and keeps them dead should the person be invited back.
     */
    async removeMember(ctx: TenantContext, memberId: string, meta: MemberChangeMeta = {}) {
      access.require(ctx, 'member:remove');
      return withTenant(db, ctx, async (tx) => {
        const current = await repo.findMember(tx, ctx, memberId);
        if (!current) throw tenancyError('MEMBER_NOT_FOUND');
        access.requireAssignable(ctx, current.role);
        if (current.role === 'OWNER' && (await repo.countOwnersForUpdate(tx, ctx)) <= 1) throw tenancyError('LAST_OWNER');
        await repo.deleteMember(tx, ctx, memberId);
        const keyMeta = { ip: meta.ip ?? null, userAgent: meta.userAgent ?? null };
        // Their keys as the actor sees them (audited as the actor), then, in the system scope,
        // any the actor's client-bound view hides (a key made before a demotion to a client role).
        const apiKeys = await revokeKeysCreatedBy(tx, ctx, current.userId, keyMeta);
        await switchScope.toSystem(tx);
        const system = { system: true as const, orgId: ctx.orgId };
        apiKeys.push(...(await revokeKeysCreatedBy(tx, system, current.userId, keyMeta)));
        // Sessions belong to no tenant: the system scope, for this organization only.
        const sessions = await sessionRepo.revokeForUser(tx, current.userId, 'member_removed', new Date(), { orgId: ctx.orgId });
        await recordAudit(tx, system, {
          action: 'member.removed',
          ...auditMeta(meta),
          actorKind: ctx.userId ? 'user' : (meta.actorKind ?? 'system'),
          actorUserId: ctx.userId,
          targetType: 'membership',
          targetId: memberId,
          clientId: current.clientId,
          before: { role: current.role, clientId: current.clientId },
          details: { userId: current.userId, sessionsRevoked: sessions, apiKeysRevoked: apiKeys.length },
        });
      });
    },
  };
}

function auditMeta(meta: MemberChangeMeta) {
  return { ...(meta.actorKind ? { actorKind: meta.actorKind } : {}), ip: meta.ip ?? null, userAgent: meta.userAgent ?? null };
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
