/**
 * What every password goes through before it is hashed, verified or judged: one normalisation
 * and one length rule, shared so the policy, the hash and the login agree on what "the password" is.
 */

/** NIST SP 800-63B: at least 8; Vigil asks for 12 and counts Unicode code points, not bytes. */
export const PASSWORD_MIN_LENGTH = 12;
/** Long enough for any passphrase; short enough that nobody can make us hash megabytes. */
export const PASSWORD_MAX_LENGTH = 256;

/**
 * A code point is at most two UTF-16 units, and NFKC composition can fold a few units into one
 * (a base letter with stacked combining marks), so four units per allowed code point is a bound
 * no acceptable password reaches. Anything longer is refused before it is normalised or hashed:
 * that stops a denial of service by a multi-megabyte password field.
 */
const RAW_UNIT_LIMIT = PASSWORD_MAX_LENGTH * 4;

/**
 * NFKC as NIST SP 800-63B §5.1.1.2 recommends, so the same password typed on another keyboard or
 * input method (full-width forms, ligatures, composed vs decomposed accents) still matches.
 */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

export function codePointLength(value: string): number {
  let count = 0;
  for (const _ of value) count++;
  return count;
}

export type LengthVerdict = 'too_short' | 'too_long' | null;

/** Judges the length of the normalised password; huge raw input is refused without normalising. */
export function lengthVerdict(password: string): LengthVerdict {
  if (password.length > RAW_UNIT_LIMIT) return 'too_long';
  const length = codePointLength(normalizePassword(password));
  if (length > PASSWORD_MAX_LENGTH) return 'too_long';
  if (length < PASSWORD_MIN_LENGTH) return 'too_short';
  return null;
}

/** True when the password may be hashed or verified at all (no lower bound: old accounts may predate the policy). */
export function isWithinHashLimit(password: string): boolean {
  return typeof password === 'string' && lengthVerdict(password) !== 'too_long';
}
