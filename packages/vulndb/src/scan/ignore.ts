import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { normaliseName } from '../match/ecosystems.ts';
import type { Finding } from '../match/finding.ts';

/**
 * The `--ignore FILE` list: vulnerabilities a team has decided to accept, each with a reason and
 * an expiry date, so an exception is a decision that comes back for review rather than a silence
 * that outlives it. YAML (or JSON, which is YAML):
 *
 *   ignore:
 *     - id: CVE-2021-3156          # the finding's id or any of its aliases
 *       reason: sudo is not setuid on these hosts
 *       expires: 2027-01-31        # the last day the entry applies (UTC)
 *       package: sudo              # optional: only this package (binary or source name)
 */
export const MAX_IGNORE_ENTRIES = 10_000;

const day = z
  .union([z.string(), z.date()])
  .transform((value) => (value instanceof Date ? value.toISOString().slice(0, 10) : value.trim()))
  .refine((value) => /^\d{4}-\d{2}-\d{2}$/.test(value) && isCalendarDay(value), { message: 'expected a date YYYY-MM-DD' });

/** 2030-02-31 parses (it rolls over to March); only a day that exists round-trips. */
function isCalendarDay(value: string): boolean {
  const time = Date.parse(`${value}T00:00:00Z`);
  return !Number.isNaN(time) && new Date(time).toISOString().slice(0, 10) === value;
}

export const ignoreRuleSchema = z.strictObject({
  id: z.string().trim().min(1).max(256),
  reason: z.string().trim().min(1, 'a reason is required').max(2_000),
  expires: day,
  package: z.string().trim().min(1).max(512).optional(),
});

const ignoreFileSchema = z.strictObject({ ignore: z.array(ignoreRuleSchema).max(MAX_IGNORE_ENTRIES) });

export type IgnoreRule = z.infer<typeof ignoreRuleSchema>;

export class IgnoreFileError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'IgnoreFileError';
  }
}

export function parseIgnoreFile(text: string, file: string): IgnoreRule[] {
  if (text.length > 4 * 1024 * 1024) throw new IgnoreFileError(file, 'larger than 4 MiB');
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100, uniqueKeys: true });
  } catch (error) {
    throw new IgnoreFileError(file, `not valid YAML or JSON: ${(error as Error).message.split('\n')[0]}`);
  }
  const parsed = ignoreFileSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new IgnoreFileError(
      file,
      `${issue?.path.join('.') || '(top level)'}: ${issue?.message} (expected "ignore:" with entries of id, reason, expires and optionally package)`,
    );
  }
  return parsed.data.ignore;
}

export interface IgnoreOutcome {
  kept: Finding[];
  ignored: { finding: Finding; rule: IgnoreRule }[];
  /** Entries past their date: they no longer apply, and the user is told so. */
  expired: IgnoreRule[];
}

/**
 * Applies the rules on `today` (YYYY-MM-DD, UTC): an entry applies through its expiry day. A rule
 * names what a finding is (its id, or an alias of a record folded into it). A distribution
 * advisory that also fixes other CVEs (a USN's upstream list) is dropped only when every one of
 * them is accepted: accepting one CVE must not hide another that the same update fixes.
 */
export function applyIgnores(findings: readonly Finding[], rules: readonly IgnoreRule[], today: string): IgnoreOutcome {
  const active = rules.filter((r) => r.expires >= today);
  const expired = rules.filter((r) => r.expires < today);
  const kept: Finding[] = [];
  const ignored: IgnoreOutcome['ignored'] = [];
  for (const finding of findings) {
    const forPackage = active.filter((r) => r.package === undefined || samePackage(finding, r.package));
    const identity = new Set(finding.recordIds ?? [finding.id, ...finding.aliases]);
    identity.add(finding.id);
    const named = finding.aliases.filter((a) => !identity.has(a));
    const rule =
      forPackage.find((r) => identity.has(r.id)) ??
      (named.length > 0 && named.every((id) => forPackage.some((r) => r.id === id))
        ? forPackage.find((r) => named.includes(r.id))
        : undefined);
    if (rule) ignored.push({ finding, rule });
    else kept.push(finding);
  }
  return { kept, ignored, expired };
}

/** The binary or source package, as the ecosystem compares names (PyPI `Django` is `django`). */
function samePackage(finding: Finding, name: string): boolean {
  const wanted = normaliseName(finding.ecosystem, name);
  return (
    wanted === normaliseName(finding.ecosystem, finding.package) ||
    (finding.sourcePackage !== null && wanted === normaliseName(finding.ecosystem, finding.sourcePackage))
  );
}
