import { z } from 'zod';
import { CURSOR_MAX_LENGTH } from '../../lib/page-cursor.ts';
import { safeText } from '../../lib/text.ts';

const limit = z.coerce.number().int().min(1).max(500).default(100);
const cursor = z.string().min(1).max(CURSOR_MAX_LENGTH).optional();

export const packageListQuery = z.strictObject({
  /** Exact ecosystem, as the agent reported it ('Debian', 'npm', 'WordPress'…). */
  ecosystem: safeText(1, 64).optional(),
  /** Text in the package or source package name (case-insensitive, literal). */
  q: safeText(1, 200).optional(),
  limit,
  cursor,
});
export type PackageListQuery = z.output<typeof packageListQuery>;

export const installedPackageSchema = z.object({
  ecosystem: z.string(),
  name: z.string(),
  version: z.string(),
  arch: z.string().nullable(),
  location: z.string().nullable(),
  sourceName: z.string().nullable(),
  sourceVersion: z.string().nullable(),
  dev: z.boolean(),
  firstSeenAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export const packagePageSchema = z.object({ items: z.array(installedPackageSchema), nextCursor: z.string().nullable() });

export const historyQuery = z.strictObject({ limit, cursor });
export const inventoryRecordSchema = z.object({
  id: z.string(),
  receivedAt: z.iso.datetime(),
  collectedAt: z.iso.datetime(),
  agentVersion: z.string(),
  digest: z.string(),
  packageCount: z.number().int(),
  added: z.number().int(),
  removed: z.number().int(),
  changed: z.number().int(),
});
export const historyPageSchema = z.object({ items: z.array(inventoryRecordSchema), nextCursor: z.string().nullable() });

export const changesQuery = z.strictObject({
  /** Only the changes one inventory brought (an id from the history). */
  inventoryId: z
    .string()
    .regex(/^[1-9]\d{0,17}$/, 'must be an inventory id from the history')
    .optional(),
  limit,
  cursor,
});
export const packageChangeSchema = z.object({
  id: z.string(),
  inventoryId: z.string(),
  change: z.enum(['added', 'removed', 'changed']),
  ecosystem: z.string(),
  name: z.string(),
  arch: z.string().nullable(),
  location: z.string().nullable(),
  oldVersion: z.string().nullable(),
  newVersion: z.string().nullable(),
  at: z.iso.datetime(),
});
export const changesPageSchema = z.object({ items: z.array(packageChangeSchema), nextCursor: z.string().nullable() });

/**
 * What the latest inventory said besides packages. Each element is read back through these
 * shapes (unknown fields dropped, malformed elements left out), so the response is an allow-list
 * even over stored JSON.
 */
export const configFactView = z.object({
  id: z.string(),
  severity: z.string(),
  observed: z.string(),
  evidence: z.array(z.string()).default([]),
  subject: z.string().optional(),
});
export const serviceView = z.object({ protocol: z.string(), address: z.string(), port: z.number().int() });
export const collectorView = z.object({
  name: z.string(),
  status: z.string(),
  message: z.string().optional(),
  items: z.number().int(),
  durationMs: z.number(),
});
const wpItem = z.object({ slug: z.string(), version: z.string().nullable(), active: z.boolean().nullable() });
export const wordpressView = z.object({ path: z.string(), coreVersion: z.string(), plugins: z.array(wpItem), themes: z.array(wpItem) });
export const hostView = z.object({
  hostname: z.string(),
  arch: z.string().nullable().default(null),
  kernel: z.object({ release: z.string(), version: z.string() }).nullable().default(null),
  os: z
    .object({ id: z.string(), versionId: z.string().nullable(), prettyName: z.string().nullable(), ecosystem: z.string().nullable() })
    .nullable()
    .default(null),
  packagesUpdatedAt: z.string().nullable().default(null),
  rebootRequired: z.boolean().nullable().default(null),
});

export const factsSchema = z.object({
  latest: z
    .object({
      inventoryId: z.string(),
      receivedAt: z.iso.datetime(),
      collectedAt: z.iso.datetime(),
      host: hostView.nullable(),
      configFacts: z.array(configFactView),
      services: z.array(serviceView),
      collectors: z.array(collectorView),
      wordpress: z.array(wordpressView),
    })
    .nullable(),
});
export type FactsView = z.infer<typeof factsSchema>;
