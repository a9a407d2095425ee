import { z } from 'zod';

/**
 * A TOTP code or a backup code as typed. Only the size is bounded here (a 10 kB "code" is a 400
 * before any work); the format is decided by the service, which must refuse malformed codes
 * whatever route or flow hands them in.
 */
const codeInput = z.string().min(1, 'must not be empty').max(40, 'must be at most 40 characters');

export const codeBody = z.strictObject({ code: codeInput });
export type CodeBody = z.infer<typeof codeBody>;

export const mfaStatusSchema = z.object({
  totpEnabled: z.boolean().describe('An authenticator app is set up and confirmed'),
  totpEnrolmentPending: z.boolean().describe('A set-up was started and not yet confirmed'),
  backupCodesRemaining: z.number().int().min(0),
});
export type MfaStatusView = z.infer<typeof mfaStatusSchema>;

export const totpEnrolmentSchema = z.object({
  secret: z.string().describe('The base32 secret, for typing into an app by hand; shown once'),
  otpauthUri: z.string(),
  qrCodeDataUrl: z.string().describe('The otpauth URI as an SVG QR code (data: URL)'),
});

export const backupCodesSchema = z.object({
  backupCodes: z.array(z.string()).describe('Single-use backup codes, shown once: store them somewhere safe'),
});
