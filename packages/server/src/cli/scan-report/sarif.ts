import { createHash } from 'node:crypto';
import type { Severity } from '@vigil/vulndb';
import { VERSION } from '../../version.ts';
import { contractEpss, contractKev, contractPriority, type ReportFinding } from './contract.ts';

/**
 * SARIF 2.1.0, as code-scanning services read it: one rule per vulnerability id, one result per
 * affected installed package, located at the inventory that lists it. `security-severity` is the
 * CVSS score (or a representative score for the severity) so services rank results alike. Each
 * result's properties carry `kev`, `epss` and `priority` as the JSON contract writes them.
 */
export function renderSarif(findings: readonly ReportFinding[]): string {
  const rules = new Map<string, object>();
  const results: object[] = [];
  for (const f of findings) {
    if (!rules.has(f.id)) {
      rules.set(f.id, {
        id: f.id,
        name: f.id.replace(/[^A-Za-z0-9]/g, ''),
        shortDescription: { text: f.summary || f.id },
        fullDescription: {
          text: [f.summary, f.aliases.length ? `Also known as ${f.aliases.join(', ')}.` : ''].filter(Boolean).join(' ') || f.id,
        },
        defaultConfiguration: { level: levelOf(f.severity) },
        help: { text: helpText(f) },
        properties: { 'security-severity': securitySeverity(f), tags: ['security', 'vulnerability', f.ecosystem] },
      });
    }
    const locations = f.locations.length ? f.locations : [{ path: '' }];
    results.push({
      ruleId: f.id,
      level: levelOf(f.severity),
      message: { text: `${f.package} ${f.version} is affected by ${f.id} (${f.severity}). ${helpText(f)}` },
      locations: locations.slice(0, 10).map((l) => ({
        physicalLocation: { artifactLocation: { uri: toUri(l.path) } },
        ...(l.detail ? { logicalLocations: [{ name: l.detail, kind: 'package' }] } : {}),
      })),
      partialFingerprints: {
        'vigilFinding/v1': createHash('sha256').update([f.ecosystem, f.package, f.version, f.id].join('\u0000')).digest('hex'),
      },
      properties: { kev: contractKev(f), epss: contractEpss(f), priority: contractPriority(f) },
    });
  }
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'Vigil', version: VERSION, semanticVersion: VERSION, rules: [...rules.values()] } },
        results,
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

function helpText(f: ReportFinding): string {
  const fix =
    f.fixState === 'fixed' && f.fixedVersion
      ? `Upgrade to ${f.fixedVersion} or later.`
      : f.fixState === 'wont_fix'
        ? 'The vendor will not fix this.'
        : f.fixState === 'not_fixed'
          ? 'No fixed version yet.'
          : 'Fix status unknown.';
  return `${fix} Match: ${f.match}`;
}

function levelOf(severity: Severity): 'error' | 'warning' | 'note' {
  if (severity === 'CRITICAL' || severity === 'HIGH') return 'error';
  if (severity === 'MEDIUM') return 'warning';
  return 'note';
}

const REPRESENTATIVE: Record<Severity, string> = {
  CRITICAL: '9.5',
  HIGH: '8.0',
  MEDIUM: '5.5',
  LOW: '2.0',
  NEGLIGIBLE: '0.5',
  UNKNOWN: '0.0',
};

function securitySeverity(f: ReportFinding): string {
  return f.cvss?.score != null ? f.cvss.score.toFixed(1) : REPRESENTATIVE[f.severity];
}

/** A relative path as a URI reference (segments percent-encoded, `/` kept). */
function toUri(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}
