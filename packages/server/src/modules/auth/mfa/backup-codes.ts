import { createHash, randomBytes } from 'node:crypto';
import type { Tx } from '../../../db/database.ts';
import { mfaRepo } from './mfa.repo.ts';

/**
 * Backup codes: 8 single-use codes of 10 characters from Crockford's base32 alphabet (no I, L, O
 * or U, so nothing reads as another character), shown once as `xxxxx-xxxxx`.
 *
 * Stored as SHA-256, not argon2id, on purpose. A password needs a slow hash because people pick
 * guessable ones; these are 50 random bits from the CSPRNG, and the user id is hashed in, so a
 * dump cannot be attacked for every account in one pass. A slow hash would also need a random
 * salt per code, and then a code could not be found (and consumed) by one indexed, conditional
 * UPDATE — the statement that makes 50 concurrent uses of one code yield exactly one success.
 * A code is also only a second factor: it is useless without the password (argon2id).
 */
export const BACKUP_CODE_COUNT = 8;
export const BACKUP_CODE_LENGTH = 10;
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CODE_PATTERN = /^[0-9A-HJKMNP-TV-Z]{10}$/;
/** Anything longer is not a code (it would be spaces and dashes around one at most). */
const MAX_CODE_INPUT = 40;

/** 32 symbols: each byte's low 5 bits pick one with no modulo bias. */
function randomCode(): string {
  let code = '';
  for (const byte of randomBytes(BACKUP_CODE_LENGTH)) code += ALPHABET[byte & 31];
  return code;
}

function display(code: string): string {
  return `${code.slice(0, 5)}-${code.slice(5)}`;
}

/**
 * The canonical form of typed input, or null. Case, spaces and dashes are ignored, and the
 * letters Crockford's alphabet leaves out are read as the digits they look like (O → 0,
 * I and L → 1), as the alphabet intends. Nothing else gets through, before any database access.
 */
export function normalizeBackupCode(input: unknown): string | null {
  if (typeof input !== 'string' || input.length > MAX_CODE_INPUT) return null;
  const code = input.replace(/[\s-]/g, '').toUpperCase().replaceAll('O', '0').replace(/[IL]/g, '1');
  return CODE_PATTERN.test(code) ? code : null;
}

export function hashBackupCode(userId: string, normalized: string): string {
  // Domain-separated and bound to the user: a hash copied to another user's rows matches nothing.
  return createHash('sha256').update(`vigil-backup-code\0${userId.toLowerCase()}\0${normalized}`, 'utf8').digest('hex');
}

/**
 * Replaces all of the user's backup codes with 8 new ones and returns them for display, once.
 * Old codes, used or not, stop working in the same transaction.
 */
export async function regenerateBackupCodes(tx: Tx, userId: string): Promise<string[]> {
  const codes = new Set<string>();
  while (codes.size < BACKUP_CODE_COUNT) codes.add(randomCode());
  await mfaRepo.replaceBackupCodes(
    tx,
    userId,
    [...codes].map((code) => hashBackupCode(userId, code)),
  );
  return [...codes].map(display);
}

/**
 * Uses up one backup code: true exactly once per code. The lookup is by the SHA-256 of the
 * input, so the database compares digests an attacker cannot steer (no timing oracle on the
 * code itself), and the one conditional UPDATE makes concurrent uses race for a single row.
 */
export async function consumeBackupCode(tx: Tx, userId: string, input: unknown): Promise<boolean> {
  const code = normalizeBackupCode(input);
  if (code === null) return false;
  return mfaRepo.markBackupCodeUsed(tx, userId, hashBackupCode(userId, code));
}

export function remainingBackupCodes(tx: Tx, userId: string): Promise<number> {
  return mfaRepo.countUnusedBackupCodes(tx, userId);
}
