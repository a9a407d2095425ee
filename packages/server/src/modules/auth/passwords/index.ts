export { type BreachedRangeOptions, type BreachedRangeResult, checkBreachedRange, type FetchText } from './breached-range.ts';
export {
  ARGON2_PARAMS,
  dummyVerify,
  hashPassword,
  PasswordTooLongError,
  prepareDummyHash,
  type VerifyResult,
  verifyPassword,
} from './password-hash.ts';
export { normalizePassword, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './password-input.ts';
export { checkPasswordPolicy, type PolicyContext, type PolicyReason, type PolicyResult } from './password-policy.ts';
