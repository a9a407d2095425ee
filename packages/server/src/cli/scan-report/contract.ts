import type { Finding, InventorySource } from '@vigil/vulndb';

/**
 * The `vigil scan --format json` document, `vigil.scan/1`. This is a published contract (README):
 * keys and meanings only ever grow in a new schema version, never change under this one.
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
  fix_state: Finding['fixState'];
  severity: Finding['severity'];
  cvss: { version: string; score: number | null; vector: string } | null;
  kev: null;
  epss: null;
  summary: string;
  match: string;
}

export function scanDocument(sources: readonly InventorySource[], findings: readonly Finding[]): ScanDocument {
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
      cvss: f.cvss,
      // Offline scans have no exploitation data; the intelligence store fills these.
      kev: null,
      epss: null,
      summary: f.summary,
      match: f.match,
    })),
  };
}
