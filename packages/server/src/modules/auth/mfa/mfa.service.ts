import type { Db, Tx } from '../../../db/database.ts';
import { switchScope, withSystem } from '../../../db/tenant.ts';
import type { Actor } from '../../../http/auth.ts';
import type { RateLimiter } from '../../../http/rate-limit/index.ts';
import { fail, rateLimited } from '../../../lib/app-error.ts';
import type { Keyring, KeyringSource } from '../../../lib/keys/index.ts';
import type { Logger } from '../../../logger.ts';
import { type AuditEntryInput, recordAudit } from '../../audit/audit.service.ts';
import { afterFirstFactorEnrolled, assertMayChangeFactors, hasSecondFactor } from '../factor-guard.ts';
import { regenerateBackupCodes, remainingBackupCodes } from './backup-codes.ts';
import { mfaError } from './mfa.errors.ts';
import { mfaRepo } from './mfa.repo.ts';
import type { MfaStatusView } from './mfa.schemas.ts';
import {
  confirmTotpEnrolment,
  disableTotp,
  type MfaKeys,
  startTotpEnrolment,
  type TotpEnrolment,
  verifySecondFactor,
  verifyTotp,
} from './totp.service.ts';

export interface MfaServiceDeps {
  db: Db;
  /**
   * The keys (the `mfa` purpose, MFA_KEK). Pass the process's KeyringSource, so a `vigil keys
   * rotate mfa` is picked up without a restart; a fixed Keyring works too.
   */
  keyring: Keyring | Pick<KeyringSource, 'current'>;
  logger: Pick<Logger, 'error'>;
  /** The name authenticator apps show next to the account. */
  issuer?: string;
  /** Milliseconds since the epoch; the TOTP clock. */
  now?: () => number;
  /** Counts code guesses (confirm, disable, regenerate) per user under the `mfa` rule. */
  limiter?: Pick<RateLimiter, 'hit'>;
}

/** Where a request came from, for the audit entry. */
export interface RequestMeta {
  ip?: string | null;
  userAgent?: string | null;
}

export type MfaService = ReturnType<typeof createMfaService>;

/**
 * A signed-in user managing their own second factor. API keys and agent tokens are refused: a
 * leaked key must not be able to switch off its owner's 2FA, nor read the secret of a new one.
 */
function userIdOf(actor: Actor): string {
  // The tenant context must name the same user: an actor built otherwise is a bug, not a user.
  if (actor.kind !== 'user' || actor.tenant.userId !== actor.id) throw mfaError('MFA_USERS_ONLY');
  return actor.id;
}

export function createMfaService({ db, keyring, logger, issuer = 'Vigil', now = Date.now, limiter }: MfaServiceDeps) {
  async function countGuess(userId: string): Promise<void> {
    const decision = await limiter?.hit('mfa', userId);
    if (decision && !decision.allowed) throw rateLimited(decision.retryAfterSeconds);
  }

  // Read per call: the source rereads the key files, and new secrets must use the active key.
  const keysNow = (): MfaKeys => ({ keyring: 'current' in keyring ? keyring.current() : keyring, logger });

  /**
   * Runs `fn` in the system scope (the MFA tables are reachable there only), then records the
   * entry in the actor's own tenant context — these are personal events of a member — in the
   * same transaction: the change and its audit entry commit together or not at all.
   */
  function auditedChange<T>(actor: Actor, meta: RequestMeta, fn: (tx: Tx) => Promise<{ result: T; entry: AuditEntryInput }>) {
    return withSystem(db, async (tx) => {
      const { result, entry } = await fn(tx);
      await switchScope.toTenant(tx, actor.tenant);
      await recordAudit(tx, actor.tenant, { targetType: 'user', targetId: actor.id, ip: meta.ip, userAgent: meta.userAgent, ...entry });
      return result;
    });
  }

  /** A current TOTP code of a confirmed secret, or MFA_NOT_ENABLED / MFA_CODE_INVALID. */
  async function requireTotp(tx: Tx, userId: string, code: string): Promise<void> {
    if (!(await mfaRepo.hasConfirmedTotp(tx, userId))) throw mfaError('MFA_NOT_ENABLED');
    if (!(await verifyTotp(tx, keysNow(), userId, code, now()))) throw mfaError('MFA_CODE_INVALID');
  }

  return {
    async status(actor: Actor): Promise<MfaStatusView> {
      const userId = userIdOf(actor);
      return withSystem(db, async (tx) => {
        const row = await mfaRepo.findTotp(tx, userId);
        return {
          totpEnabled: row?.confirmedAt != null,
          totpEnrolmentPending: row !== null && row.confirmedAt === null,
          backupCodesRemaining: await remainingBackupCodes(tx, userId),
        };
      });
    },

    async startTotp(actor: Actor): Promise<TotpEnrolment> {
      const userId = userIdOf(actor);
      return withSystem(db, async (tx) => {
        const email = await mfaRepo.findAccountEmail(tx, userId);
        if (email === null) throw fail('UNAUTHENTICATED', 'the account no longer exists');
        await assertMayChangeFactors(tx, actor);
        return startTotpEnrolment(tx, keysNow(), { id: userId, email }, issuer);
      });
    },

    async confirmTotp(actor: Actor, code: string, meta: RequestMeta): Promise<{ backupCodes: string[] }> {
      const userId = userIdOf(actor);
      await countGuess(userId);
      return auditedChange(actor, meta, async (tx) => {
        await assertMayChangeFactors(tx, actor);
        const hadFactor = await hasSecondFactor(tx, userId);
        const result = await confirmTotpEnrolment(tx, keysNow(), userId, code, now());
        await afterFirstFactorEnrolled(tx, actor, hadFactor);
        return { result, entry: { action: 'auth.mfa.totp_enabled' } };
      });
    },

    /**
     * Turning 2FA off needs the second factor itself (a current TOTP code or an unused backup
     * code), not just a session: a stolen session or an unlocked laptop must not be enough.
     */
    async disableTotp(actor: Actor, code: string, meta: RequestMeta): Promise<void> {
      const userId = userIdOf(actor);
      await countGuess(userId);
      await auditedChange(actor, meta, async (tx) => {
        if (!(await mfaRepo.hasConfirmedTotp(tx, userId))) throw mfaError('MFA_NOT_ENABLED');
        const method = await verifySecondFactor(tx, keysNow(), userId, code, now());
        if (method === null) throw mfaError('MFA_CODE_INVALID');
        await disableTotp(tx, userId);
        return { result: undefined, entry: { action: 'auth.mfa.totp_disabled', details: { method } } };
      });
    },

    /** New backup codes (the old ones die) against a current TOTP code: a backup code cannot mint more. */
    async regenerateBackupCodes(actor: Actor, code: string, meta: RequestMeta): Promise<{ backupCodes: string[] }> {
      const userId = userIdOf(actor);
      await countGuess(userId);
      return auditedChange(actor, meta, async (tx) => {
        await requireTotp(tx, userId, code);
        return { result: { backupCodes: await regenerateBackupCodes(tx, userId) }, entry: { action: 'auth.mfa.backup_codes_regenerated' } };
      });
    },
  };
}
