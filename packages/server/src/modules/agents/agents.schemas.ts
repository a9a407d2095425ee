import { z } from 'zod';
import { safeText } from '../../lib/text.ts';

export const MAX_ENROLLMENT_HOURS = 720;

/** Who the enrolled server will belong to: a client (a new server asset is made) or an existing server. */
export const createEnrollmentTokenBody = z.strictObject({
  name: safeText(1, 100),
  clientId: z.uuid().nullable().optional(),
  assetId: z.uuid().nullable().optional(),
  expiresInHours: z.number().int().min(1).max(MAX_ENROLLMENT_HOURS).default(24),
});
export type CreateEnrollmentTokenInput = z.input<typeof createEnrollmentTokenBody>;

/** What a token looks like to its managers: never its secret nor its hash. */
export const enrollmentTokenSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  prefix: z.string(),
  clientId: z.uuid().nullable(),
  assetId: z.uuid().nullable(),
  createdBy: z.uuid().nullable(),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  usedAt: z.iso.datetime().nullable(),
  usedByAssetId: z.uuid().nullable(),
  revokedAt: z.iso.datetime().nullable(),
  state: z.enum(['active', 'used', 'expired', 'revoked']),
});
export type EnrollmentTokenView = z.infer<typeof enrollmentTokenSchema>;
export const enrollmentTokenListSchema = z.object({ items: z.array(enrollmentTokenSchema) });
export const issuedEnrollmentTokenSchema = enrollmentTokenSchema.extend({
  token: z.string().describe('The one-time enrollment token for `vigil-agent enroll`. Shown once: Vigil keeps only its hash.'),
});
export const enrollmentTokenParams = z.strictObject({ enrollmentTokenId: z.uuid() });
export const agentAssetParams = z.strictObject({ assetId: z.uuid() });
