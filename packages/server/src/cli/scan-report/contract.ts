import { DEFAULT_SLA_DAYS, type EnrichedFinding, type InventorySource, type Priority, priorityOf, type SlaDays } from '@vigil/vulndb';

/** A finding as every report format shows it: enriched, with what to fix first and by when. */
export interface ReportFinding extends EnrichedFinding {
  priority: Priority;
}

/**
 * Each finding's priority, from its KEV entry, EPSS score and severity. `today` (YYYY-MM-DD, UTC)
 * is the day found: a scan has no history, so the SLA clock starts at the scan.
 */
export function prioritise(findings: readonly EnrichedFinding[], today: string, sla: SlaDays = DEFAULT_SLA_DAYS): ReportFinding[] {
  return findings.map((f) => ({
    ...f,
    priority: priorityOf({ severity: f.severity, kevDueDate: f.kev?.dueDate ?? null, epss: f.epss?.score ?? null, foundOn: today }, sla),
  }));
}

/**
 * The `vigil scan --format json` document, `vigil.scan/1`. This is a published contract (README):
 * keys may be added under this version, but a key's meaning never changes under it.
 */
export interface ScanDocument {
  schema: 'vigil.scan/1';
  sources: { path: string; type: string; ecosystem: string | null; packages: number }[];
  findings: ContractFinding[];
}

export interface ContractFinding {
  ecosystem: string;
  package: string;
  source_package: string | null;
  version: string;
  id: string;
  aliases: string[];
  fixed_version: string | null;
  fix_state: ReportFinding['fixState'];
  severity: ReportFinding['severity'];
  cvss: { version: string; score: number | null; vector: string } | null;
  kev: ContractKev | null;
  epss: ContractEpss | null;
  priority: ContractPriority;
  summary: string;
  match: string;
}

export interface ContractKev {
  cve: string;
  date_added: string;
  due_date: string;
  ransomware: 'Known' | 'Unknown';
}

export interface ContractEpss {
  cve: string;
  score: number;
  percentile: number;
}

export interface ContractPriority {
  label: Priority['label'];
  rank: number;
  due_date: string;
  due_by: Priority['dueBy'];
}

/** Presenters: the contract's keys are listed here, so a field added to a finding never leaks. */
export const contractKev = (f: ReportFinding): ContractKev | null =>
  f.kev && { cve: f.kev.cve, date_added: f.kev.dateAdded, due_date: f.kev.dueDate, ransomware: f.kev.ransomware };

export const contractEpss = (f: ReportFinding): ContractEpss | null =>
  f.epss && { cve: f.epss.cve, score: f.epss.score, percentile: f.epss.percentile };

export const contractPriority = (f: ReportFinding): ContractPriority => ({
  label: f.priority.label,
  rank: f.priority.rank,
  due_date: f.priority.dueDate,
  due_by: f.priority.dueBy,
});

export function scanDocument(sources: readonly InventorySource[], findings: readonly ReportFinding[]): ScanDocument {
  return {
    schema: 'vigil.scan/1',
    sources: sources.map((s) => ({ path: s.path, type: s.type, ecosystem: s.ecosystem, packages: s.packages.length })),
    findings: findings.map((f) => ({
      ecosystem: f.ecosystem,
      package: f.package,
      source_package: f.sourcePackage,
      version: f.version,
      id: f.id,
      aliases: f.aliases,
      fixed_version: f.fixedVersion,
      fix_state: f.fixState,
      severity: f.severity,
      cvss: f.cvss && { version: f.cvss.version, score: f.cvss.score, vector: f.cvss.vector },
      kev: contractKev(f),
      epss: contractEpss(f),
      priority: contractPriority(f),
      summary: f.summary,
      match: f.match,
    })),
  };
}
