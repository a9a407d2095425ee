import { and, eq, isNotNull } from 'drizzle-orm';
import type { Tx } from '../../db/database.ts';
import { mfaTotp, webauthnCredentials } from '../../db/schema.ts';
import type { Actor } from '../../http/auth.ts';
import { authError } from './auth.errors.ts';
import { sessionRepo } from './sessions/session.repo.ts';

/** Whether the user has any second factor (a confirmed TOTP secret or a passkey). */
export async function hasSecondFactor(tx: Tx, userId: string): Promise<boolean> {
  const totp = await tx
    .select({ userId: mfaTotp.userId })
    .from(mfaTotp)
    .where(and(eq(mfaTotp.userId, userId), isNotNull(mfaTotp.confirmedAt)));
  if (totp.length > 0) return true;
  const passkeys = await tx
    .select({ id: webauthnCredentials.id })
    .from(webauthnCredentials)
    .where(eq(webauthnCredentials.userId, userId))
    .limit(1);
  return passkeys.length > 0;
}

/**
 * Adding, changing or removing a second factor needs a session that passed one, unless the user
 * has none yet (first enrolment). Otherwise a stolen password (or a 15-minute access token) could
 * enrol the attacker's own authenticator and keep the account for good. Call inside the
 * transaction that makes the change, in the system scope.
 */
export async function assertMayChangeFactors(tx: Tx, actor: Actor): Promise<void> {
  if (actor.kind !== 'user') throw authError('USER_ACTOR_REQUIRED');
  if (actor.mfaVerified === true) return;
  if (await hasSecondFactor(tx, actor.id)) {
    throw authError('MFA_REQUIRED', 'log in with your second factor before changing second factors');
  }
}

/**
 * After a user's first second factor is confirmed: this session counts as having passed it (it
 * just proved the factor), and every other session of theirs ends, since those were opened with
 * the password alone and must not outlive the switch to two factors.
 */
export async function afterFirstFactorEnrolled(tx: Tx, actor: Actor, hadFactorBefore: boolean): Promise<void> {
  if (hadFactorBefore || !actor.sessionId) return;
  await sessionRepo.markMfaVerified(tx, actor.sessionId);
  await sessionRepo.revokeForUser(tx, actor.id, 'second_factor_enrolled', new Date(), { except: actor.sessionId });
}
