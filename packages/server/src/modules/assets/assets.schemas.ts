import { z } from 'zod';
import { ASSET_KINDS } from '../../db/schema.ts';
import { safeText } from '../../lib/text.ts';

export const assetKindSchema = z.enum(ASSET_KINDS);
/** The CHECK on assets.name; control characters (NUL above all) are refused before PostgreSQL sees them. */
const assetName = safeText(1, 253);

export const AGENT_STATES = ['none', 'enrolled', 'online', 'offline'] as const;
export type AgentState = (typeof AGENT_STATES)[number];

/**
 * Findings still to deal with, by severity: open and not set aside (a false positive, or a risk
 * accepted until a date still ahead). Acknowledged findings count: someone knows, nobody fixed it.
 */
export const openFindingCountsSchema = z.object({
  total: z.number().int(),
  CRITICAL: z.number().int(),
  HIGH: z.number().int(),
  MEDIUM: z.number().int(),
  LOW: z.number().int(),
  NEGLIGIBLE: z.number().int(),
  UNKNOWN: z.number().int(),
});

export const assetSchema = z.object({
  id: z.uuid(),
  kind: assetKindSchema,
  name: z.string(),
  clientId: z.uuid().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  agentState: z.enum(AGENT_STATES),
  lastSeenAt: z.iso.datetime().nullable(),
  hostname: z.string().nullable(),
  /** What the agent reported from os-release. */
  os: z
    .object({
      id: z.string().nullable(),
      versionId: z.string().nullable(),
      prettyName: z.string().nullable(),
      ecosystem: z.string().nullable(),
    })
    .nullable(),
  openFindings: openFindingCountsSchema,
});
export const assetDetailSchema = assetSchema.extend({
  kernel: z.string().nullable(),
  agentVersion: z.string().nullable(),
  enrolledAt: z.iso.datetime().nullable(),
  lastInventoryAt: z.iso.datetime().nullable(),
  checkInSeconds: z.number().int(),
});
export const assetListSchema = z.object({ items: z.array(assetSchema) });
export const assetParams = z.strictObject({ assetId: z.uuid() });
export const assetListQuery = z.strictObject({
  kind: assetKindSchema.optional(),
  clientId: z.uuid().optional(),
  agentState: z.enum(AGENT_STATES).optional(),
});
export const createAssetBody = z.strictObject({
  kind: assetKindSchema,
  name: assetName,
  clientId: z.uuid().nullable().default(null),
});
export const updateAssetBody = z
  .strictObject({
    name: assetName.optional(),
    clientId: z.uuid().nullable().optional(),
  })
  .refine((v) => v.name !== undefined || v.clientId !== undefined, { message: 'nothing to change' });

export type AssetView = z.infer<typeof assetSchema>;
export type AssetDetailView = z.infer<typeof assetDetailSchema>;
export type AssetListFilter = z.output<typeof assetListQuery>;
export type CreateAssetInput = z.infer<typeof createAssetBody>;
export type UpdateAssetInput = z.infer<typeof updateAssetBody>;
