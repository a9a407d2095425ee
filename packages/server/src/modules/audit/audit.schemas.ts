import { z } from 'zod';
import { ACTOR_KINDS } from './audit.chain.ts';

/** The CHECKs on audit_log.action and target_type: dotted lower-case segments. */
export const ACTION_PATTERN = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/;
export const TARGET_TYPE_PATTERN = /^[a-z][a-z0-9_]*$/;

/** An opaque page token: the seq of the last entry shown, so the next page starts below it. */
export const encodeCursor = (seq: number): string => Buffer.from(`s${seq}`).toString('base64url');
export function decodeCursor(cursor: string): number | null {
  const match = /^s([1-9]\d{0,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : null;
}

export const auditListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z
    .string()
    .max(40)
    .refine((value) => decodeCursor(value) !== null, { message: 'must be a cursor returned by a previous page' })
    .optional(),
  /** An action, or a prefix of whole segments (`auth.login` matches `auth.login.failed`). */
  action: z.string().max(100).regex(ACTION_PATTERN, 'must be dotted lower-case segments, e.g. auth.login').optional(),
  /** The acting user's id. */
  actor: z.uuid().optional(),
  targetType: z.string().max(50).regex(TARGET_TYPE_PATTERN, 'must be a lower-case word, e.g. asset').optional(),
  targetId: z.string().min(1).max(200).optional(),
  clientId: z.uuid().optional(),
  /** Entries at or after this time. */
  from: z.iso.datetime({ offset: true }).optional(),
  /** Entries before this time. */
  to: z.iso.datetime({ offset: true }).optional(),
});

const jsonObject = z.record(z.string(), z.unknown()).nullable();

export const auditEntrySchema = z.object({
  id: z.string(),
  seq: z.number().int(),
  occurredAt: z.iso.datetime(),
  actorKind: z.enum(ACTOR_KINDS),
  actorUserId: z.uuid().nullable(),
  action: z.string(),
  targetType: z.string().nullable(),
  targetId: z.string().nullable(),
  clientId: z.uuid().nullable(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  /** The entry named a person whose IP address and user agent were erased with them. */
  personalDataErased: z.boolean(),
  before: jsonObject,
  after: jsonObject,
  details: jsonObject,
  prevHash: z.string(),
  hash: z.string(),
});
export const auditPageSchema = z.object({ items: z.array(auditEntrySchema), nextCursor: z.string().nullable() });

export type AuditListQuery = z.input<typeof auditListQuery>;
export type AuditEntryView = z.infer<typeof auditEntrySchema>;
export type AuditPage = z.infer<typeof auditPageSchema>;
