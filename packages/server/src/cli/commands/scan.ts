import { readFile, writeFile } from 'node:fs/promises';
import {
  AdvisorySourceError,
  applyIgnores,
  collectInventories,
  DistroOptionError,
  ecosystemsOf,
  type Finding,
  IgnoreFileError,
  type IgnoreRule,
  installedNamesOf,
  loadAdvisories,
  matchSources,
  parseDistroOption,
  parseIgnoreFile,
  ScanInputError,
  type Severity,
  severityRank,
} from '@vigil/vulndb';
import { CliExit } from '../exit-codes.ts';
import { scanDocument } from '../scan-report/contract.ts';
import { renderSarif } from '../scan-report/sarif.ts';
import { renderTable } from '../scan-report/table.ts';

/** Usage and input errors: the scanner convention (0 clean, 1 findings at --fail-on, 2 error). */
const INPUT_ERROR = 2;
const FINDINGS_AT_THRESHOLD = 1;
export const SCAN_FORMATS = ['table', 'json', 'sarif'] as const;
export const FAIL_ON_LEVELS = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
/** At most this many warning lines reach the terminal; the rest are counted. */
const MAX_WARNING_LINES = 50;

export interface ScanOptions {
  advisories?: string[];
  distro?: string;
  format?: string;
  failOn?: string;
  onlyFixable?: boolean;
  ignore?: string;
  output?: string;
}

export async function scanCommand(paths: string[], options: ScanOptions): Promise<void> {
  const format = (options.format ?? 'table').toLowerCase();
  if (!(SCAN_FORMATS as readonly string[]).includes(format)) usage(`--format must be one of ${SCAN_FORMATS.join(', ')}`);
  const failOn = options.failOn === undefined ? null : (options.failOn.toUpperCase() as Severity);
  if (failOn !== null && !(FAIL_ON_LEVELS as readonly string[]).includes(failOn))
    usage(`--fail-on must be one of ${FAIL_ON_LEVELS.join(', ')}`);
  if (!options.advisories?.length)
    usage(
      'no advisories to match against: pass --advisories FILE|DIR (an OSV all.zip, a directory of OSV files, a Debian tracker or Alpine secdb file)',
    );
  if (paths.length === 0) usage('nothing to scan: give one or more files or directories');
  let distro: string | null = null;
  if (options.distro !== undefined) {
    try {
      distro = parseDistroOption(options.distro);
    } catch (error) {
      if (error instanceof DistroOptionError) usage(error.message);
      throw error;
    }
  }
  const rules = options.ignore ? await readIgnoreRules(options.ignore) : [];

  const warnings = new WarningPrinter();
  let findings: Finding[];
  try {
    // Inventories first: only advisories of the ecosystems found need to be parsed.
    const sources = await inputStep(() => collectInventories(paths, { distro }));
    const { index } = await inputStep(() =>
      loadAdvisories(
        options.advisories ?? [],
        (p) => warnings.add(`advisory skipped: ${p.origin}${p.recordId ? ` (${p.recordId})` : ''}: ${p.reason}`),
        { ecosystems: ecosystemsOf(sources), wantPackage: installedNamesOf(sources) },
      ),
    );
    for (const source of sources) {
      for (const note of source.notes) warnings.note(`${source.path}: ${note}`);
      for (const warning of source.warnings) warnings.add(`${source.path}: ${warning}`);
    }
    const matched = await inputStep(async () => matchSources(sources, index));
    for (const warning of matched.warnings) warnings.add(warning);

    const today = new Date().toISOString().slice(0, 10);
    const outcome = applyIgnores(matched.findings, rules, today);
    for (const rule of outcome.expired) {
      warnings.add(
        `ignore entry ${rule.id}${rule.package ? ` (${rule.package})` : ''} expired on ${rule.expires} and no longer applies: ${rule.reason}`,
      );
    }
    findings = options.onlyFixable ? outcome.kept.filter((f) => f.fixState === 'fixed') : outcome.kept;

    const report =
      format === 'json'
        ? `${JSON.stringify(scanDocument(sources, findings), null, 2)}\n`
        : format === 'sarif'
          ? renderSarif(findings)
          : renderTable(sources, findings, outcome.ignored.length);
    if (options.output) {
      await writeFile(options.output, report).catch((error: Error) => usage(`--output ${options.output}: ${error.message}`));
    } else {
      process.stdout.write(report);
    }
  } finally {
    warnings.flush();
  }
  const failing = failOn === null ? 0 : findings.filter((f) => atOrAbove(f, failOn)).length;
  if (failing > 0)
    throw new CliExit(FINDINGS_AT_THRESHOLD, `${failing} ${failing === 1 ? 'finding' : 'findings'} at or above ${failOn} (--fail-on)`);
}

/** UNKNOWN and NEGLIGIBLE never trip --fail-on: the threshold names a rating the finding must have. */
function atOrAbove(finding: Finding, threshold: Severity): boolean {
  return finding.severity !== 'UNKNOWN' && severityRank(finding.severity) >= severityRank(threshold);
}

async function readIgnoreRules(path: string): Promise<IgnoreRule[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CliExit(INPUT_ERROR, `--ignore ${path}: ${(error as Error).message}`);
  }
  try {
    return parseIgnoreFile(text, path);
  } catch (error) {
    if (error instanceof IgnoreFileError) throw new CliExit(INPUT_ERROR, `--ignore ${error.message}`);
    throw error;
  }
}

/** Runs a step whose failures are the user's input, not our bug: those end with exit 2. */
async function inputStep<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof ScanInputError || error instanceof AdvisorySourceError) throw new CliExit(INPUT_ERROR, error.message);
    throw error;
  }
}

function usage(message: string): never {
  throw new CliExit(INPUT_ERROR, message);
}

/** Collects warnings and notes for standard error, bounded so a hostile input cannot flood it. */
class WarningPrinter {
  private readonly lines: string[] = [];
  private dropped = 0;

  add(message: string): void {
    this.push(`vigil: warning: ${message}`);
  }

  note(message: string): void {
    this.push(`vigil: note: ${message}`);
  }

  private push(line: string): void {
    // Messages quote input files: terminal escape sequences in them must not reach the terminal.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: neutralising control characters is the point
    const visible = line.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '?');
    if (this.lines.length < MAX_WARNING_LINES) this.lines.push(visible.length > 400 ? `${visible.slice(0, 399)}…` : visible);
    else this.dropped++;
  }

  flush(): void {
    if (this.dropped > 0) this.lines.push(`vigil: ${this.dropped} more warnings not shown`);
    if (this.lines.length > 0) process.stderr.write(`${this.lines.join('\n')}\n`);
  }
}
