import { z } from 'zod';
import { PROTOCOL_LIMITS } from './limits.ts';
import { isoTime, line, sha256Hex, text } from './text.ts';

export const INVENTORY_SCHEMA = 'vigil.inventory/1';

/**
 * One installed package, in the shape the matcher reads (`InstalledPackage` in vulndb). OS
 * packages carry their distribution without release ('Debian', 'Ubuntu', 'Alpine', 'Red Hat'):
 * the release is the inventory's `host.os.ecosystem`. Language and WordPress packages carry the
 * file or directory they were found in.
 */
export const inventoryPackageSchema = z.strictObject({
  ecosystem: line(1, 64),
  name: line(1, 256),
  version: line(1, 128),
  source: z.strictObject({ name: line(1, 256), version: line(1, 128) }).optional(),
  arch: line(1, 32).optional(),
  /** rpm only: false when the epoch was not recorded. */
  epochKnown: z.boolean().optional(),
  /** The lockfile or directory (absolute path on the server) for language and WordPress packages. */
  location: line(1, 1024).optional(),
  dev: z.boolean().optional(),
});

export const wordpressInstallSchema = z.strictObject({
  path: line(1, 1024),
  coreVersion: line(1, 64),
  plugins: z.array(z.strictObject({ slug: line(1, 200), version: line(1, 64).nullable(), active: z.boolean().nullable() })).max(2_000),
  themes: z.array(z.strictObject({ slug: line(1, 200), version: line(1, 64).nullable(), active: z.boolean().nullable() })).max(500),
});

export const FACT_SEVERITIES = ['NONE', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type FactSeverity = (typeof FACT_SEVERITIES)[number];

/**
 * A configuration fact: what a check observed and whether it is risky. `severity` NONE means the
 * check passed; anything else becomes a configuration finding on the server, under `id`, whose
 * remediation text the server owns (so it can be improved without updating agents).
 */
export const configFactSchema = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/, 'must be a dotted lowercase check id such as ssh.permit_root_login'),
  severity: z.enum(FACT_SEVERITIES),
  /** What was found, in a few words: `PermitRootLogin yes`, `ufw inactive`. */
  observed: line(1, 500),
  /** Where: `/etc/ssh/sshd_config.d/50-cloud.conf:3`, or the item a per-item check is about. */
  evidence: z.array(line(1, 1024)).max(100).default([]),
  /** Per-item checks (a UID-0 account, a world-writable file) name the item, so each is its own finding. */
  subject: line(1, 512).optional(),
});

export const listeningServiceSchema = z.strictObject({
  protocol: z.enum(['tcp', 'tcp6', 'udp', 'udp6']),
  address: line(1, 64),
  port: z.number().int().min(0).max(65_535),
});

export const collectorReportSchema = z.strictObject({
  name: line(1, 64),
  status: z.enum(['ok', 'skipped', 'error']),
  /** Why it was skipped or failed; what it noticed otherwise. */
  message: text(2_000).optional(),
  items: z.number().int().min(0),
  durationMs: z.number().min(0),
});

export const hostSchema = z.strictObject({
  hostname: line(1, 253),
  /** /etc/machine-id, when present: tells two installs on one machine apart from two machines. */
  machineId: z
    .string()
    .regex(/^[0-9a-f]{32}$/)
    .optional(),
  arch: line(1, 32),
  kernel: z.strictObject({ release: line(1, 128), version: line(0, 256) }).nullable(),
  os: z
    .strictObject({
      id: line(1, 64),
      versionId: line(1, 64).nullable(),
      prettyName: line(1, 256).nullable(),
      /** The OSV ecosystem with release the OS packages are matched in ('Debian:12'); null when unknown. */
      ecosystem: line(1, 64).nullable(),
    })
    .nullable(),
  /** Seconds since the package database last changed; null when unknown. */
  packagesUpdatedAt: isoTime.nullable(),
  rebootRequired: z.boolean().nullable(),
});

export const inventorySchema = z.strictObject({
  schema: z.literal(INVENTORY_SCHEMA),
  collectedAt: isoTime,
  agentVersion: line(1, 64),
  host: hostSchema,
  packages: z.array(inventoryPackageSchema).max(PROTOCOL_LIMITS.packages),
  wordpress: z.array(wordpressInstallSchema).max(PROTOCOL_LIMITS.wordpressInstalls),
  configFacts: z.array(configFactSchema).max(PROTOCOL_LIMITS.configFacts),
  services: z.array(listeningServiceSchema).max(PROTOCOL_LIMITS.services),
  collectors: z.array(collectorReportSchema).max(PROTOCOL_LIMITS.collectors),
});

/** What the server answers to an inventory it accepted. */
export const inventoryReceiptSchema = z.strictObject({
  /** The digest the server now holds for this server (see `inventoryDigest`). */
  digest: sha256Hex,
  changed: z.boolean(),
  packages: z.object({ added: z.number().int(), removed: z.number().int(), changed: z.number().int() }),
  findings: z.object({ opened: z.number().int(), fixed: z.number().int(), reopened: z.number().int(), open: z.number().int() }),
});

export type InventoryPackage = z.infer<typeof inventoryPackageSchema>;
export type WordPressInstall = z.infer<typeof wordpressInstallSchema>;
export type ConfigFact = z.infer<typeof configFactSchema>;
export type ConfigFactInput = z.input<typeof configFactSchema>;
export type ListeningService = z.infer<typeof listeningServiceSchema>;
export type CollectorReport = z.infer<typeof collectorReportSchema>;
export type Host = z.infer<typeof hostSchema>;
export type Inventory = z.infer<typeof inventorySchema>;
export type InventoryReceipt = z.infer<typeof inventoryReceiptSchema>;
