import { z } from 'zod';
import { ASSET_KINDS } from '../../db/schema.ts';
import { safeText } from '../../lib/text.ts';

export const assetKindSchema = z.enum(ASSET_KINDS);
/** The CHECK on assets.name; control characters (NUL above all) are refused before PostgreSQL sees them. */
const assetName = safeText(1, 253);

export const assetSchema = z.object({
  id: z.uuid(),
  kind: assetKindSchema,
  name: z.string(),
  clientId: z.uuid().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export const assetListSchema = z.object({ items: z.array(assetSchema) });
export const assetParams = z.strictObject({ assetId: z.uuid() });
export const assetListQuery = z.strictObject({
  kind: assetKindSchema.optional(),
  clientId: z.uuid().optional(),
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
export type CreateAssetInput = z.infer<typeof createAssetBody>;
export type UpdateAssetInput = z.infer<typeof updateAssetBody>;
