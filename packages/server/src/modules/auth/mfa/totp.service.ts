import type { Tx } from '../../../db/database.ts';
import { type Keyring, needsReseal, open, seal } from '../../../lib/keys/index.ts';
import type { Logger } from '../../../logger.ts';
import { consumeBackupCode, regenerateBackupCodes } from './backup-codes.ts';
import { mfaError } from './mfa.errors.ts';
import { mfaRepo } from './mfa.repo.ts';
import { generateTotpSecret, matchTotpStep, otpauthUri, parseTotpCode, qrCodeDataUrl, secretToBase32 } from './totp.ts';

/**
 * TOTP enrolment and verification. Every function works inside the caller's transaction, which
 * must be in the system scope (`withSystem`, or `switchScope.toSystem`): the login flow calls
 * `verifyTotp` inside its own transaction, next to the challenge it consumes.
 */

/** The MFA key (MFA_KEK) and where to report a secret that does not decrypt. */
export interface MfaKeys {
  keyring: Keyring;
  logger: Pick<Logger, 'error'>;
}

export interface TotpEnrolment {
  /** Base32, for typing into an app by hand. Shown once, at enrolment. */
  secret: string;
  otpauthUri: string;
  /** `data:image/svg+xml;base64,…` */
  qrCodeDataUrl: string;
}

/**
 * The associated data a secret is sealed with. It names the row, so an attacker with write
 * access to the table who copies their own sealed secret into a victim's row (to pass the
 * victim's second factor with their own phone) gets a value that no longer decrypts.
 */
export function totpAad(userId: string): string {
  return `mfa_totp:${userId.toLowerCase()}`;
}

/** The secret, or null (logged) when it does not decrypt: a swapped row, a lost or retired key. */
function openSecret(keys: MfaKeys, userId: string, sealed: string): Buffer | null {
  try {
    return open(keys.keyring, 'mfa', sealed, totpAad(userId));
  } catch (error) {
    const { code, message } = error as { code?: string; message?: string };
    // The detail names a key id at most, never material; the client only ever hears "invalid code".
    keys.logger.error({ userId, err: { code, message } }, 'a stored TOTP secret could not be decrypted; the code was refused');
    return null;
  }
}

/**
 * Starts (or restarts) enrolment: a new secret, sealed and stored unconfirmed until a code from
 * the app proves it was scanned. Refuses (MFA_ALREADY_ENABLED) when a confirmed one exists, so a
 * hijacked session cannot silently move a user's second factor to another phone.
 */
export async function startTotpEnrolment(
  tx: Tx,
  keys: Pick<MfaKeys, 'keyring'>,
  user: { id: string; email: string },
  issuer = 'Vigil',
): Promise<TotpEnrolment> {
  const secret = generateTotpSecret();
  try {
    const stored = await mfaRepo.upsertPendingTotp(tx, user.id, seal(keys.keyring, 'mfa', secret, totpAad(user.id)));
    if (!stored) throw mfaError('MFA_ALREADY_ENABLED');
    const uri = otpauthUri(secret, user.email, issuer);
    return { secret: secretToBase32(secret), otpauthUri: uri, qrCodeDataUrl: await qrCodeDataUrl(uri) };
  } finally {
    secret.fill(0);
  }
}

/**
 * Confirms enrolment with a code from the app and returns the 8 backup codes, once. The code's
 * step becomes `last_step`, so the code that confirmed cannot also pass a login.
 */
export async function confirmTotpEnrolment(
  tx: Tx,
  keys: MfaKeys,
  userId: string,
  input: unknown,
  at: number = Date.now(),
): Promise<{ backupCodes: string[] }> {
  const code = parseTotpCode(input);
  if (code === null) throw mfaError('MFA_CODE_INVALID');
  const row = await mfaRepo.findTotp(tx, userId);
  if (!row) throw mfaError('MFA_ENROLMENT_NOT_STARTED');
  if (row.confirmedAt !== null) throw mfaError('MFA_ALREADY_ENABLED');
  const secret = openSecret(keys, userId, row.secretSealed);
  if (!secret) throw mfaError('MFA_CODE_INVALID');
  let step: number | null;
  try {
    step = matchTotpStep(secret, code, at);
  } finally {
    secret.fill(0);
  }
  if (step === null) throw mfaError('MFA_CODE_INVALID');
  // The secret checked must be the one confirmed: a restart in between replaced it.
  if (!(await mfaRepo.confirmTotp(tx, userId, row.secretSealed, step))) throw mfaError('MFA_ENROLMENT_NOT_STARTED');
  return { backupCodes: await regenerateBackupCodes(tx, userId) };
}

/**
 * True when `input` is a current code of the user's confirmed secret that was not accepted
 * before. False for everything else — malformed input (decided before any query), no confirmed
 * secret, a wrong code, a replayed or older code, a secret that does not decrypt (logged) —
 * without saying which. A secret sealed under a rotated-out key is re-sealed under the active
 * one in the same UPDATE that records the step.
 */
export async function verifyTotp(tx: Tx, keys: MfaKeys, userId: string, input: unknown, at: number = Date.now()): Promise<boolean> {
  const code = parseTotpCode(input);
  if (code === null) return false;
  const row = await mfaRepo.findTotp(tx, userId);
  if (!row || row.confirmedAt === null) return false;
  const secret = openSecret(keys, userId, row.secretSealed);
  if (!secret) return false;
  try {
    const step = matchTotpStep(secret, code, at);
    if (step === null) return false;
    // Replay protection is the conditional UPDATE alone (no earlier check on `row.lastStep`): one
    // guard, atomic under concurrency, that refuses this step if it or a newer one was accepted.
    const resealed = needsReseal(keys.keyring, 'mfa', row.secretSealed)
      ? seal(keys.keyring, 'mfa', secret, totpAad(userId))
      : row.secretSealed;
    return await mfaRepo.acceptTotpStep(tx, userId, row.secretSealed, resealed, step);
  } finally {
    secret.fill(0);
  }
}

/**
 * The second factor of a login step or of turning 2FA off: a current TOTP code, else an unused
 * backup code (which this uses up). Which one passed, or null. Each kind refuses the other's
 * format before any query, so a backup code is never tried as a TOTP code or the reverse.
 */
export async function verifySecondFactor(
  tx: Tx,
  keys: MfaKeys,
  userId: string,
  input: unknown,
  at: number = Date.now(),
): Promise<'totp' | 'backup_code' | null> {
  if (await verifyTotp(tx, keys, userId, input, at)) return 'totp';
  if (await consumeBackupCode(tx, userId, input)) return 'backup_code';
  return null;
}

/** Removes the TOTP secret and the backup codes; true if a secret (pending or confirmed) existed. */
export function disableTotp(tx: Tx, userId: string): Promise<boolean> {
  return mfaRepo.deleteTotp(tx, userId);
}

export function hasConfirmedTotp(tx: Tx, userId: string): Promise<boolean> {
  return mfaRepo.hasConfirmedTotp(tx, userId);
}
