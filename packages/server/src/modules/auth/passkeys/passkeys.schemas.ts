import { z } from 'zod';
import { safeText } from '../../../lib/text.ts';

/**
 * The WebAuthn JSON a browser sends (RegistrationResponseJSON, AuthenticationResponseJSON), with
 * every base64url field bounded: the library decodes and CBOR-parses whatever reaches it, so
 * nothing larger than a real authenticator produces gets that far. Unknown keys inside the
 * credential are dropped (browsers add fields over time); the envelope is strict.
 */

/** The whole body of a passkey route; a real response is a few kilobytes. */
export const PASSKEY_BODY_LIMIT = 64 * 1024;

const base64url = (max: number) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .regex(/^[A-Za-z0-9_-]+$/, 'must be base64url');

export const TRANSPORTS = ['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'] as const;

/** A credential id is at most 1023 bytes (1364 base64url characters); the column allows 1400. */
const credentialId = base64url(1400);
const transports = z.array(z.enum(TRANSPORTS)).max(TRANSPORTS.length);
// No extension is used: only credProps (a browser always reports it when asked) is kept.
const clientExtensionResults = z.object({ credProps: z.object({ rk: z.boolean().optional() }).optional() }).default({});
const attachment = z.enum(['platform', 'cross-platform']).optional();

export const registrationResponse = z.object({
  id: credentialId,
  rawId: credentialId,
  type: z.literal('public-key'),
  authenticatorAttachment: attachment,
  clientExtensionResults,
  response: z.object({
    clientDataJSON: base64url(4096),
    attestationObject: base64url(16384),
    authenticatorData: base64url(8192).optional(),
    transports: transports.optional(),
    publicKeyAlgorithm: z.number().int().optional(),
    publicKey: base64url(2048).optional(),
  }),
});

export const authenticationResponse = z.object({
  id: credentialId,
  rawId: credentialId,
  type: z.literal('public-key'),
  authenticatorAttachment: attachment,
  clientExtensionResults,
  response: z.object({
    clientDataJSON: base64url(4096),
    authenticatorData: base64url(8192),
    signature: base64url(1024),
    // The user handle is at most 64 bytes.
    userHandle: base64url(86).optional(),
  }),
});

export type RegistrationResponse = z.infer<typeof registrationResponse>;
export type AuthenticationResponse = z.infer<typeof authenticationResponse>;

/** The CHECK on webauthn_credentials.name. */
export const passkeyName = safeText(1, 100);
export const registerBody = z.strictObject({ name: passkeyName, response: registrationResponse });
export const renameBody = z.strictObject({ name: passkeyName });
export const loginBody = z.strictObject({ response: authenticationResponse });
export const emptyBody = z.strictObject({}).optional();
export const passkeyParams = z.strictObject({ passkeyId: z.uuid() });
export const noQuery = z.strictObject({});

export const passkeySchema = z.object({
  id: z.uuid(),
  name: z.string(),
  transports: z.array(z.string()),
  createdAt: z.iso.datetime(),
  lastUsedAt: z.iso.datetime().nullable(),
});
export const passkeyListSchema = z.object({ items: z.array(passkeySchema) });
export type PasskeyView = z.infer<typeof passkeySchema>;

const credentialDescriptor = z.object({ id: z.string(), type: z.literal('public-key'), transports: z.array(z.string()).optional() });

/** What `navigator.credentials.create` takes, as an allow-list of what the library produces. */
export const creationOptionsSchema = z.object({
  challenge: z.string(),
  rp: z.object({ id: z.string().optional(), name: z.string() }),
  user: z.object({ id: z.string(), name: z.string(), displayName: z.string() }),
  pubKeyCredParams: z.array(z.object({ alg: z.number(), type: z.literal('public-key') })),
  timeout: z.number().optional(),
  excludeCredentials: z.array(credentialDescriptor).optional(),
  authenticatorSelection: z
    .object({
      authenticatorAttachment: z.string().optional(),
      residentKey: z.string().optional(),
      requireResidentKey: z.boolean().optional(),
      userVerification: z.string().optional(),
    })
    .optional(),
  attestation: z.string().optional(),
  extensions: z.object({ credProps: z.boolean().optional() }).optional(),
  hints: z.array(z.string()).optional(),
});

/** What `navigator.credentials.get` takes. */
export const requestOptionsSchema = z.object({
  challenge: z.string(),
  rpId: z.string().optional(),
  timeout: z.number().optional(),
  allowCredentials: z.array(credentialDescriptor).optional(),
  userVerification: z.string().optional(),
});
export const loginOptionsSchema = z.object({ options: requestOptionsSchema });
