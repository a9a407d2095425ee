import type { ConfigFact } from '@vigil/protocol';
import { DEFAULT_SLA_DAYS, priorityOf } from '@vigil/vulndb';
import type { Tx } from '../../db/database.ts';
import { configCheck } from './config-checks.ts';
import { type DesiredFinding, type FindingAsset, type FindingCounts, findingsRepo, reconcileFindings } from './findings.repo.ts';

export function configFindingKey(id: string, subject: string | undefined): string {
  return `config:${id}:${subject ?? ''}`;
}

/**
 * Configuration findings from an inventory's facts. A check that reported tells its whole truth:
 * its failing facts are the open findings of that check, and any other open finding of the check
 * (an account since removed, a setting since fixed, severity NONE) becomes fixed. A check that did
 * not report at all (its collector was skipped) leaves its findings as they were.
 */
export async function evaluateConfigFacts(
  tx: Tx,
  asset: FindingAsset,
  facts: readonly ConfigFact[],
  today: string,
): Promise<FindingCounts> {
  const checks = [...new Set(facts.map((f) => f.id))];
  if (checks.length === 0) return { opened: 0, fixed: 0, reopened: 0 };
  const desired = new Map<string, DesiredFinding>();
  for (const fact of facts) {
    if (fact.severity === 'NONE') continue;
    const key = configFindingKey(fact.id, fact.subject);
    const check = configCheck(fact.id);
    const priority = priorityOf({ severity: fact.severity, kevDueDate: null, epss: null, foundOn: today }, DEFAULT_SLA_DAYS);
    desired.set(key, {
      key,
      kind: 'config',
      vuln_id: fact.id,
      aliases: [],
      title: fact.subject ? `${check.title}: ${[...fact.subject].slice(0, 200).join('')}` : check.title,
      ecosystem: null,
      package_name: null,
      package_version: null,
      source_name: null,
      location: null,
      arch: null,
      package_key: null,
      fixed_version: null,
      fix_state: null,
      subject: fact.subject ?? null,
      observed: fact.observed,
      evidence: fact.evidence,
      remediation: check.references.length > 0 ? `${check.remediation}\n\nSee: ${check.references.join(' ')}` : check.remediation,
      severity: fact.severity,
      cvss_score: null,
      cvss: null,
      epss: null,
      epss_percentile: null,
      kev: false,
      kev_due_date: null,
      priority_score: priority.rank,
      priority: priority.label,
      match: null,
    });
  }
  const existing = await findingsRepo.byChecks(tx, asset, checks);
  return reconcileFindings(tx, asset, existing, [...desired.values()]);
}
