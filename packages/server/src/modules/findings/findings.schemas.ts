import { z } from 'zod';
import { CURSOR_MAX_LENGTH } from '../../lib/page-cursor.ts';
import { safeText } from '../../lib/text.ts';

export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'NEGLIGIBLE', 'UNKNOWN'] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * What a finding's status is, derived from two columns: `fixed` when the last inventory no longer
 * has it, else the triage a person set, else `open`. A risk acceptance past its expiry counts as
 * `open` again (the acceptance stays on record until someone changes it).
 */
export const FINDING_STATUSES = ['open', 'fixed', 'acknowledged', 'risk_accepted', 'false_positive'] as const;
export type FindingStatus = (typeof FINDING_STATUSES)[number];
export const FINDING_KINDS = ['package', 'config'] as const;
export const FINDING_SORTS = ['priority', 'severity', 'firstSeen', 'lastSeen', 'package', 'asset'] as const;
export type FindingSort = (typeof FINDING_SORTS)[number];

/** `HIGH,CRITICAL`: one or more values of an enum, comma-separated, each at most once. */
function csvOf<const T extends readonly [string, ...string[]]>(values: T) {
  const member = z.enum(values);
  return z
    .string()
    .max(200)
    .transform((text, ctx) => {
      const parts = text.split(',').map((p) => p.trim());
      const out: T[number][] = [];
      for (const part of parts) {
        const parsed = member.safeParse(part);
        if (!parsed.success) {
          ctx.addIssue({ code: 'custom', message: `must be one or more of ${values.join(', ')}, comma-separated` });
          return z.NEVER;
        }
        if (!out.includes(parsed.data)) out.push(parsed.data);
      }
      return out;
    });
}

const booleanText = z.enum(['true', 'false']).transform((v) => v === 'true');

export const findingListQuery = z.strictObject({
  severity: csvOf(SEVERITIES).optional(),
  status: csvOf(FINDING_STATUSES).optional(),
  kev: booleanText.optional(),
  /** A fixed version is known, or the distribution says the fix is released. */
  fixable: booleanText.optional(),
  kind: z.enum(FINDING_KINDS).optional(),
  clientId: z.uuid().optional(),
  assetId: z.uuid().optional(),
  /** Text in the vulnerability id, an alias, the package name or the title (case-insensitive, literal). */
  q: safeText(1, 200).optional(),
  sort: z.enum(FINDING_SORTS).default('priority'),
  /** Default: descending for priority, severity and times; ascending for package and asset names. */
  order: z.enum(['asc', 'desc']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().min(1).max(CURSOR_MAX_LENGTH).optional(),
  /** `true` adds counts by severity over the whole filtered set (not just the page). */
  summary: booleanText.optional(),
});
export type FindingListQuery = z.output<typeof findingListQuery>;

export const findingParams = z.strictObject({ findingId: z.uuid() });

const triageSchema = z.object({
  reason: z.string().nullable(),
  expiresAt: z.iso.datetime().nullable(),
  by: z.uuid().nullable(),
  at: z.iso.datetime().nullable(),
});

export const findingSchema = z.object({
  id: z.uuid(),
  asset: z.object({ id: z.uuid(), name: z.string() }),
  clientId: z.uuid().nullable(),
  kind: z.enum(FINDING_KINDS),
  vulnId: z.string(),
  aliases: z.array(z.string()),
  title: z.string(),
  package: z
    .object({
      ecosystem: z.string().nullable(),
      name: z.string(),
      version: z.string().nullable(),
      sourceName: z.string().nullable(),
      location: z.string().nullable(),
    })
    .nullable(),
  fixedVersion: z.string().nullable(),
  fixState: z.enum(['fixed', 'not_fixed', 'wont_fix', 'unknown']).nullable(),
  severity: z.enum(SEVERITIES),
  cvssScore: z.number().nullable(),
  epss: z.number().nullable(),
  epssPercentile: z.number().nullable(),
  kev: z.boolean(),
  kevDueDate: z.iso.date().nullable(),
  priority: z.string(),
  priorityScore: z.number(),
  status: z.enum(FINDING_STATUSES),
  /** The triage a person set (still shown when the finding is fixed or the acceptance expired). */
  triage: z.enum(['acknowledged', 'risk_accepted', 'false_positive']).nullable(),
  triageInfo: triageSchema,
  firstSeenAt: z.iso.datetime(),
  lastSeenAt: z.iso.datetime(),
  fixedAt: z.iso.datetime().nullable(),
  reopenedAt: z.iso.datetime().nullable(),
  reopenCount: z.number().int(),
});

export const findingPageSchema = z.object({
  items: z.array(findingSchema),
  nextCursor: z.string().nullable(),
  summary: z.object({ total: z.number().int(), bySeverity: z.record(z.enum(SEVERITIES), z.number().int()) }).optional(),
});

export const triageEventSchema = z.object({
  action: z.string(),
  status: z.enum(FINDING_STATUSES).nullable(),
  at: z.iso.datetime(),
  actorUserId: z.uuid().nullable(),
  expiresAt: z.iso.datetime().nullable(),
});

export const findingDetailSchema = findingSchema.extend({
  match: z.string().nullable(),
  subject: z.string().nullable(),
  observed: z.string().nullable(),
  evidence: z.array(z.string()),
  remediation: z.string().nullable(),
  cvss: z.object({ version: z.string().nullable(), vector: z.string().nullable() }).nullable(),
  history: z.array(triageEventSchema),
});

/** The longest a risk may be accepted for before someone must look again. */
export const RISK_ACCEPTANCE_MAX_DAYS = 366;
const reason = safeText(1, 2000);

const changes = {
  acknowledged: { status: z.literal('acknowledged'), reason: reason.optional() },
  riskAccepted: { status: z.literal('risk_accepted'), reason, expiresAt: z.iso.datetime({ offset: true }) },
  falsePositive: { status: z.literal('false_positive'), reason },
  /** Clears the triage: the finding is `open` again (or stays `fixed` if it is). */
  open: { status: z.literal('open') },
};

export const statusChangeBody = z.discriminatedUnion('status', [
  z.strictObject(changes.acknowledged),
  z.strictObject(changes.riskAccepted),
  z.strictObject(changes.falsePositive),
  z.strictObject(changes.open),
]);
export type StatusChange = z.output<typeof statusChangeBody>;

/** Up to this many findings change status in one request, all or none. */
export const BULK_MAX = 500;
const findingIds = z.array(z.uuid()).min(1).max(BULK_MAX);
export const bulkStatusBody = z.discriminatedUnion('status', [
  z.strictObject({ findingIds, ...changes.acknowledged }),
  z.strictObject({ findingIds, ...changes.riskAccepted }),
  z.strictObject({ findingIds, ...changes.falsePositive }),
  z.strictObject({ findingIds, ...changes.open }),
]);
export const bulkStatusResult = z.object({ updated: z.number().int(), items: z.array(findingSchema) });

export type FindingView = z.infer<typeof findingSchema>;
export type FindingDetailView = z.infer<typeof findingDetailSchema>;
export type FindingPage = z.infer<typeof findingPageSchema>;
