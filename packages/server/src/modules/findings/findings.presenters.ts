import type { FindingDetailRow, FindingRow, TriageEventRow } from './findings.repo.ts';
import { FINDING_STATUSES, type FindingDetailView, type FindingStatus, type FindingView } from './findings.schemas.ts';

/** Rows leave the module only through these allow-lists: a new column never reaches a response by accident. */
export function presentFinding(row: FindingRow): FindingView {
  return {
    id: row.id,
    asset: { id: row.asset_id, name: row.asset_name },
    clientId: row.client_id,
    kind: row.kind,
    vulnId: row.vuln_id,
    aliases: row.aliases,
    title: row.title,
    package:
      row.kind === 'package' && row.package_name !== null
        ? {
            ecosystem: row.ecosystem,
            name: row.package_name,
            version: row.package_version,
            sourceName: row.source_name,
            location: row.location,
          }
        : null,
    fixedVersion: row.fixed_version,
    fixState: row.fix_state,
    severity: row.severity,
    cvssScore: row.cvss_score,
    epss: row.epss,
    epssPercentile: row.epss_percentile,
    kev: row.kev,
    kevDueDate: row.kev_due_date,
    priority: row.priority,
    priorityScore: row.priority_score,
    status: row.status,
    triage: row.triage,
    triageInfo: { reason: row.triage_reason, expiresAt: row.triage_expires_at, by: row.triaged_by, at: row.triaged_at },
    firstSeenAt: row.first_seen_at,
    lastSeenAt: row.last_seen_at,
    fixedAt: row.fixed_at,
    reopenedAt: row.reopened_at,
    reopenCount: row.reopen_count,
  };
}

function statusOf(after: Record<string, unknown> | null): FindingStatus | null {
  const value = after?.status;
  return FINDING_STATUSES.find((s) => s === value) ?? null;
}

export function presentFindingDetail(row: FindingDetailRow, history: readonly TriageEventRow[]): FindingDetailView {
  return {
    ...presentFinding(row),
    match: row.match,
    subject: row.subject,
    observed: row.observed,
    evidence: row.evidence,
    remediation: row.remediation,
    cvss: row.cvss,
    history: history.map((event) => ({
      action: event.action,
      status: statusOf(event.after),
      at: event.occurred_at,
      actorUserId: event.actor_user_id,
      expiresAt: typeof event.after?.expiresAt === 'string' ? event.after.expiresAt : null,
    })),
  };
}
