import { z } from 'zod';
import { ROLES } from '../../../db/schema.ts';

/** Far above the policy's 256 characters; the policy and the hash refuse anything longer. */
const passwordInput = z.string().min(1).max(1024);
/** A link secret: 32 random bytes, base64url. Anything else cannot be one. */
const linkToken = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be the token from the link');
const delivery = z
  .enum(['cookie', 'body'])
  .default('cookie')
  .describe('cookie: the refresh token goes into an HttpOnly cookie (browsers); body: it is returned (API clients)');
// No NUL, no other control character, no lone surrogate: PostgreSQL refuses some, logs and mail
// headers are broken by the others.
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const cleanText = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((v) => !CONTROL.test(v) && !LONE_SURROGATE.test(v), 'must not contain control characters')
    .refine((v) => v.trim() === v && v.length > 0, 'must not start or end with spaces');

export const createInvitationBody = z.strictObject({
  email: z.string().min(3).max(254),
  role: z.enum(ROLES),
  clientId: z.uuid().nullable().optional(),
});
export type CreateInvitationInput = z.infer<typeof createInvitationBody>;

export const invitationParams = z.strictObject({ invitationId: z.uuid() });

export const acceptInvitationBody = z.strictObject({
  token: linkToken,
  password: passwordInput.optional().describe('required when the email has no account yet; omitted when signed in'),
  displayName: cleanText(100).optional(),
  refreshTokenDelivery: delivery,
});

export const invitationSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  role: z.enum(ROLES),
  clientId: z.uuid().nullable(),
  invitedBy: z.uuid().nullable(),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
});
export type InvitationView = z.infer<typeof invitationSchema>;
export const invitationListSchema = z.object({ items: z.array(invitationSchema) });

export const joinedSchema = z.object({
  status: z.literal('joined'),
  orgId: z.uuid(),
  membershipId: z.uuid(),
  role: z.enum(ROLES),
  clientId: z.uuid().nullable(),
});

/** Login takes any string as the account name; so does the reset request, for the same reason. */
export const passwordResetBody = z.strictObject({ email: z.string().min(1).max(320) });
export const passwordResetAccepted = z.object({ status: z.literal('accepted'), message: z.string() });

export const passwordResetCompleteBody = z.strictObject({ token: linkToken, password: passwordInput });

export const changePasswordBody = z.strictObject({ currentPassword: passwordInput, newPassword: passwordInput });
