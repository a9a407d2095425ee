import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  type AdvisoryIndex,
  AdvisorySourceError,
  applicableKeys,
  applyIgnores,
  collectInventories,
  DistroOptionError,
  type EnrichmentSources,
  ecosystemsOf,
  enrichFindings,
  type Finding,
  IgnoreFileError,
  type IgnoreRule,
  type InventorySource,
  installedNamesOf,
  isOsEcosystem,
  loadAdvisories,
  matchSources,
  normaliseName,
  parseDistroOption,
  parseIgnoreFile,
  ScanInputError,
  type Severity,
  severityRank,
} from '@vigil/vulndb';
import { ConfigError, loadConfig } from '../../config/config.ts';
import type { Database } from '../../db/database.ts';
import { hasAdvisoryFeeds, loadAdvisoryIndex, type WantedPackages } from '../../modules/intel/advisory-store.repo.ts';
import { loadEnrichment } from '../../modules/intel/enrichment.repo.ts';
import { CliExit } from '../exit-codes.ts';
import { prioritise, type ReportFinding, scanDocument } from '../scan-report/contract.ts';
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
  /** `--no-db` sets it false: the database is neither opened nor looked for. */
  db?: boolean;
}

const NO_ADVISORIES = 'no advisories: pass --advisories or import feeds with `vigil feeds import`';

/** Enrichment when there is no database: every lookup misses, so kev and epss stay null. */
const NOTHING_KNOWN: EnrichmentSources = { kev: () => undefined, epss: () => undefined, cvss: () => undefined };

export async function scanCommand(paths: string[], options: ScanOptions): Promise<void> {
  const format = (options.format ?? 'table').toLowerCase();
  if (!(SCAN_FORMATS as readonly string[]).includes(format)) usage(`--format must be one of ${SCAN_FORMATS.join(', ')}`);
  const failOn = options.failOn === undefined ? null : (options.failOn.toUpperCase() as Severity);
  if (failOn !== null && !(FAIL_ON_LEVELS as readonly string[]).includes(failOn))
    usage(`--fail-on must be one of ${FAIL_ON_LEVELS.join(', ')}`);
  const files = options.advisories ?? [];
  const useDatabase = options.db !== false;
  if (files.length === 0 && !useDatabase)
    usage(
      'no advisories to match against: pass --advisories FILE|DIR (an OSV all.zip, a directory of OSV files, a Debian tracker or Alpine secdb file); --no-db leaves out the feeds imported with `vigil feeds import`',
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
  let findings: ReportFinding[];
  let database: Database | null = null;
  try {
    // Inventories first: only advisories of the ecosystems found need to be parsed.
    const sources = await inputStep(() => collectInventories(paths, { distro }));
    // Without advisory files the database's feeds are the advisories; with them it only enriches.
    if (useDatabase) database = await openFeedStore(files.length === 0 ? 'required' : 'optional', warnings);
    let index: AdvisoryIndex;
    if (files.length > 0) {
      ({ index } = await inputStep(() =>
        loadAdvisories(files, (p) => warnings.add(`advisory skipped: ${p.origin}${p.recordId ? ` (${p.recordId})` : ''}: ${p.reason}`), {
          ecosystems: ecosystemsOf(sources),
          wantPackage: installedNamesOf(sources),
        }),
      ));
    } else {
      if (!database || !(await hasAdvisoryFeeds(database))) usage(NO_ADVISORIES);
      ({ index } = await loadAdvisoryIndex(database, wantedPackages(sources)));
    }
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
    const kept = options.onlyFixable ? outcome.kept.filter((f) => f.fixState === 'fixed') : outcome.kept;
    const known = database
      ? await loadEnrichment(
          database,
          kept.flatMap((f) => [f.id, ...f.aliases]),
        )
      : NOTHING_KNOWN;
    // Done with the database before writing the report: an embedded one stays locked while open.
    await database?.close();
    database = null;
    findings = prioritise(enrichFindings(kept, known), today);

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
    await database?.close().catch(() => {});
    warnings.flush();
  }
  const failing = failOn === null ? 0 : findings.filter((f) => atOrAbove(f, failOn)).length;
  if (failing > 0)
    throw new CliExit(FINDINGS_AT_THRESHOLD, `${failing} ${failing === 1 ? 'finding' : 'findings'} at or above ${failOn} (--fail-on)`);
}

/**
 * The database holding the imported feeds, or null when there is none to use. `required` (no
 * --advisories): a scan without one cannot run, so every reason ends it with exit 2. `optional`
 * (advisory files given, the database only enriches): the scan goes on without KEV, EPSS and NVD
 * data, saying why unless there simply is no database.
 *
 * An embedded database is opened only when its directory already holds one: a scan of files must
 * not create a database as a side effect. It is opened without migrating: a scan reads, and an
 * out-of-date schema is for `vigil migrate` (or the server's start) to bring up to date.
 */
async function openFeedStore(mode: 'required' | 'optional', warnings: WarningPrinter): Promise<Database | null> {
  const unusable = (reason: string): null => {
    if (mode === 'required') throw new CliExit(INPUT_ERROR, reason);
    warnings.add(`the database is not used, so findings carry no KEV, EPSS or NVD data: ${reason}`);
    return null;
  };
  let config: ReturnType<typeof loadConfig>;
  try {
    // Not runtime.ts's readConfig: that module loads the database drivers, which a scan of files
    // without a database must not wait for.
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return unusable(`invalid configuration: ${error.message}`);
  }
  const settings = config.database;
  if (settings.kind === 'pglite' && !existsSync(path.join(settings.dataDir, 'pg', 'PG_VERSION'))) {
    if (mode === 'required') usage(`${NO_ADVISORIES} (there is no database in ${settings.dataDir})`);
    return null;
  }
  const { openDatabase } = await import('../../db/database.ts');
  let database: Database;
  try {
    database = await openDatabase(settings, {
      migrate: false,
      // Never to standard output, which holds the report.
      onPoolError: (error) => process.stderr.write(`vigil: database connection error: ${error.message}\n`),
    });
  } catch (error) {
    return unusable(`cannot open the database: ${(error as Error).message}`);
  }
  let pending: string[];
  try {
    pending = await database.pendingMigrations();
  } catch (error) {
    await database.close().catch(() => {});
    return unusable(`cannot read the database: ${(error as Error).message}`);
  }
  if (pending.length > 0) {
    await database.close();
    return unusable(`the database has ${pending.length} pending migration(s) (${pending.join(', ')}); run \`vigil migrate\``);
  }
  return database;
}

/**
 * The ecosystem keys and normalised names the inventories can match, as the matcher looks them
 * up: OS packages under their system's release (and Ubuntu Pro's base release), by their own
 * name and their source package's.
 */
function wantedPackages(sources: readonly InventorySource[]): WantedPackages {
  const ecosystems = new Set<string>();
  const names = new Set<string>();
  for (const source of sources) {
    if (source.osEcosystem) for (const key of applicableKeys(source.osEcosystem)) ecosystems.add(key);
    for (const pkg of source.packages) {
      const ecosystem = isOsEcosystem(pkg.ecosystem) ? (source.osEcosystem ?? pkg.ecosystem) : pkg.ecosystem;
      for (const key of applicableKeys(ecosystem)) ecosystems.add(key);
      names.add(normaliseName(ecosystem, pkg.name));
      if (pkg.source) names.add(normaliseName(ecosystem, pkg.source.name));
    }
  }
  return { ecosystems: [...ecosystems], names: [...names] };
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
