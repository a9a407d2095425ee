import { mfaRoutes } from './mfa.routes.ts';
import { createMfaService, type MfaServiceDeps } from './mfa.service.ts';

export function createMfaModule(deps: MfaServiceDeps) {
  const service = createMfaService(deps);
  return { service, routes: mfaRoutes(service) };
}

export {
  BACKUP_CODE_COUNT,
  consumeBackupCode,
  normalizeBackupCode,
  regenerateBackupCodes,
  remainingBackupCodes,
} from './backup-codes.ts';
export { MFA_ERRORS, type MfaErrorCode, mfaError } from './mfa.errors.ts';
export type { MfaService, MfaServiceDeps, RequestMeta } from './mfa.service.ts';
export {
  confirmTotpEnrolment,
  disableTotp,
  hasConfirmedTotp,
  type MfaKeys,
  startTotpEnrolment,
  type TotpEnrolment,
  verifySecondFactor,
  verifyTotp,
} from './totp.service.ts';
export { otpauthUri, parseTotpCode, qrCodeDataUrl } from './totp.ts';
