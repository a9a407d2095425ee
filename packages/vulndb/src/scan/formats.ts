import { parseApkInstalled } from '../inventory/apk-installed.ts';
import { parseCargoLock } from '../inventory/cargo-lock.ts';
import { parseComposerLock } from '../inventory/composer-lock.ts';
import { parseCycloneDx } from '../inventory/cyclonedx.ts';
import { parseDpkgStatus } from '../inventory/dpkg-status.ts';
import { parseGemfileLock } from '../inventory/gemfile-lock.ts';
import { parseGoMod } from '../inventory/go-mod.ts';
import type { ParsedInventory } from '../inventory/model.ts';
import { parseNugetPackagesLock } from '../inventory/nuget-packages-lock.ts';
import { parsePackageLock } from '../inventory/package-lock.ts';
import { parsePipfileLock } from '../inventory/pipfile-lock.ts';
import { parsePnpmLock } from '../inventory/pnpm-lock.ts';
import { parsePoetryLock } from '../inventory/poetry-lock.ts';
import { parsePomXml } from '../inventory/pom-xml.ts';
import { parseRequirementsTxt } from '../inventory/requirements-txt.ts';
import { parseRpmQa, RPM_ARCHES, splitNvr } from '../inventory/rpm-qa.ts';
import { parseSpdxJson } from '../inventory/spdx.ts';
import { parseUvLock } from '../inventory/uv-lock.ts';
import { parseYarnLock } from '../inventory/yarn-lock.ts';

/**
 * Every inventory format `vigil scan` reads, how it is recognised, and its parser. A file is
 * recognised by its name first (what a directory walk relies on: an unrelated file is never
 * parsed on a guess); a file named on the command line is also recognised by its content.
 */
export interface InventoryFormat {
  type: string;
  /** OS package databases need the distribution's ecosystem, supplied by the caller. */
  os: boolean;
  byName(name: string): boolean;
  /** Recognises the format from the first few KiB of a file named explicitly. */
  byContent?(head: string): boolean;
  parse(text: string, file: string, osBase: string): ParsedInventory;
}

const named =
  (...names: string[]) =>
  (name: string) =>
    names.includes(name);

const lockfile = (
  type: string,
  byName: (name: string) => boolean,
  parse: (text: string, file: string) => ParsedInventory,
  byContent?: (head: string) => boolean,
): InventoryFormat => ({ type, os: false, byName, ...(byContent ? { byContent } : {}), parse: (text, file) => parse(text, file) });

export const INVENTORY_FORMATS: readonly InventoryFormat[] = [
  {
    type: 'dpkg-status',
    os: true,
    byName: (name) => name === 'status' || name.endsWith('.dpkg-status'),
    byContent: (head) => /^Package: \S+$/m.test(head) && /^Status: \S+ \S+ \S+$/m.test(head),
    parse: (text, file, osBase) => parseDpkgStatus(text, file, { ecosystem: osBase === 'Debian' ? 'Debian' : 'Ubuntu' }),
  },
  {
    type: 'apk-installed',
    os: true,
    byName: (name) => name === 'installed' || name.endsWith('.apk-installed'),
    byContent: (head) => /^P:\S+$/m.test(head) && /^V:\S+$/m.test(head),
    parse: (text, file) => parseApkInstalled(text, file),
  },
  {
    type: 'rpm-qa',
    os: true,
    byName: (name) => name === 'container-manifest-2' || name.endsWith('.rpm-qa') || name === 'rpm-qa.txt',
    byContent: looksLikeRpmList,
    parse: (text, file, osBase) => parseRpmQa(text, file, { ecosystem: osBase }),
  },
  lockfile(
    'package-lock.json',
    (name) => name === 'package-lock.json' || name === 'npm-shrinkwrap.json' || name.endsWith('.package-lock.json'),
    parsePackageLock,
    (head) => /^\s*\{[\s\S]*"lockfileVersion"\s*:/.test(head),
  ),
  lockfile(
    'yarn.lock',
    (name) => name === 'yarn.lock' || name.endsWith('.yarn.lock'),
    parseYarnLock,
    (head) => /^# yarn lockfile v1|^__metadata:/m.test(head),
  ),
  lockfile(
    'pnpm-lock.yaml',
    (name) => name === 'pnpm-lock.yaml' || name.endsWith('.pnpm-lock.yaml'),
    parsePnpmLock,
    (head) => /^lockfileVersion: /m.test(head),
  ),
  lockfile('requirements.txt', (name) => /^requirements([-_.][\w.-]*)?\.txt$/.test(name), parseRequirementsTxt),
  lockfile('poetry.lock', (name) => name === 'poetry.lock' || name.endsWith('.poetry.lock'), parsePoetryLock),
  lockfile(
    'Pipfile.lock',
    (name) => name === 'Pipfile.lock' || name.endsWith('.Pipfile.lock'),
    parsePipfileLock,
    (head) => /"_meta"\s*:[\s\S]*"pipfile-spec"/.test(head),
  ),
  lockfile('uv.lock', (name) => name === 'uv.lock' || name.endsWith('.uv.lock'), parseUvLock),
  lockfile(
    'composer.lock',
    (name) => name === 'composer.lock' || name.endsWith('.composer.lock'),
    parseComposerLock,
    (head) => /"content-hash"\s*:/.test(head) && /"packages"\s*:/.test(head),
  ),
  lockfile('Gemfile.lock', (name) => name === 'Gemfile.lock' || name === 'gems.locked' || name.endsWith('.Gemfile.lock'), parseGemfileLock),
  lockfile(
    'go.mod',
    (name) => name === 'go.mod' || name.endsWith('.go.mod'),
    parseGoMod,
    (head) => /^module \S+/m.test(head),
  ),
  lockfile('Cargo.lock', (name) => name === 'Cargo.lock' || name.endsWith('.Cargo.lock'), parseCargoLock),
  lockfile('packages.lock.json', named('packages.lock.json'), parseNugetPackagesLock),
  lockfile(
    'pom.xml',
    (name) => name === 'pom.xml' || name.endsWith('.pom.xml') || name.endsWith('.pom'),
    parsePomXml,
    (head) => /<project[\s>]/.test(head) && /<modelVersion>/.test(head),
  ),
  lockfile(
    'cyclonedx',
    (name) => name === 'bom.json' || name.endsWith('.cdx.json') || name.endsWith('.bom.json'),
    parseCycloneDx,
    (head) => /"bomFormat"\s*:\s*"CycloneDX"/.test(head),
  ),
  lockfile(
    'spdx',
    (name) => name.endsWith('.spdx.json'),
    parseSpdxJson,
    (head) => /"spdxVersion"\s*:\s*"SPDX-/.test(head),
  ),
];

/**
 * The first line of an rpm listing: `name-version-release.arch`, or the TAB-separated queryformat
 * and manifest forms. Split with the parser's own helpers (no regex that could backtrack).
 */
function looksLikeRpmList(head: string): boolean {
  const first = (head.split('\n').find((line) => line.trim() !== '') ?? '').trim();
  const fields = first.split('\t');
  if (fields.length === 4 || fields.length === 10) return fields.every((f) => f !== '');
  const dot = first.lastIndexOf('.');
  return dot > 0 && RPM_ARCHES.has(first.slice(dot + 1)) && splitNvr(first.slice(0, dot)) !== undefined;
}

/** The format of a file found while walking a directory (by name only), or undefined. */
export function formatByName(name: string): InventoryFormat | undefined {
  // A walked `status` or `installed` is only a package database at its conventional path.
  return INVENTORY_FORMATS.find((f) => !f.os && f.byName(name));
}

/** The format of a file named on the command line: by name, then by content. */
export function formatOfFile(name: string, head: string): InventoryFormat | undefined {
  return INVENTORY_FORMATS.find((f) => f.byName(name)) ?? INVENTORY_FORMATS.find((f) => f.byContent?.(head));
}

export function formatOfType(type: string): InventoryFormat {
  const format = INVENTORY_FORMATS.find((f) => f.type === type);
  if (!format) throw new Error(`no inventory format ${type}`);
  return format;
}
