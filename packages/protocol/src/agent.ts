import { z } from 'zod';
import { RELEASE_PLATFORMS } from './release.ts';
import { base64url, isoTime, line, sha256Hex } from './text.ts';

export const CHECKIN_SCHEMA = 'vigil.checkin/1';
/** The prefix of the one-time enrollment tokens an admin hands to `vigil-agent enroll`. */
export const ENROLLMENT_TOKEN_PREFIX = 'vgl_enroll_';
export const AGENT_TOKEN_PREFIX = 'vgl_agent_';

/** Agent-facing routes, relative to the server URL. */
export const AGENT_PATHS = {
  enroll: '/api/v1/agent/enroll',
  checkIn: '/api/v1/agent/check-in',
  inventory: '/api/v1/agent/inventory',
  actions: '/api/v1/agent/actions',
  actionResult: (actionId: string) => `/api/v1/agent/actions/${encodeURIComponent(actionId)}/result`,
  releaseManifest: '/api/v1/agent/release',
} as const;

/** The Ed25519 public key the server signs actions with, as the agent pins it at enrollment. */
export const actionKeySchema = z.strictObject({
  kid: line(1, 64),
  /** The raw 32-byte public key, base64url (a JWK's `x`). */
  x: base64url(64).length(43),
});

export const ACTION_KEY_SET_SCHEMA = 'vigil.action-keys/1';

/** What a signed action key set says: the keys this server's agent trusts from `issuedAt` on. */
export const actionKeySetPayloadSchema = z.strictObject({
  schema: z.literal(ACTION_KEY_SET_SCHEMA),
  /** The one server the set is for: a set captured from another server's check-in is refused. */
  assetId: z.uuid(),
  keys: z.array(actionKeySchema).min(1).max(8),
  /** Orders sets: an agent never goes back to an older one (a replayed answer). */
  issuedAt: isoTime,
});

/**
 * The action keys as a check-in carries them: signed by EVERY usable action key (active and
 * verify-only), so an agent that still trusts only the old key can verify a rotation to the new
 * one. An answer whoever sits in the path (a TLS-terminating proxy, a MITM under
 * --insecure-http) could forge must not swap the keys that decide what runs as root.
 */
export const signedActionKeySetSchema = z.strictObject({
  /** base64url of the payload's JSON exactly as signed. */
  payload: base64url(8 * 1024),
  signatures: z
    .array(z.strictObject({ kid: line(1, 64), signature: base64url(128).length(86) }))
    .min(1)
    .max(8),
});

export const enrollRequestSchema = z.strictObject({
  token: z
    .string()
    .min(20)
    .max(200)
    .regex(/^vgl_enroll_[A-Za-z0-9_-]+$/, 'must be a vgl_enroll_ token'),
  hostname: line(1, 253),
  machineId: z
    .string()
    .regex(/^[0-9a-f]{32}$/)
    .optional(),
  agentVersion: line(1, 64),
});

export const enrollResponseSchema = z.strictObject({
  assetId: z.uuid(),
  /** Shown once: the agent stores it 0600 and sends it as a bearer token from then on. */
  agentToken: z.string().startsWith(AGENT_TOKEN_PREFIX),
  /**
   * Pinned by the agent as it enrolls: trust on first use, over the TLS exchange the one-time
   * enrollment token authenticates. Later changes come only as a signed `actionKeySet`.
   */
  actionKeys: z.array(actionKeySchema).min(1).max(8),
  checkInSeconds: z.number().int().min(30).max(86_400),
});

export const checkInRequestSchema = z.strictObject({
  schema: z.literal(CHECKIN_SCHEMA),
  agentVersion: line(1, 64),
  hostname: line(1, 253),
  /** The digest of the inventory the agent would send now (see `inventoryDigest`). */
  inventoryDigest: sha256Hex,
  /** Seconds the agent has been running: tells the server a restart (after an update) checked in. */
  uptimeSeconds: z.number().int().min(0),
  /** The release platform this agent updates from (the script bundle: `node`; an executable: `linux-<arch>`). */
  platform: z.enum(RELEASE_PLATFORMS).optional(),
});

export const checkInResponseSchema = z.strictObject({
  serverTime: isoTime,
  nextCheckInSeconds: z.number().int().min(30).max(86_400),
  /** True when the server does not hold this digest, or holds it for more than a day. */
  inventoryWanted: z.boolean(),
  /** Approved actions waiting for this server: fetch them from `AGENT_PATHS.actions`. */
  actionsPending: z.number().int().min(0),
  /**
   * The action-signing keys the agent should trust from now on (rotation), signed by the keys it
   * trusts already; an agent adopts nothing unsigned.
   */
  actionKeySet: signedActionKeySetSchema,
  /** The newest release offered to this agent, when newer than it runs. */
  update: z.strictObject({ version: line(1, 64) }).nullable(),
});

export type ActionKey = z.infer<typeof actionKeySchema>;
export type ActionKeySetPayload = z.infer<typeof actionKeySetPayloadSchema>;
export type SignedActionKeySet = z.infer<typeof signedActionKeySetSchema>;
export type EnrollRequest = z.infer<typeof enrollRequestSchema>;
export type EnrollResponse = z.infer<typeof enrollResponseSchema>;
export type CheckInRequest = z.infer<typeof checkInRequestSchema>;
export type CheckInResponse = z.infer<typeof checkInResponseSchema>;
