import { randomBytes } from 'node:crypto';
import type { Config } from '../../../config/config.ts';
import type { Db, Tx } from '../../../db/database.ts';
import { isPgError, PG, pgError } from '../../../db/pg-errors.ts';
import type { Role } from '../../../db/schema.ts';
import { switchScope, type TenantContext, withSystem, withTenant } from '../../../db/tenant.ts';
import type { Actor } from '../../../http/auth.ts';
import { isMailAddress, type Mailer } from '../../../lib/mailer/index.ts';
import type { ActorKind } from '../../audit/audit.chain.ts';
import { recordAudit } from '../../audit/audit.service.ts';
import { access, isClientRole } from '../../tenancy/access.ts';
import { tenancyError } from '../../tenancy/tenancy.errors.ts';
import { tenancyRepo } from '../../tenancy/tenancy.repo.ts';
import { authError } from '../auth.errors.ts';
import { loginRepo } from '../login/login.repo.ts';
import { type Limiter, requiresMfa } from '../login/login.service.ts';
import { hashPassword } from '../passwords/index.ts';
import { hashToken, type IssuedTokens, type RequestMeta, type SessionService } from '../sessions/session.service.ts';
import { type InvitationRow, invitationsRepo as repo } from './invitations.repo.ts';
import { limitPerIp } from './limits.ts';
import { membershipError } from './membership.errors.ts';
import { invitationMail } from './membership.mail.ts';
import type { CreateInvitationInput, InvitationView } from './membership.schemas.ts';
import type { NewPasswordCheck } from './new-password.ts';

export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export interface ActorMeta extends RequestMeta {
  actorKind: ActorKind;
}

export type AcceptOutcome =
  | { kind: 'session'; tokens: IssuedTokens; mfaEnrollmentRequired: boolean }
  | { kind: 'joined'; orgId: string; membershipId: string; role: Role; clientId: string | null };

export interface InvitationsServiceDeps {
  db: Db;
  config: Pick<Config, 'publicUrl' | 'auth'>;
  mailer: Pick<Mailer, 'send'>;
  sessions: Pick<SessionService, 'start'>;
  limiter: Limiter;
  checkNewPassword: NewPasswordCheck;
  now?: () => Date;
}

function present(row: InvitationRow): InvitationView {
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    clientId: row.clientId,
    invitedBy: row.invitedBy,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
  };
}

/** Privilege escalation: nobody invites above their own rank, and a client owner only into their client. */
function checkRoleShape(ctx: TenantContext, role: Role, clientId: string | null): void {
  access.requireAssignable(ctx, role);
  if (isClientRole(role) !== (clientId !== null)) throw tenancyError('CLIENT_ROLE_NEEDS_CLIENT');
  if (clientId !== null && !access.seesClient(ctx, clientId)) throw tenancyError('CLIENT_NOT_FOUND');
}

export type InvitationsService = ReturnType<typeof createInvitationsService>;

export function createInvitationsService(deps: InvitationsServiceDeps) {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());

  /** Adds the membership an invitation grants, in the system scope (the only one that may). */
  async function join(tx: Tx, invitation: InvitationRow, userId: string, meta: RequestMeta) {
    const membership = await repo.insertMembership(tx, {
      orgId: invitation.orgId,
      userId,
      role: invitation.role,
      clientId: invitation.clientId,
    });
    await recordAudit(
      tx,
      { system: true, orgId: invitation.orgId },
      {
        action: 'member.joined',
        actorKind: 'user',
        actorUserId: userId,
        targetType: 'membership',
        targetId: membership.id,
        clientId: invitation.clientId,
        ip: meta.ip,
        userAgent: meta.userAgent,
        details: { invitationId: invitation.id, role: invitation.role },
      },
    );
    return membership;
  }

  return {
    /**
     * Invites an email into the actor's organization. The token (32 random bytes) leaves only in
     * the mail; the row keeps its SHA-256. Should the mail fail, the invitation is revoked at once,
     * so no usable link exists that nobody received.
     */
    async create(ctx: TenantContext, input: CreateInvitationInput, meta: ActorMeta): Promise<InvitationView> {
      access.require(ctx, 'member:invite');
      const clientId = input.clientId ?? null;
      checkRoleShape(ctx, input.role, clientId);
      // users_email_key compares in lower case: one canonical form for every check below.
      const email = input.email.toLowerCase();
      // `.invalid` is reserved (RFC 2606) and is where erased accounts' pseudonyms live: an
      // invitation there could otherwise try to bring an erased person back.
      if (!isMailAddress(email) || email.endsWith('.invalid')) throw membershipError('INVITATION_EMAIL_INVALID');
      const token = randomBytes(32).toString('base64url');
      const at = now();
      let created: { row: InvitationRow; orgName: string };
      try {
        created = await withTenant(db, ctx, async (tx) => {
          if (clientId !== null && !(await tenancyRepo.findClient(tx, ctx, clientId))) throw tenancyError('CLIENT_NOT_FOUND');
          const orgName = await repo.organizationName(tx, ctx);
          // Membership of any client is invisible to a client-bound context: look in the system scope.
          await switchScope.toSystem(tx);
          if (await repo.isMember(tx, ctx.orgId, email)) throw membershipError('ALREADY_MEMBER');
          if (await repo.hasPending(tx, ctx.orgId, email, at)) throw membershipError('INVITATION_PENDING');
          await switchScope.toTenant(tx, ctx);
          const row = await repo.insert(tx, ctx, {
            email,
            role: input.role,
            clientId,
            tokenHash: hashToken(token),
            expiresAt: new Date(at.getTime() + INVITATION_TTL_MS),
          });
          await recordAudit(tx, ctx, {
            action: 'member.invited',
            actorKind: meta.actorKind,
            targetType: 'invitation',
            targetId: row.id,
            clientId,
            ip: meta.ip,
            userAgent: meta.userAgent,
            details: { role: input.role, expiresAt: row.expiresAt.toISOString() },
          });
          return { row, orgName };
        });
      } catch (error) {
        const e = pgError(error);
        if (e?.code === PG.FOREIGN_KEY_VIOLATION && e.constraint === 'invitations_client_fkey') throw tenancyError('CLIENT_NOT_FOUND');
        throw error;
      }
      const { row, orgName } = created;
      try {
        await deps.mailer.send(
          invitationMail(deps.config, { to: email, token, orgId: ctx.orgId, orgName, role: row.role, expiresAt: row.expiresAt }),
        );
      } catch (error) {
        await withTenant(db, ctx, (tx) => repo.revoke(tx, ctx, row.id, now()));
        throw error;
      }
      return present(row);
    },

    async listPending(ctx: TenantContext): Promise<InvitationView[]> {
      access.require(ctx, 'member:invite');
      return withTenant(db, ctx, async (tx) => (await repo.listPending(tx, ctx, now())).map(present));
    },

    async revoke(ctx: TenantContext, invitationId: string, meta: ActorMeta): Promise<void> {
      access.require(ctx, 'member:invite');
      await withTenant(db, ctx, async (tx) => {
        const at = now();
        // Another organization's or client's invitation reads as missing, never as forbidden.
        const row = await repo.findPending(tx, ctx, invitationId, at);
        if (!row) throw membershipError('INVITATION_NOT_FOUND');
        access.requireAssignable(ctx, row.role);
        if (!(await repo.revoke(tx, ctx, invitationId, at))) throw membershipError('INVITATION_NOT_FOUND');
        await recordAudit(tx, ctx, {
          action: 'member.invitation_revoked',
          actorKind: meta.actorKind,
          targetType: 'invitation',
          targetId: row.id,
          clientId: row.clientId,
          ip: meta.ip,
          userAgent: meta.userAgent,
          details: { role: row.role },
        });
      });
    },

    /**
     * Accepts an invitation. Whoever holds the link proves they read the invited mailbox, which is
     * enough to create an account for an email that has none. It is not enough to add an
     * organization to an existing account (that account may have a second factor the link would
     * bypass, and a forwarded or leaked link must not act on it): an existing user accepts while
     * signed in as that very email (`actor`), and gets no new session from it.
     */
    async accept(
      input: { token: string; password?: string; displayName?: string },
      meta: RequestMeta,
      actor: Actor | null,
    ): Promise<AcceptOutcome> {
      await limitPerIp(deps.limiter, 'public', meta);
      const tokenHash = hashToken(input.token);
      const found = await withSystem(db, async (tx) => {
        const invitation = await repo.findPendingByHash(tx, tokenHash, now());
        return invitation ? { invitation, user: await repo.findUser(tx, invitation.email) } : null;
      });
      if (!found) throw membershipError('INVITATION_INVALID');

      try {
        if (actor) return await acceptAsMember(actor);
        return await acceptAsNewUser(found.user !== null, found.invitation.email);
      } catch (error) {
        if (isPgError(error, PG.UNIQUE_VIOLATION)) throw membershipError('ALREADY_MEMBER');
        throw error;
      }

      async function acceptAsMember(signedIn: Actor): Promise<AcceptOutcome> {
        if (signedIn.kind !== 'user') throw authError('USER_ACTOR_REQUIRED');
        if (input.password !== undefined) throw membershipError('INVITATION_PASSWORD_UNEXPECTED');
        return withSystem(db, async (tx) => {
          const email = await repo.userEmail(tx, signedIn.id);
          const invitation = await repo.consume(tx, tokenHash, now());
          if (!invitation) throw membershipError('INVITATION_INVALID');
          // Thrown inside the transaction: the invitation stays unspent for its rightful owner.
          if (email?.toLowerCase() !== invitation.email.toLowerCase()) throw membershipError('INVITATION_EMAIL_MISMATCH');
          const membership = await join(tx, invitation, signedIn.id, meta);
          return {
            kind: 'joined',
            orgId: membership.orgId,
            membershipId: membership.id,
            role: membership.role,
            clientId: membership.clientId,
          };
        });
      }

      async function acceptAsNewUser(accountExists: boolean, email: string): Promise<AcceptOutcome> {
        if (accountExists) throw membershipError('INVITATION_LOGIN_REQUIRED');
        if (input.password === undefined) throw membershipError('INVITATION_PASSWORD_REQUIRED');
        const displayName = input.displayName ?? null;
        await deps.checkNewPassword(input.password, { email, displayName });
        // Hashed before the transaction: a slow argon2id never holds a database connection.
        const passwordHash = await hashPassword(input.password);
        return withSystem(db, async (tx) => {
          const invitation = await repo.consume(tx, tokenHash, now());
          if (!invitation) throw membershipError('INVITATION_INVALID');
          const userId = await repo.insertUser(tx, invitation.email, displayName);
          // Someone created the account meanwhile: it is an existing account now (rolls back the spend).
          if (!userId) throw membershipError('INVITATION_LOGIN_REQUIRED');
          await loginRepo.setPasswordHash(tx, userId, passwordHash);
          await join(tx, invitation, userId, meta);
          const tokens = await deps.sessions.start(tx, { userId, orgId: invitation.orgId, method: 'invitation', mfaVerified: false }, meta);
          const settings = await repo.organizationSettings(tx, invitation.orgId);
          return { kind: 'session', tokens, mfaEnrollmentRequired: requiresMfa(deps.config, settings) };
        });
      }
    },
  };
}
