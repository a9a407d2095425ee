import { createHash, randomBytes } from 'node:crypto';
import type { Config } from '../../../config/config.ts';
import type { Db, Tx } from '../../../db/database.ts';
import { withSystem } from '../../../db/tenant.ts';
import type { Actor } from '../../../http/auth.ts';
import type { Mailer } from '../../../lib/mailer/index.ts';
import type { Logger } from '../../../logger.ts';
import { type AuditEntryInput, recordAudit } from '../../audit/audit.service.ts';
import { authError } from '../auth.errors.ts';
import { loginRepo } from '../login/login.repo.ts';
import { accountKey, type Limiter } from '../login/login.service.ts';
import { dummyVerify, hashPassword, verifyPassword } from '../passwords/index.ts';
import { hashToken, type RequestMeta, type SessionService } from '../sessions/session.service.ts';
import { limit, limitPerIp } from './limits.ts';
import { membershipError } from './membership.errors.ts';
import { passwordResetMail } from './membership.mail.ts';
import type { NewPasswordCheck } from './new-password.ts';
import { passwordsRepo as repo } from './passwords.repo.ts';

export const RESET_TTL_MS = 60 * 60 * 1000;
const MAX_EMAIL_LENGTH = 254;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The per-email rate-limit key: a hash, so the counters name nobody. */
export function resetRateKey(email: string): string {
  return createHash('sha256')
    .update(`password_reset\0${email.normalize('NFKC').trim().toLowerCase()}`)
    .digest('hex');
}

export interface PasswordsServiceDeps {
  db: Db;
  config: Pick<Config, 'publicUrl' | 'auth'>;
  logger: Pick<Logger, 'info' | 'warn'>;
  mailer: Pick<Mailer, 'send'>;
  sessions: Pick<SessionService, 'revokeAllForUser'>;
  limiter: Limiter;
  checkNewPassword: NewPasswordCheck;
  now?: () => Date;
}

export type PasswordsService = ReturnType<typeof createPasswordsService>;

export function createPasswordsService(deps: PasswordsServiceDeps) {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  const sending = new Set<Promise<void>>();

  /** One audit entry per organization of the user: each chain shows its member's credential change. */
  async function auditEverywhere(tx: Tx, userId: string, entry: Omit<AuditEntryInput, 'actorUserId' | 'targetType' | 'targetId'>) {
    for (const orgId of await repo.orgIds(tx, userId)) {
      await recordAudit(
        tx,
        { system: true, orgId },
        { actorKind: 'user', ...entry, actorUserId: userId, targetType: 'user', targetId: userId },
      );
    }
  }

  /**
   * The mail leaves after the answer, never before it: an SMTP round trip only for real accounts
   * would make the response time tell which addresses have one.
   */
  function sendLater(message: Parameters<Mailer['send']>[0]): void {
    const job = deps.mailer.send(message).then(
      () => {},
      (error: unknown) => deps.logger.warn({ mail: { purpose: message.purpose }, err: (error as Error).message }, 'reset mail not sent'),
    );
    sending.add(job);
    void job.finally(() => sending.delete(job));
  }

  return {
    /**
     * Starts a reset. The caller always gets the same answer; the work up to it is the same too
     * (limits, a fresh token and its hash, one lookup), apart from storing the token for a real
     * account. Limited per client IP and per email (hashed), so nobody can mail-bomb an address
     * or probe many from one place.
     */
    async request(rawEmail: string, meta: RequestMeta): Promise<void> {
      const email = String(rawEmail).slice(0, MAX_EMAIL_LENGTH + 1);
      await limitPerIp(deps.limiter, 'password_reset_ip', meta);
      await limit(deps.limiter, 'password_reset', resetRateKey(email));
      const token = randomBytes(32).toString('base64url');
      const tokenHash = hashToken(token);
      const at = now();
      const expiresAt = new Date(at.getTime() + RESET_TTL_MS);
      // PostgreSQL refuses NUL and lone surrogates in text: such a name has no account, so no query.
      const lookupable = email.length <= MAX_EMAIL_LENGTH && !email.includes('\u0000') && !LONE_SURROGATE.test(email);
      const account = await withSystem(db, async (tx) => {
        const found = lookupable ? await loginRepo.findAccount(tx, email) : null;
        if (found) await repo.insertReset(tx, { userId: found.userId, tokenHash, expiresAt });
        return found;
      });
      if (account) sendLater(passwordResetMail(deps.config, { to: account.email, token, expiresAt }));
    },

    /**
     * Sets a new password from a reset link. It does not sign in: the link proves the mailbox,
     * not the second factor, so the owner logs in afterwards like anyone else. Every session of
     * the user ends, and every other reset link dies.
     */
    async complete(input: { token: string; password: string }, meta: RequestMeta): Promise<void> {
      await limitPerIp(deps.limiter, 'public', meta);
      const tokenHash = hashToken(input.token);
      const account = await withSystem(db, (tx) => repo.findResetAccount(tx, tokenHash, now()));
      if (!account) throw membershipError('RESET_LINK_INVALID');
      await deps.checkNewPassword(input.password, account);
      const passwordHash = await hashPassword(input.password);
      await withSystem(db, async (tx) => {
        const at = now();
        const userId = await repo.consumeReset(tx, tokenHash, at);
        if (!userId) throw membershipError('RESET_LINK_INVALID');
        await loginRepo.setPasswordHash(tx, userId, passwordHash);
        await repo.spendAllResets(tx, userId, at);
        const sessions = await deps.sessions.revokeAllForUser(tx, userId, 'password_reset');
        // The owner proved the mailbox: a lockout earned by someone guessing the old password ends.
        await loginRepo.clearFailures(tx, accountKey(account.email));
        await auditEverywhere(tx, userId, { action: 'auth.password.reset', ip: meta.ip, userAgent: meta.userAgent, details: { sessions } });
      });
    },

    /**
     * Changes the signed-in user's password. The current password is checked (a stolen access
     * token alone must not take the account over) and counted against the same per-account limit
     * as logins, so this route is no faster way to guess it. Other sessions end; this one stays.
     */
    async change(actor: Actor, input: { currentPassword: string; newPassword: string }, meta: RequestMeta): Promise<void> {
      if (actor.kind !== 'user' || !actor.sessionId) throw authError('USER_ACTOR_REQUIRED');
      const account = await withSystem(db, (tx) => repo.findAccount(tx, actor.id));
      if (!account) throw authError('USER_ACTOR_REQUIRED');
      await limit(deps.limiter, 'login_account', accountKey(account.email));
      let verified = false;
      if (account.passwordHash) ({ ok: verified } = await verifyPassword(account.passwordHash, input.currentPassword));
      else await dummyVerify(input.currentPassword);
      if (!verified) {
        await withSystem(db, (tx) =>
          auditEverywhere(tx, actor.id, { action: 'auth.password.change_failed', ip: meta.ip, userAgent: meta.userAgent }),
        );
        throw authError('PASSWORD_INCORRECT');
      }
      await deps.checkNewPassword(input.newPassword, account);
      const passwordHash = await hashPassword(input.newPassword);
      const sessionId = actor.sessionId;
      await withSystem(db, async (tx) => {
        await loginRepo.setPasswordHash(tx, actor.id, passwordHash);
        await repo.spendAllResets(tx, actor.id, now());
        const sessions = await deps.sessions.revokeAllForUser(tx, actor.id, 'password_changed', { except: sessionId });
        await auditEverywhere(tx, actor.id, {
          action: 'auth.password.changed',
          ip: meta.ip,
          userAgent: meta.userAgent,
          details: { sessions, keptSession: sessionId },
        });
      });
    },

    /** Waits for reset mails still being sent (shutdown). */
    async drain(): Promise<void> {
      await Promise.allSettled([...sending]);
    },
  };
}
