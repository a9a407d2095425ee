import { z } from 'zod';
import { PROTOCOL_LIMITS } from './limits.ts';
import { base64url, isoTime, line, text } from './text.ts';

export const ACTION_SCHEMA = 'vigil.action/1';

/**
 * A package name as dpkg, rpm and apk allow them: no option-looking or shell-meaningful text, and
 * never ending in `-`, which apt reads as "REMOVE" (`apt-get install openssh-server-` removes
 * openssh-server). A trailing `+` is part of real names (`g++`, `libsigc++`); apt looks for its
 * install marker at the end of the whole argument, which is always `name=version` here.
 */
export const PACKAGE_NAME_PATTERN = /^[a-z0-9](?:[a-z0-9+._-]{0,126}[a-z0-9+])?$/i;
/**
 * A version as the package managers write them (epoch, revision, tilde), alphanumeric at both
 * ends: `apt-get install less=590-2.1~deb12u2-` REMOVES less (the trailing `-` is apt's remove marker).
 */
export const PACKAGE_VERSION_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9.+:~_-]{0,126}[A-Za-z0-9])?$/;
const packageName = z.string().regex(PACKAGE_NAME_PATTERN, 'must be a package name');
const packageVersion = z.string().regex(PACKAGE_VERSION_PATTERN, 'must be a package version');
/** A systemd unit name. */
const unitName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9:_.@-]{0,254}$/, 'must be a systemd unit name');

/**
 * What an action does. Each kind is a fixed, parameterised operation the agent knows how to run;
 * nothing in an action is ever passed to a shell, so the server cannot ask for arbitrary commands.
 */
export const actionCommandSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('upgrade_packages'),
    packages: z
      .array(z.strictObject({ name: packageName, version: packageVersion }))
      .min(1)
      .max(200),
  }),
  z.strictObject({
    kind: z.literal('sshd_hardening'),
    /** The settings written to the drop-in file; the agent validates with `sshd -t` before reloading. */
    settings: z
      .strictObject({
        permitRootLogin: z.enum(['no', 'prohibit-password']).optional(),
        passwordAuthentication: z.literal('no').optional(),
        permitEmptyPasswords: z.literal('no').optional(),
      })
      .refine((s) => Object.keys(s).length > 0, { message: 'name at least one setting' }),
  }),
  z.strictObject({ kind: z.literal('restart_service'), unit: unitName }),
]);

/** What the server signs. Every field is checked by the agent before anything runs. */
export const actionPayloadSchema = z.strictObject({
  schema: z.literal(ACTION_SCHEMA),
  actionId: z.uuid(),
  /** The asset id of the server the action is for: an agent refuses any other. */
  assetId: z.uuid(),
  command: actionCommandSchema,
  issuedAt: isoTime,
  expiresAt: isoTime,
  /** 128 random bits, base64url: an agent runs a nonce at most once. */
  nonce: base64url(64).min(22),
  timeoutSeconds: z.number().int().min(1).max(3_600),
});

/**
 * A signed action: `payload` is the base64url of the payload's JSON exactly as signed, so the
 * agent verifies the bytes it received and only then parses them.
 */
export const signedActionSchema = z.strictObject({
  payload: base64url(64 * 1024),
  kid: line(1, 64),
  /** Ed25519 over the ASCII bytes of `payload`, base64url (86 characters). */
  signature: base64url(128).length(86),
});

export const actionListSchema = z.strictObject({
  actions: z.array(signedActionSchema).max(PROTOCOL_LIMITS.actionsPerList),
});

export const ACTION_OUTCOMES = ['succeeded', 'failed', 'timed_out', 'refused'] as const;

export const actionResultSchema = z.strictObject({
  outcome: z.enum(ACTION_OUTCOMES),
  /** Why the agent refused (bad signature, another server, expired, replayed…). */
  refusal: line(1, 500).optional(),
  exitCode: z.number().int().nullable(),
  stdout: text(PROTOCOL_LIMITS.actionOutputChars),
  stderr: text(PROTOCOL_LIMITS.actionOutputChars),
  /** True when output was cut at the limit. */
  truncated: z.boolean(),
  startedAt: isoTime.nullable(),
  finishedAt: isoTime,
  /** The nonce of the action reported on, so a result cannot be replayed onto another action. */
  nonce: base64url(64).optional(),
});

export type ActionCommand = z.infer<typeof actionCommandSchema>;
export type ActionPayload = z.infer<typeof actionPayloadSchema>;
export type SignedAction = z.infer<typeof signedActionSchema>;
export type ActionList = z.infer<typeof actionListSchema>;
export type ActionOutcome = (typeof ACTION_OUTCOMES)[number];
export type ActionResult = z.infer<typeof actionResultSchema>;
