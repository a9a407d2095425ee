import { type InventorySource, type Severity, severityRank } from '@vigil/vulndb';
import type { ReportFinding } from './contract.ts';

const WIDTH = 80;

/**
 * The human report: one block per installed package (most urgent first), one line per
 * vulnerability with what to upgrade to, the summary below it. A known exploited vulnerability
 * says so with its KEV due date, and a likely exploited one its EPSS score, before the fix, where
 * a narrow terminal cannot cut them off. Fits an 80-column terminal; long values are cut with an
 * ellipsis rather than wrapped into the next column.
 */
export function renderTable(sources: readonly InventorySource[], findings: readonly ReportFinding[], ignoredCount: number): string {
  const lines: string[] = [];
  const packages = sources.reduce((n, s) => n + s.packages.length, 0);
  for (const source of sources) {
    lines.push(fitPath(source.path), fit(`  ${source.type}, ${source.ecosystem ?? 'no packages'}, ${source.packages.length} packages`));
  }
  lines.push('');
  for (const group of groupByPackage(findings)) {
    const head = group[0] as ReportFinding;
    const where = head.sourcePackage && head.sourcePackage !== head.package ? `  (source ${head.sourcePackage})` : '';
    lines.push(fit(`${head.package} ${head.version}  ${head.ecosystem}${where}`));
    for (const f of group) {
      const fix =
        f.fixState === 'fixed' && f.fixedVersion
          ? `fix: ${f.fixedVersion}`
          : f.fixState === 'wont_fix'
            ? "won't be fixed"
            : f.fixState === 'not_fixed'
              ? 'no fix yet'
              : 'fix unknown';
      lines.push(fit(`  ${f.severity.padEnd(10)} ${f.id.padEnd(20)} ${exploitation(f)}${fix}`));
      const cves = f.aliases.filter((a) => a.startsWith('CVE-'));
      const summary = [f.summary, cves.length ? `(${cves.join(', ')})` : ''].filter(Boolean).join(' ');
      if (summary) lines.push(fit(`  ${' '.repeat(10)} ${summary}`));
    }
    lines.push('');
  }
  lines.push(...summaryLines(sources.length, packages, findings, ignoredCount).map(fit));
  return `${lines.join('\n')}\n`;
}

/** `KEV due 2025-07-01  ` or `EPSS 94%  ` (P2: exploitation likely), else nothing. */
function exploitation(f: ReportFinding): string {
  if (f.kev) return `KEV due ${f.kev.dueDate}  `;
  if (f.epss && f.priority.label === 'P2') return `EPSS ${Math.round(f.epss.score * 100)}%  `;
  return '';
}

function summaryLines(sourceCount: number, packages: number, findings: readonly ReportFinding[], ignored: number): string[] {
  const counts = new Map<Severity, number>();
  for (const f of findings) counts.set(f.severity, (counts.get(f.severity) ?? 0) + 1);
  const bySeverity = [...counts.entries()]
    .sort((a, b) => severityRank(b[0]) - severityRank(a[0]))
    .map(([severity, n]) => `${n} ${severity.toLowerCase()}`)
    .join(', ');
  const affected = new Set(findings.map((f) => `${f.ecosystem}\u0000${f.package}\u0000${f.version}`)).size;
  const head = `${findings.length} ${findings.length === 1 ? 'vulnerability' : 'vulnerabilities'} in ${affected} of ${packages} packages (${sourceCount} ${sourceCount === 1 ? 'inventory' : 'inventories'})`;
  const exploited = findings.filter((f) => f.kev).length;
  const detail = [bySeverity, exploited ? `${exploited} known exploited (KEV)` : '', ignored ? `${ignored} ignored (--ignore)` : '']
    .filter(Boolean)
    .join('; ');
  return detail ? [head, detail] : [head];
}

/** Packages and their findings most urgent first: priority rank, which is severity order when nothing is known exploited. */
function groupByPackage(findings: readonly ReportFinding[]): ReportFinding[][] {
  const groups = new Map<string, ReportFinding[]>();
  for (const f of findings) {
    const key = `${f.ecosystem}\u0000${f.package}\u0000${f.version}`;
    const group = groups.get(key);
    if (group) group.push(f);
    else groups.set(key, [f]);
  }
  const worst = (group: ReportFinding[]) => Math.max(...group.map((f) => f.priority.rank));
  for (const group of groups.values()) group.sort((a, b) => b.priority.rank - a.priority.rank || a.id.localeCompare(b.id));
  return [...groups.values()].sort(
    (a, b) => worst(b) - worst(a) || (a[0] as ReportFinding).package.localeCompare((b[0] as ReportFinding).package),
  );
}

/** A long path keeps its end, where the file name is. */
function fitPath(path: string): string {
  const visible = printable(path);
  return visible.length > WIDTH ? `…${visible.slice(visible.length - WIDTH + 1)}` : visible;
}

/** Cuts a line to the terminal width; control characters from hostile data are made visible. */
function fit(line: string): string {
  const visible = printable(line);
  return visible.length > WIDTH ? `${visible.slice(0, WIDTH - 1)}…` : visible;
}

function printable(text: string): string {
  // Control characters (terminal escapes) and bidirectional overrides (text that reads other
  // than it is) from scanned data are made visible.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: neutralising terminal escapes is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '?');
}
