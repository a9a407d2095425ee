import { ENROLLMENT_TOKEN_PREFIX } from '@vigil/protocol';
import { dummyTokenMatch, hashToken, randomBase62, tokenMatches } from '../auth/api-keys/api-key-token.ts';

/**
 * One-time enrollment tokens: `vgl_enroll_<id>_<secret>`, the same shape as API keys and agent
 * tokens (modules/auth/api-keys/api-key-token.ts, whose generator, digest and constant-time
 * comparison these reuse): a 12-character base62 id that with the tag is the indexed `prefix`, and
 * a 43-character base62 secret (256 bits). Only the SHA-256 of the whole token is stored.
 */
const TOKEN = /^(vgl_enroll_[A-Za-z0-9]{12})_[A-Za-z0-9]{43}$/;
export const MAX_ENROLLMENT_TOKEN_LENGTH = ENROLLMENT_TOKEN_PREFIX.length + 12 + 1 + 43;

export interface IssuedEnrollmentToken {
  prefix: string;
  token: string;
  secretHash: string;
}

export function generateEnrollmentToken(): IssuedEnrollmentToken {
  const prefix = `${ENROLLMENT_TOKEN_PREFIX}${randomBase62(12)}`;
  const token = `${prefix}_${randomBase62(43)}`;
  return { prefix, token, secretHash: hashToken(token) };
}

/** The prefix of a well-formed enrollment token, or null. Bounded before any regex; never throws. */
export function enrollmentPrefixOf(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > MAX_ENROLLMENT_TOKEN_LENGTH) return null;
  return TOKEN.exec(value)?.[1] ?? null;
}

export { dummyTokenMatch, tokenMatches };
