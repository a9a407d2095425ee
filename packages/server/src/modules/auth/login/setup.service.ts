import { and, eq, gt, isNull } from 'drizzle-orm';
import type { Config } from '../../../config/config.ts';
import type { Db } from '../../../db/database.ts';
import { setupTokens, users } from '../../../db/schema.ts';
import { withSystem } from '../../../db/tenant.ts';
import { recordAudit } from '../../audit/audit.service.ts';
import { authError } from '../auth.errors.ts';
import type { NewPasswordCheck } from '../membership/new-password.ts';
import { checkPasswordPolicy, hashPassword } from '../passwords/index.ts';
import { hashToken, type IssuedTokens, type RequestMeta, type SessionService } from '../sessions/session.service.ts';
import { loginRepo } from './login.repo.ts';

/** Rejects a password the policy refuses, naming every reason (the user is choosing one). */
export async function assertPasswordAcceptable(password: string, context: { email?: string; displayName?: string | null }): Promise<void> {
  const verdict = await checkPasswordPolicy(password, { email: context.email, name: context.displayName ?? undefined });
  if (!verdict.ok) {
    throw authError('WEAK_PASSWORD', [...verdict.reasons, ...verdict.feedback].join('; '), { reasons: verdict.reasons });
  }
}

/**
 * The first owner's setup link (printed by `vigil admin bootstrap`): it sets their password and
 * signs them in. The link works once, whatever happens concurrently (conditional UPDATE).
 */
export type SetupService = ReturnType<typeof createSetupService>;

export function createSetupService(deps: {
  db: Db;
  config: Pick<Config, 'auth'>;
  sessions: SessionService;
  checkNewPassword: NewPasswordCheck;
}) {
  return {
    async completeSetup(input: { token: string; password: string }, meta: RequestMeta): Promise<IssuedTokens> {
      if (!/^[A-Za-z0-9_-]{43}$/.test(input.token)) throw authError('SETUP_LINK_INVALID');
      const tokenHash = hashToken(input.token);
      const pending = await withSystem(deps.db, async (tx) => {
        const [row] = await tx
          .select({ userId: setupTokens.userId, email: users.email, displayName: users.displayName })
          .from(setupTokens)
          .innerJoin(users, eq(users.id, setupTokens.userId))
          .where(and(eq(setupTokens.tokenHash, tokenHash), isNull(setupTokens.usedAt), gt(setupTokens.expiresAt, new Date())));
        return row ?? null;
      });
      if (!pending) throw authError('SETUP_LINK_INVALID');
      await deps.checkNewPassword(input.password, pending);
      const passwordHash = await hashPassword(input.password);
      return withSystem(deps.db, async (tx) => {
        const [used] = await tx
          .update(setupTokens)
          .set({ usedAt: new Date() })
          .where(and(eq(setupTokens.tokenHash, tokenHash), isNull(setupTokens.usedAt), gt(setupTokens.expiresAt, new Date())))
          .returning({ orgId: setupTokens.orgId, userId: setupTokens.userId });
        if (!used) throw authError('SETUP_LINK_INVALID');
        await loginRepo.setPasswordHash(tx, used.userId, passwordHash);
        const tokens = await deps.sessions.start(tx, { userId: used.userId, orgId: used.orgId, method: 'setup', mfaVerified: false }, meta);
        await recordAudit(
          tx,
          { system: true, orgId: used.orgId },
          {
            action: 'auth.setup.completed',
            actorKind: 'user',
            actorUserId: used.userId,
            targetType: 'user',
            targetId: used.userId,
            ip: meta.ip,
            userAgent: meta.userAgent,
          },
        );
        return tokens;
      });
    },
  };
}
