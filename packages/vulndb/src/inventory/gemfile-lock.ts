import { requireText, show, Warnings } from './lockfile-common.ts';
import { type InstalledPackage, InventoryParseError, type ParsedInventory } from './model.ts';
import { forEachLine } from './text.ts';

/**
 * Bundler `Gemfile.lock`: the gems listed under `specs:` of every `GEM` section, at exactly four
 * spaces of indent as `name (version)` or `name (version-platform)` (their own dependencies, at
 * six spaces, are not installed versions and are skipped). Ecosystem 'RubyGems', location
 * `line N`, one entry per distinct (name, version).
 *
 * The platform is split off as Bundler's LockfileParser does, at the first `-` (gem versions in
 * a lockfile never hold one: `1.0.0-rc1` is written `1.0.0.pre.rc1`), so `nokogiri
 * (1.15.4-x86_64-linux)` is nokogiri 1.15.4 with arch `x86_64-linux`.
 *
 * Specs of `GIT` and `PATH` sections are not registry releases and become warnings. A file with
 * no known section header (`GEM`, `DEPENDENCIES`…) is an InventoryParseError.
 */

const SECTIONS = new Set(['GEM', 'GIT', 'PATH', 'PLUGIN SOURCE', 'PLATFORMS', 'DEPENDENCIES', 'RUBY VERSION', 'BUNDLED WITH', 'CHECKSUMS']);
const GEM_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
const GEM_VERSION = /^[0-9][0-9A-Za-z]*(?:\.[0-9A-Za-z]+)*$/;

export function parseGemfileLock(text: string, file: string): ParsedInventory {
  const body = requireText(text, file);
  if (body.trim() === '') throw new InventoryParseError(file, 'empty file, expected a Gemfile.lock');
  const warnings = new Warnings();
  const packages: InstalledPackage[] = [];
  const seen = new Set<string>();
  let section: string | undefined;
  let sawSection = false;
  let inSpecs = false;

  forEachLine(body, (line, lineNumber) => {
    if (line.trim() === '') return;
    const where = `line ${lineNumber}`;
    if (line[0] !== ' ') {
      section = line.trimEnd();
      inSpecs = false;
      if (SECTIONS.has(section)) sawSection = true;
      else warnings.add(`${where}: unknown section ${show(section)}, ignored`);
      return;
    }
    if (section !== 'GEM' && section !== 'GIT' && section !== 'PATH' && section !== 'PLUGIN SOURCE') return;
    if (line.startsWith('  ') && line[2] !== ' ') {
      inSpecs = line.trimEnd() === '  specs:';
      return;
    }
    if (!inSpecs || !line.startsWith('    ') || line[4] === ' ') return;
    const spec = parseSpec(line.slice(4).trimEnd());
    if (spec === undefined) {
      warnings.add(`${where}: not a gem spec ${show(line.trim())}, skipped`);
      return;
    }
    if (section !== 'GEM') {
      warnings.add(`${where} ${spec.name} ${show(spec.version)}: from a ${section} source, not a registry release, skipped`);
      return;
    }
    const key = `${spec.name} ${spec.version}`;
    if (seen.has(key)) return;
    seen.add(key);
    const pkg: InstalledPackage = { ecosystem: 'RubyGems', name: spec.name, version: spec.version, location: where };
    if (spec.platform !== undefined) pkg.arch = spec.platform;
    packages.push(pkg);
  });
  if (!sawSection) throw new InventoryParseError(file, 'not a Gemfile.lock: no GEM, GIT, PATH, PLATFORMS or DEPENDENCIES section');
  return { type: 'Gemfile.lock', packages, warnings: warnings.done() };
}

function parseSpec(spec: string): { name: string; version: string; platform?: string } | undefined {
  const open = spec.indexOf(' (');
  if (open <= 0 || !spec.endsWith(')')) return undefined;
  const name = spec.slice(0, open);
  const inner = spec.slice(open + 2, -1);
  if (!GEM_NAME.test(name)) return undefined;
  const dash = inner.indexOf('-');
  const version = dash < 0 ? inner : inner.slice(0, dash);
  const platform = dash < 0 ? undefined : inner.slice(dash + 1);
  if (!GEM_VERSION.test(version)) return undefined;
  if (platform !== undefined && !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(platform)) return undefined;
  return platform === undefined ? { name, version } : { name, version, platform };
}
