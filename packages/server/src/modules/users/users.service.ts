import type { Db, Tx } from '../../db/database.ts';
import { switchScope, type TenantContext, withSystem, withTenant } from '../../db/tenant.ts';
import type { Actor } from '../../http/auth.ts';
import type { RateLimiter } from '../../http/rate-limit/index.ts';
import { fail, rateLimited } from '../../lib/app-error.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { authError } from '../auth/auth.errors.ts';
import { accountKey } from '../auth/login/login.service.ts';
import { verifyPassword } from '../auth/passwords/index.ts';
import { access } from '../tenancy/access.ts';
import { tenancyError } from '../tenancy/tenancy.errors.ts';
import { usersError } from './users.errors.ts';
import { type MembershipRef, usersRepo as repo } from './users.repo.ts';
import type { EraseSelfBody } from './users.schemas.ts';

/** How recent a login must be to stand in for a password (accounts without one). */
export const REAUTH_WINDOW_MS = 5 * 60_000;

export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
}

export interface UsersServiceDeps {
  db: Db;
  /** Password confirmations count against the account's login budget, as logins do. */
  limiter: Pick<RateLimiter, 'hit'>;
  now?: () => Date;
}

export type UsersService = ReturnType<typeof createUsersService>;

/** An org-wide context with no user: what erasure uses to act on one organization's rows. */
const orgContext = (orgId: string): TenantContext => ({ orgId, userId: null, role: 'OWNER', clientIds: 'all' });

/**
 * Refuses to leave an organization without an owner. The owners are locked, so two owners
 * erasing themselves at once are decided one after the other; organizations are taken in id
 * order, so two erasures never wait for each other crosswise. Returns in the system scope.
 */
async function refuseLastOwner(tx: Tx, userId: string, memberships: readonly MembershipRef[]): Promise<void> {
  const stranded: string[] = [];
  for (const m of memberships.filter((x) => x.role === 'OWNER')) {
    await switchScope.toTenant(tx, orgContext(m.orgId));
    const owners = await repo.lockOwners(tx, orgContext(m.orgId));
    if (!owners.some((id) => id !== userId)) stranded.push(m.orgId);
  }
  await switchScope.toSystem(tx);
  if (stranded.length > 0) {
    throw tenancyError(
      'LAST_OWNER',
      `you are the only owner of ${stranded.length === 1 ? 'an organization' : `${stranded.length} organizations`} (${stranded.join(', ')}): make another member an owner first`,
      { organizations: stranded },
    );
  }
}

export function createUsersService({ db, limiter, now = () => new Date() }: UsersServiceDeps) {
  /**
   * Erasure cannot be undone, so a stolen access token alone must not do it: the password is
   * checked again (every try counts against the account's login budget, so this is no side
   * door for brute force); an account without one (passkeys only) needs a login in the last minutes.
   */
  async function reauthenticate(actor: Actor, password: string | undefined): Promise<string | null> {
    const account = await withSystem(db, (tx) => repo.lockUser(tx, actor.id));
    if (!account) throw fail('UNAUTHENTICATED');
    if (account.passwordHash === null) {
      const started = actor.sessionId ? await withSystem(db, (tx) => repo.sessionStartedAt(tx, actor.id, actor.sessionId as string)) : null;
      if (!started || now().getTime() - started.getTime() > REAUTH_WINDOW_MS) {
        throw usersError('REAUTHENTICATION_REQUIRED', 'this account has no password: log in again, then erase it within 5 minutes');
      }
      return null;
    }
    if (password === undefined) throw usersError('REAUTHENTICATION_REQUIRED', 'send your password: {"password": "…"}');
    // Counted before the hash, as at login: a burst of concurrent guesses cannot all slip in.
    const budget = await limiter.hit('login_account', accountKey(account.email));
    if (!budget.allowed) throw rateLimited(budget.retryAfterSeconds);
    // Outside any transaction: the slow hash never holds a database connection.
    const { ok } = await verifyPassword(account.passwordHash, password);
    if (!ok) throw authError('PASSWORD_INCORRECT');
    return account.passwordHash;
  }

  return {
    /**
     * Erases the signed-in person (DELETE /users/me): every credential, session, invitation and
     * mail of theirs deleted, their row reduced to a pseudonym, their audit data keys destroyed,
     * their memberships removed, and `user.erased` recorded in each organization they left.
     */
    async eraseSelf(actor: Actor, body: EraseSelfBody): Promise<void> {
      // An API key is an organization's credential, not the person's consent.
      if (actor.kind !== 'user') throw authError('USER_ACTOR_REQUIRED');
      const checkedHash = await reauthenticate(actor, body.password);
      await withSystem(db, async (tx) => {
        const user = await repo.lockUser(tx, actor.id);
        // Gone, or the password changed since it was checked: confirm again.
        if (!user) throw fail('UNAUTHENTICATED');
        if (user.passwordHash !== checkedHash) throw usersError('REAUTHENTICATION_REQUIRED', 'the password changed; confirm again');
        const memberships = await repo.memberships(tx, actor.id);
        await refuseLastOwner(tx, actor.id, memberships);
        await repo.eraseAccount(
          tx,
          actor.id,
          user,
          memberships.map((m) => m.orgId),
          accountKey(user.email),
        );
        for (const m of memberships) {
          await switchScope.toTenant(tx, orgContext(m.orgId));
          await repo.deleteMembership(tx, orgContext(m.orgId), m.id);
          await switchScope.toSystem(tx);
          // No IP address or user agent: they would be the erased person's, recorded anew.
          await recordAudit(
            tx,
            { system: true, orgId: m.orgId },
            {
              action: 'user.erased',
              actorKind: 'user',
              actorUserId: actor.id,
              targetType: 'user',
              targetId: actor.id,
              details: { by: 'self', role: m.role },
            },
          );
        }
      });
    },

    /**
     * An owner's or admin's erasure of a member (DELETE /members/:id/personal-data). The member
     * leaves, and everything this organization holds on them goes. Their account itself (email,
     * name, credentials) is erased when no other organization has them; otherwise it stays, for
     * the organizations that do, and the person can erase it themselves. The answer and the
     * audit entry are the same either way: an organization must not learn where else a person is.
     */
    async eraseMember(ctx: TenantContext, memberId: string, meta: RequestMeta): Promise<void> {
      access.require(ctx, 'member:remove');
      // A client owner manages their client's people, not whether Vigil keeps an account.
      if (ctx.clientIds !== 'all') throw usersError('ORG_WIDE_ROLE_REQUIRED');
      await withTenant(db, ctx, async (tx) => {
        const found = await repo.findMember(tx, ctx, memberId);
        if (!found) throw tenancyError('MEMBER_NOT_FOUND');
        if (found.userId === ctx.userId) throw usersError('ERASE_SELF_WITH_USERS_ME');
        // The person's row first, as their own erasure takes it first: the two queue, never cross.
        await switchScope.toSystem(tx);
        const user = await repo.lockUser(tx, found.userId);
        const memberships = user ? await repo.memberships(tx, found.userId) : [];
        const member = memberships.find((m) => m.id === found.id);
        await switchScope.toTenant(tx, ctx);
        if (!user || !member) throw tenancyError('MEMBER_NOT_FOUND');
        // Privilege escalation: an ADMIN cannot erase an OWNER (nor remove one).
        access.requireAssignable(ctx, member.role);
        if (member.role === 'OWNER' && (await repo.lockOwners(tx, ctx)).length <= 1) throw tenancyError('LAST_OWNER');
        await switchScope.toSystem(tx);
        if (memberships.some((m) => m.orgId !== ctx.orgId)) await repo.eraseFromOrganization(tx, member.userId, ctx.orgId, user);
        else await repo.eraseAccount(tx, member.userId, user, [ctx.orgId], accountKey(user.email));
        await switchScope.toTenant(tx, ctx);
        await repo.deleteMembership(tx, ctx, member.id);
        await recordAudit(tx, ctx, {
          action: 'member.erased',
          targetType: 'user',
          targetId: member.userId,
          ip: meta.ip,
          userAgent: meta.userAgent,
          details: { membershipId: member.id, role: member.role },
        });
      });
    },
  };
}
