import { eq } from 'drizzle-orm';
import type { Config } from '../../../config/config.ts';
import type { Db } from '../../../db/database.ts';
import { organizations, users } from '../../../db/schema.ts';
import { withSystem } from '../../../db/tenant.ts';
import type { Actor } from '../../../http/auth.ts';
import { recordAudit } from '../../audit/audit.service.ts';
import { authError } from '../auth.errors.ts';
import { requiresMfa } from '../login/login.service.ts';
import type { SessionRow } from './session.repo.ts';
import type { RequestMeta, SessionService } from './session.service.ts';

/** What the signed-in user asks about themselves and their sessions. */
export function createAccountService(deps: { db: Db; config: Pick<Config, 'auth'>; sessions: SessionService }) {
  return {
    async describe(actor: Actor) {
      const [user] = await withSystem(deps.db, (tx) =>
        tx.select({ email: users.email, displayName: users.displayName }).from(users).where(eq(users.id, actor.id)),
      );
      if (!user || !actor.sessionId) throw authError('REFRESH_INVALID');
      const enrolment = await this.mfaEnrollmentRequired(actor.id, actor.tenant.orgId);
      return {
        userId: actor.id,
        email: user.email,
        displayName: user.displayName,
        orgId: actor.tenant.orgId,
        role: actor.tenant.role,
        clientId: actor.tenant.clientIds === 'all' ? null : (actor.tenant.clientIds[0] ?? null),
        sessionId: actor.sessionId,
        mfaVerified: actor.mfaVerified === true,
        mfaEnrollmentRequired: enrolment && actor.mfaVerified !== true,
      };
    },

    async mfaEnrollmentRequired(_userId: string, orgId: string): Promise<boolean> {
      if (deps.config.auth.requireMfa) return true;
      const [org] = await withSystem(deps.db, (tx) =>
        tx.select({ settings: organizations.settings }).from(organizations).where(eq(organizations.id, orgId)),
      );
      return org ? requiresMfa(deps.config, org.settings) : false;
    },

    async logoutEverywhere(actor: Actor, meta: RequestMeta): Promise<number> {
      return withSystem(deps.db, async (tx) => {
        const count = await deps.sessions.revokeAllForUser(tx, actor.id, 'logout_everywhere');
        await recordAudit(
          tx,
          { system: true, orgId: actor.tenant.orgId },
          {
            action: 'auth.logout_everywhere',
            actorKind: 'user',
            actorUserId: actor.id,
            targetType: 'user',
            targetId: actor.id,
            ip: meta.ip,
            userAgent: meta.userAgent,
            details: { sessions: count },
          },
        );
        return count;
      });
    },

    async auditSessionEnd(session: SessionRow, action: string, meta: RequestMeta): Promise<void> {
      await withSystem(deps.db, (tx) =>
        recordAudit(
          tx,
          { system: true, orgId: session.orgId },
          {
            action,
            actorKind: 'user',
            actorUserId: session.userId,
            targetType: 'session',
            targetId: session.id,
            ip: meta.ip,
            userAgent: meta.userAgent,
          },
        ),
      );
    },
  };
}

export type AccountService = ReturnType<typeof createAccountService>;
