import { z } from 'zod';
import { ROLES } from '../../db/schema.ts';
import { authenticationResponse } from './passkeys/passkeys.schemas.ts';

/**
 * Login takes any string as the account name (not just well-formed addresses): validating it
 * more strictly would answer differently for some inputs and gains nothing, since the lookup
 * simply finds no account.
 */
const accountName = z.string().min(1).max(320);
/** Far above the policy's 256 characters; the hash layer refuses anything longer before hashing. */
const passwordInput = z.string().min(1).max(1024);
const delivery = z
  .enum(['cookie', 'body'])
  .default('cookie')
  .describe('cookie: the refresh token goes into an HttpOnly cookie (browsers); body: it is returned (API clients)');
const opaqueToken = z.string().min(1).max(200);

export const loginBody = z.strictObject({
  email: accountName,
  password: passwordInput,
  orgId: z.uuid().optional(),
  redirectTo: z.string().max(2048).optional(),
  refreshTokenDelivery: delivery,
});

export const mfaLoginBody = z.strictObject({
  challenge: opaqueToken,
  method: z.enum(['totp', 'backup_code', 'passkey']),
  code: z.string().min(1).max(64).optional().describe('the TOTP or backup code (methods totp, backup_code)'),
  response: authenticationResponse.optional().describe('the WebAuthn assertion (method passkey)'),
  redirectTo: z.string().max(2048).optional(),
  refreshTokenDelivery: delivery,
});

export const mfaChallengeBody = z.strictObject({ challenge: opaqueToken });

export const refreshBody = z.strictObject({ refreshToken: opaqueToken.optional(), refreshTokenDelivery: delivery }).default({
  refreshTokenDelivery: 'cookie',
});
export const logoutBody = z.strictObject({ refreshToken: opaqueToken.optional() }).default({});

export const setupBody = z.strictObject({ token: opaqueToken, password: passwordInput, refreshTokenDelivery: delivery });

export const sessionTokensSchema = z.object({
  status: z.literal('authenticated'),
  tokenType: z.literal('Bearer'),
  accessToken: z.string(),
  expiresIn: z.number().int(),
  sessionId: z.uuid(),
  userId: z.uuid(),
  orgId: z.uuid(),
  mfaVerified: z.boolean(),
  mfaEnrollmentRequired: z.boolean(),
  refreshToken: z.string().optional().describe('only with refreshTokenDelivery: body'),
  refreshTokenExpiresAt: z.iso.datetime(),
  csrfToken: z.string().optional().describe('only with the cookie: send it as X-CSRF-Token when refreshing or logging out'),
  redirectTo: z.string(),
});

export const mfaRequiredSchema = z.object({
  status: z.literal('mfa_required'),
  challenge: z.string(),
  methods: z.array(z.enum(['totp', 'backup_code', 'passkey'])),
  expiresAt: z.iso.datetime(),
});

export const loginResponse = z.union([sessionTokensSchema, mfaRequiredSchema]);

export const currentSessionSchema = z.object({
  userId: z.uuid(),
  email: z.string(),
  displayName: z.string().nullable(),
  orgId: z.uuid(),
  role: z.enum(ROLES),
  clientId: z.uuid().nullable(),
  sessionId: z.uuid(),
  mfaVerified: z.boolean(),
  mfaEnrollmentRequired: z.boolean(),
});

export const sessionSchema = z.object({
  id: z.uuid(),
  current: z.boolean(),
  device: z.string().nullable(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  method: z.string(),
  mfaVerified: z.boolean(),
  createdAt: z.iso.datetime(),
  lastUsedAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
});
export const sessionListSchema = z.object({ items: z.array(sessionSchema) });
export const sessionParams = z.strictObject({ sessionId: z.uuid() });
