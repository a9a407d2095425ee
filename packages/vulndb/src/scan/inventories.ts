import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { type DistroIdentity, describeDistroEcosystem, detectAlpineRelease } from '../distro/ecosystem.ts';
import { detectDpkgDistro } from '../inventory/dpkg-status.ts';
import { type InstalledPackage, InventoryParseError, type ParsedInventory } from '../inventory/model.ts';
import { baseOf, isOsEcosystem } from '../match/ecosystems.ts';
import { formatOfFile, type InventoryFormat } from './formats.ts';
import { readHead, readInventoryText, ScanInputError } from './read-file.ts';
import { walkDirectory } from './walk.ts';

/** One inventory read by a scan: what the JSON report lists under `sources`. */
export interface InventorySource {
  path: string;
  type: string;
  /** With release for an OS inventory ('Ubuntu:18.04:LTS'); the package ecosystem(s) otherwise. */
  ecosystem: string | null;
  /** The distribution release OS packages in this inventory are matched against. */
  osEcosystem: string | null;
  packages: InstalledPackage[];
  warnings: string[];
  /** How the distribution release was decided, or why it could not be. */
  notes: string[];
}

export interface CollectOptions {
  /** `--distro`, already parsed to an OSV ecosystem with release; overrides detection. */
  distro?: string | null;
}

/**
 * Reads every inventory under the given paths. A file is parsed by its recognised format; a
 * directory is walked (see walk.ts). Anything that makes a named path unusable (missing,
 * unrecognised, unparsable, an OS database whose release cannot be told) is a ScanInputError:
 * the scan stops with exit 2 rather than report a partial answer as complete.
 */
export async function collectInventories(paths: readonly string[], options: CollectOptions = {}): Promise<InventorySource[]> {
  const sources: InventorySource[] = [];
  for (const path of paths) {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(path);
    } catch (error) {
      throw new ScanInputError(path, (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : String(error));
    }
    if (info.isDirectory()) sources.push(...(await walkDirectory(path, options)));
    else if (info.isFile()) sources.push(await readNamedFile(path, options));
    else throw new ScanInputError(path, 'not a regular file or directory');
  }
  return sources;
}

async function readNamedFile(path: string, options: CollectOptions): Promise<InventorySource> {
  const format = formatOfFile(basename(path), await readHead(path));
  if (!format) {
    throw new ScanInputError(
      path,
      'not a recognised inventory (dpkg status, apk installed, rpm -qa, a lockfile, pom.xml, a CycloneDX or SPDX SBOM); name it as the tool does, e.g. package-lock.json',
    );
  }
  return readInventory(path, path, format, options, null);
}

/**
 * Parses one inventory file. For an OS database the release comes from, in order: `--distro`,
 * the root filesystem's os-release (`rootEcosystem`), the file's own content.
 */
export async function readInventory(
  hostPath: string,
  shownAs: string,
  format: InventoryFormat,
  options: CollectOptions,
  rootEcosystem: { ecosystem: string; evidence: string } | null,
): Promise<InventorySource> {
  return inventoryFromText(await readInventoryText(hostPath, shownAs), shownAs, format, options, rootEcosystem);
}

export function inventoryFromText(
  text: string,
  shownAs: string,
  format: InventoryFormat,
  options: CollectOptions,
  rootEcosystem: { ecosystem: string; evidence: string } | null,
): InventorySource {
  if (!format.os) {
    const parsed = parseOrExplain(format, text, shownAs, '');
    return languageSource(shownAs, parsed, options, rootEcosystem);
  }
  const notes: string[] = [];
  let ecosystem: string | null = null;
  if (options.distro) {
    ecosystem = options.distro;
    notes.push(`release from --distro: ${ecosystem}`);
  } else if (rootEcosystem) {
    ecosystem = rootEcosystem.ecosystem;
    notes.push(`release from os-release: ${rootEcosystem.evidence}`);
  }
  if (format.type === 'dpkg-status' && ecosystem === null) {
    const detected = detectDpkgDistro(text);
    const answer = detected?.release ? describeDistroEcosystem({ id: detected.distro.toLowerCase(), versionId: detected.release }) : null;
    if (!answer || answer.ecosystem === null) {
      throw new ScanInputError(
        shownAs,
        `cannot tell which ${detected ? `${detected.distro} ` : 'Debian or Ubuntu '}release this dpkg status file is from${detected ? ` (${detected.evidence.join('; ')})` : ''}: pass --distro, e.g. --distro ubuntu:18.04 or --distro debian:12`,
      );
    }
    ecosystem = answer.ecosystem;
    notes.push(`release detected from the file's content: ${detected?.evidence.join('; ')}`);
  }
  const parsed = parseOrExplain(format, text, shownAs, ecosystem ? capitalBase(ecosystem) : 'Debian');
  if (format.type === 'apk-installed' && ecosystem === null) {
    const detected = detectAlpineRelease(parsed.packages);
    if (!detected) {
      throw new ScanInputError(
        shownAs,
        'cannot tell which Alpine release this apk database is from (no alpine-release package): pass --distro, e.g. --distro alpine:3.16',
      );
    }
    ecosystem = detected.ecosystem;
    notes.push(`release detected from the file's content: ${detected.evidence}`);
  }
  if (ecosystem === null) {
    throw new ScanInputError(
      shownAs,
      'an rpm package list does not say which distribution it is from (el8 builds are shared by RHEL, Rocky and AlmaLinux): pass --distro, e.g. --distro rocky:8 or --distro almalinux:9',
    );
  }
  const expected = expectedBase(format.type);
  if (expected && !expected.includes(baseOf(ecosystem))) {
    throw new ScanInputError(shownAs, `a ${format.type} inventory cannot be from ${ecosystem}`);
  }
  return {
    path: shownAs,
    type: parsed.type,
    ecosystem,
    osEcosystem: ecosystem,
    packages: parsed.packages,
    warnings: parsed.warnings,
    notes,
  };
}

function expectedBase(type: string): string[] | null {
  if (type === 'dpkg-status') return ['debian', 'ubuntu'];
  if (type === 'apk-installed') return ['alpine'];
  return null;
}

/** 'Ubuntu:18.04:LTS' → 'Ubuntu', as the parsers label packages. */
function capitalBase(ecosystem: string): string {
  return ecosystem.split(':')[0] ?? ecosystem;
}

function parseOrExplain(format: InventoryFormat, text: string, shownAs: string, osBase: string): ParsedInventory {
  try {
    return format.parse(text, shownAs, osBase);
  } catch (error) {
    if (error instanceof InventoryParseError) throw new ScanInputError(shownAs, error.reason);
    throw error;
  }
}

/**
 * A lockfile or SBOM. An SBOM can list OS packages too (deb, apk, rpm purls); their release comes
 * from `--distro`, the root's os-release, or the SBOM's own operating-system component.
 */
export function languageSource(
  path: string,
  parsed: ParsedInventory & { distro?: DistroIdentity & { evidence?: string } },
  options: CollectOptions = {},
  rootEcosystem: { ecosystem: string; evidence: string } | null = null,
): InventorySource {
  const ecosystems = [...new Set(parsed.packages.map((p) => p.ecosystem))].sort();
  const notes: string[] = [];
  let osEcosystem: string | null = null;
  if (ecosystems.some(isOsEcosystem)) {
    if (options.distro) {
      osEcosystem = options.distro;
      notes.push(`release from --distro: ${osEcosystem}`);
    } else if (rootEcosystem) {
      osEcosystem = rootEcosystem.ecosystem;
      notes.push(`release from os-release: ${rootEcosystem.evidence}`);
    } else if (parsed.distro) {
      const answer = describeDistroEcosystem(parsed.distro);
      if (answer.ecosystem === null) throw new ScanInputError(path, `lists OS packages, but ${answer.reason}: pass --distro`);
      osEcosystem = answer.ecosystem;
      notes.push(`release from the SBOM: ${parsed.distro.evidence ?? answer.evidence}`);
    } else {
      throw new ScanInputError(path, 'lists OS packages but does not say which distribution release: pass --distro');
    }
  }
  const shown = osEcosystem ? [...new Set(ecosystems.map((e) => (isOsEcosystem(e) ? (osEcosystem as string) : e)))] : ecosystems;
  return {
    path,
    type: parsed.type,
    ecosystem: shown.length ? shown.join(', ') : null,
    osEcosystem,
    packages: parsed.packages,
    warnings: parsed.warnings,
    notes,
  };
}
