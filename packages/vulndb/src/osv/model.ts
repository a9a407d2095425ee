import { z } from 'zod';

/**
 * An OSV record (schema 1.x) as Vigil reads it. Unknown keys are kept (`loose`): the schema
 * grows, and `database_specific` / `ecosystem_specific` carry what distributions need (Ubuntu's
 * binaries, RustSec's `informational`). Only what matching relies on is required.
 */
const text = (max: number) => z.string().max(max);
const anyObject = z.record(z.string(), z.unknown());

export const rangeEventSchema = z.union([
  z.strictObject({ introduced: text(256) }),
  z.strictObject({ fixed: text(256) }),
  z.strictObject({ last_affected: text(256) }),
  z.strictObject({ limit: text(256) }),
]);

export const rangeSchema = z.looseObject({
  type: z.enum(['ECOSYSTEM', 'SEMVER', 'GIT']),
  repo: text(2048).optional(),
  events: z.array(rangeEventSchema).min(1).max(10_000),
  database_specific: anyObject.optional(),
});

export const severitySchema = z.looseObject({
  type: text(64),
  score: text(512),
});

export const affectedSchema = z.looseObject({
  package: z
    .looseObject({
      ecosystem: text(256),
      name: text(512),
      purl: text(2048).optional(),
    })
    .optional(),
  severity: z.array(severitySchema).max(16).optional(),
  ranges: z.array(rangeSchema).max(10_000).optional(),
  versions: z.array(text(256)).max(200_000).optional(),
  ecosystem_specific: anyObject.optional(),
  database_specific: anyObject.optional(),
});

export const osvRecordSchema = z.looseObject({
  schema_version: text(32).optional(),
  id: z.string().min(1).max(256),
  modified: text(64),
  published: text(64).optional(),
  withdrawn: text(64).optional(),
  aliases: z.array(text(256)).max(1_000).nullish(),
  related: z.array(text(256)).max(10_000).nullish(),
  upstream: z.array(text(256)).max(10_000).nullish(),
  summary: text(4_096).optional(),
  details: text(1_000_000).optional(),
  severity: z.array(severitySchema).max(16).nullish(),
  affected: z.array(affectedSchema).max(100_000).nullish(),
  references: z
    .array(z.looseObject({ type: text(64), url: text(8192) }))
    .max(10_000)
    .nullish(),
  database_specific: anyObject.nullish(),
});

export type OsvRecord = z.infer<typeof osvRecordSchema>;
export type OsvAffected = z.infer<typeof affectedSchema>;

export class OsvRecordError extends Error {
  constructor(
    readonly source: string,
    readonly recordId: string | null,
    readonly reason: string,
  ) {
    super(`${source}${recordId ? ` (${recordId})` : ''}: ${reason}`);
    this.name = 'OsvRecordError';
  }
}

/** Validates one parsed record; the error names its file and id so the rest can load on. */
export function parseOsvRecord(value: unknown, source: string): OsvRecord {
  const parsed = osvRecordSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const id = typeof (value as { id?: unknown })?.id === 'string' ? ((value as { id: string }).id as string) : null;
  const issue = parsed.error.issues[0];
  throw new OsvRecordError(source, id, `does not follow the OSV schema at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
}
