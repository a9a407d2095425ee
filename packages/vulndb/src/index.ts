export { type AdvisoryProblem, AdvisorySourceError } from './advisories/model.ts';
export { isZipMagic, type ReadAdvisoriesResult, readAdvisories } from './advisories/reader.ts';
export {
  ACCEPTED_DISTRO_FORMS,
  DistroOptionError,
  describeDistroEcosystem,
  detectAlpineRelease,
  parseDistroOption,
} from './distro/ecosystem.ts';
export { parseOsRelease } from './distro/os-release.ts';
export { type EpssRow, type EpssSummary, readEpss } from './feeds/epss.ts';
export { FeedError, type FeedProblem, openFeedText } from './feeds/input.ts';
export { type KevCatalog, type KevEntry, readKev } from './feeds/kev.ts';
export { type NvdCve, type NvdCvss, NvdError, type NvdProblem, preferredCvss, readNvd } from './feeds/nvd.ts';
export { parseApkInstalled } from './inventory/apk-installed.ts';
export { parseCargoLock } from './inventory/cargo-lock.ts';
export { parseComposerLock } from './inventory/composer-lock.ts';
export { parseCycloneDx } from './inventory/cyclonedx.ts';
export { detectDpkgDistro, parseDpkgStatus } from './inventory/dpkg-status.ts';
export { parseGemfileLock } from './inventory/gemfile-lock.ts';
export { parseGoMod } from './inventory/go-mod.ts';
export { type InstalledPackage, InventoryParseError, type ParsedInventory } from './inventory/model.ts';
export { parseNugetPackagesLock } from './inventory/nuget-packages-lock.ts';
export { parsePackageLock } from './inventory/package-lock.ts';
export { parsePipfileLock } from './inventory/pipfile-lock.ts';
export { parsePnpmLock } from './inventory/pnpm-lock.ts';
export { parsePoetryLock } from './inventory/poetry-lock.ts';
export { parsePomXml } from './inventory/pom-xml.ts';
export { parseRequirementsTxt } from './inventory/requirements-txt.ts';
export { parseRpmQa } from './inventory/rpm-qa.ts';
export { parseSpdxJson } from './inventory/spdx.ts';
export { parseUvLock } from './inventory/uv-lock.ts';
export { readWordPressRoot } from './inventory/wordpress.ts';
export { parseYarnLock } from './inventory/yarn-lock.ts';
export { AdvisoryIndex } from './match/advisory-index.ts';
export { applicableKeys, baseOf, ecosystemKey, isOsEcosystem, normaliseName } from './match/ecosystems.ts';
export { type EnrichedFinding, type EnrichmentSources, type EpssFacts, enrichFindings, type KevFacts } from './match/enrich.ts';
export { FIX_STATES, type Finding, type FindingLocation, type FixState } from './match/finding.ts';
export { type AdvisoryChange, InventoryIndex, type StoredInventory } from './match/inventory-index.ts';
export { MissingReleaseError, matchPackages } from './match/matcher.ts';
export { DEFAULT_SLA_DAYS, type Priority, type PriorityLabel, priorityOf, type SlaDays } from './match/priority.ts';
export { type Cvss, SEVERITIES, type Severity, severityRank } from './match/severity.ts';
export { mergeRecords } from './osv/merge.ts';
export { type OsvRecord, OsvRecordError, parseOsvRecord } from './osv/model.ts';
export { evaluateRange, type Range, type RangeEvent, type RangeVerdict } from './osv/ranges.ts';
export { formatByName, type InventoryFormat } from './scan/formats.ts';
export { applyIgnores, IgnoreFileError, type IgnoreRule, parseIgnoreFile } from './scan/ignore.ts';
export { type CollectOptions, collectInventories, type InventorySource } from './scan/inventories.ts';
export { type LoadedAdvisories, loadAdvisories } from './scan/load-advisories.ts';
export { ScanInputError } from './scan/read-file.ts';
export { dirInRoot, fileInRoot, resolveInRoot } from './scan/root-fs.ts';
export { ecosystemsOf, installedNamesOf, matchSources } from './scan/scan.ts';
export { InvalidVersionError, type VersionComparator } from './versions/comparator.ts';
export { comparatorFor, KNOWN_ECOSYSTEMS, UnknownEcosystemError } from './versions/registry.ts';
