import { z } from 'zod';
import { API_KEY_KINDS, ROLES } from '../../../db/schema.ts';
import { safeText } from '../../../lib/text.ts';

/** The CHECK on api_keys.name; control characters (NUL above all) are refused before PostgreSQL sees them. */
const keyName = safeText(1, 100);

/** What a key looks like to its managers: never its secret nor its hash, only the public prefix. */
export const apiKeySchema = z.object({
  id: z.uuid(),
  kind: z.enum(API_KEY_KINDS),
  name: z.string(),
  prefix: z.string(),
  role: z.enum(ROLES),
  clientId: z.uuid().nullable(),
  assetId: z.uuid().nullable(),
  createdBy: z.uuid().nullable(),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime().nullable(),
  lastUsedAt: z.iso.datetime().nullable(),
  revokedAt: z.iso.datetime().nullable(),
});
export const apiKeyListSchema = z.object({ items: z.array(apiKeySchema) });

/** The answer to a creation: the key and, this once, the token itself. */
export const issuedApiKeySchema = apiKeySchema.extend({
  token: z.string().describe('The secret token. Shown once: Vigil keeps only its hash.'),
});

export const createApiKeyBody = z.strictObject({
  name: keyName,
  role: z.enum(ROLES),
  /** Required with CLIENT_OWNER and CLIENT_MEMBER, refused with the other roles. */
  clientId: z.uuid().nullable().default(null),
  /** When the key stops working; omitted or null: never (revoke it instead). */
  expiresAt: z.iso.datetime({ offset: true }).nullable().default(null),
});

/** Optional: a POST without a body (Fastify hands the schema null) names the token after its server. */
export const createAgentTokenBody = z.strictObject({ name: keyName.optional() }).nullish();

export const apiKeyParams = z.strictObject({ apiKeyId: z.uuid() });
export const agentTokenParams = z.strictObject({ assetId: z.uuid() });

export type ApiKeyView = z.infer<typeof apiKeySchema>;
export type IssuedApiKey = z.infer<typeof issuedApiKeySchema>;
export type CreateApiKeyInput = z.input<typeof createApiKeyBody>;
