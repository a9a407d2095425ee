import { type InstalledPackage, InventoryParseError, type ParsedInventory } from './model.ts';
import { excerpt, forEachLine, isBlank, rejectBinary, Warnings } from './text.ts';

/**
 * Parser for dpkg's database of installed packages, `/var/lib/dpkg/status` (deb822 / RFC 822-style
 * paragraphs separated by blank lines; `Field: value` lines; continuation lines start with a space
 * or a tab; field names are case-insensitive).
 *
 * Which paragraphs are installed packages. `Status: <want> <error-flag> <state>` (dpkg(1),
 * "Package states" / "Package selection states"; deb-status(5)). Only the third word, the current
 * state, says what is on disk; the first (the selection: install, hold, deinstall, purge, unknown)
 * is only what the administrator wants to happen next, so `hold ok installed` and
 * `deinstall ok installed` (selected for removal, not yet removed) are both installed. We report the
 * states dpkg itself counts as installed when it checks dependencies: `installed`,
 * `triggers-pending` and `triggers-awaited` (the package is configured, only triggers are
 * outstanding). Not reported: `not-installed`, `config-files` (removed; only conffiles remain, e.g.
 * `deinstall ok config-files`) silently; `half-installed`, `unpacked` and `half-configured` (an
 * interrupted or unfinished install or removal: some files may be on disk) with a warning, so the
 * caller can see them.
 *
 * Source. `Source: name` or `Source: name (version)`; dpkg writes the version only when the source
 * version differs from the binary's (e.g. bionic's `bsdutils` 1:2.31.1-0.4ubuntu3.4 from
 * `Source: util-linux (2.31.1-0.4ubuntu3.4)`). Without a version the source version is the binary
 * version; without the field the source package is the binary package itself.
 */

export type DpkgEcosystem = 'Debian' | 'Ubuntu';

export interface DpkgStatusOptions {
  /** The OSV ecosystem (without release) the packages belong to; the caller knows the distribution. */
  ecosystem: DpkgEcosystem;
}

const INSTALLED_STATES = new Set(['installed', 'triggers-pending', 'triggers-awaited']);
const PARTIAL_STATES = new Set(['half-installed', 'unpacked', 'half-configured']);
const REMOVED_STATES = new Set(['not-installed', 'config-files']);
const WANTS = new Set(['unknown', 'install', 'hold', 'deinstall', 'purge']);
// 'hold' and 'hold-reinstreq' are the error flags of dpkg before 1.15 (status files still carry them).
const FLAGS = new Set(['ok', 'reinstreq', 'hold', 'hold-reinstreq']);

/** The fields we read; all others are skipped (their continuation lines too). */
const WANTED = new Set(['package', 'version', 'status', 'architecture', 'source']);

// deb822 field names: printable US-ASCII except ':' and space, not starting with '#' or '-'.
const FIELD_NAME = /^[!-9;-~]+$/;

interface Paragraph {
  line: number;
  fields: Map<string, string>;
  duplicates: string[];
}

/** Splits `text` into paragraphs of the fields we read; counts the lines that are not deb822. */
function readParagraphs(text: string, warnings: Warnings): { paragraphs: Paragraph[]; fieldLines: number; badLines: number } {
  const paragraphs: Paragraph[] = [];
  let current: Paragraph | undefined;
  // The field a continuation line belongs to: a wanted field's name, '' for an unwanted one,
  // undefined when there is none (start of paragraph).
  let open: string | undefined;
  let fieldLines = 0;
  let badLines = 0;

  forEachLine(text, (line, lineNumber) => {
    if (isBlank(line)) {
      current = undefined;
      open = undefined;
      return;
    }
    const first = line.charCodeAt(0);
    if (first === 0x20 || first === 0x09) {
      if (open === undefined) {
        badLines++;
        warnings.add(`line ${lineNumber}: continuation line outside a field ignored: ${excerpt(line)}`);
      } else if (open !== '' && current) {
        current.fields.set(open, `${current.fields.get(open) ?? ''}\n${line.trim()}`);
      }
      return;
    }
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    if (name === '' || first === 0x23 /* # */ || first === 0x2d /* - */ || !FIELD_NAME.test(name)) {
      badLines++;
      open = undefined;
      warnings.add(`line ${lineNumber}: not a "Field: value" line, ignored: ${excerpt(line)}`);
      return;
    }
    fieldLines++;
    if (!current) {
      current = { line: lineNumber, fields: new Map(), duplicates: [] };
      paragraphs.push(current);
    }
    const key = name.toLowerCase();
    if (!WANTED.has(key)) {
      open = '';
      return;
    }
    if (current.fields.has(key)) {
      // dpkg refuses such a file; we keep the first value and say so.
      current.duplicates.push(name);
      open = '';
      return;
    }
    current.fields.set(key, line.slice(colon + 1).trim());
    open = key;
  });
  return { paragraphs, fieldLines, badLines };
}

/** `name` or `name (version)` → its parts; undefined when it is neither. */
export function parseSourceField(value: string): { name: string; version?: string } | undefined {
  const v = value.trim();
  const paren = v.indexOf('(');
  if (paren < 0) return /^\S+$/.test(v) ? { name: v } : undefined;
  const name = v.slice(0, paren).trim();
  const close = v.indexOf(')', paren);
  if (close < 0 || v.slice(close + 1).trim() !== '') return undefined;
  const version = v.slice(paren + 1, close).trim();
  if (!/^\S+$/.test(name) || !/^\S+$/.test(version)) return undefined;
  return { name, version };
}

/**
 * Reads the installed packages out of a dpkg status file. Throws InventoryParseError when the text
 * is not a dpkg status file at all (binary data, no `Field: value` lines, no `Package`/`Status`
 * fields, mostly non-deb822 lines); a paragraph that cannot be read is skipped with a warning.
 */
export function parseDpkgStatus(text: string, file: string, options: DpkgStatusOptions): ParsedInventory {
  const what = 'a dpkg status file';
  rejectBinary(text, file, what);
  const warnings = new Warnings();
  const packages: InstalledPackage[] = [];
  if (isBlank(text.replace(/[\r\n]/g, ''))) {
    warnings.add('file is empty: no packages');
    return { type: 'dpkg-status', packages, warnings: warnings.done() };
  }

  const { paragraphs, fieldLines, badLines } = readParagraphs(text, warnings);
  if (fieldLines === 0) throw new InventoryParseError(file, `not ${what}: no "Field: value" lines`);
  if (badLines > fieldLines) {
    throw new InventoryParseError(file, `not ${what}: ${badLines} lines are not deb822 fields, only ${fieldLines} are`);
  }
  const withPackage = paragraphs.filter((p) => p.fields.has('package'));
  if (withPackage.length === 0) throw new InventoryParseError(file, `not ${what}: no paragraph has a Package field`);
  if (!withPackage.some((p) => p.fields.has('status'))) {
    throw new InventoryParseError(
      file,
      `not ${what}: no paragraph has a Status field (a Packages index or dpkg's "available" file lists packages that are not necessarily installed)`,
    );
  }

  for (const p of paragraphs) {
    const where = `line ${p.line}`;
    const name = p.fields.get('package');
    if (name === undefined || name === '') {
      warnings.add(`${where}: paragraph without a Package field skipped`);
      continue;
    }
    const label = `${where}: package ${excerpt(name)}`;
    if (p.duplicates.length > 0) warnings.add(`${label}: repeated field(s) ${p.duplicates.join(', ')}; the first value is used`);
    if (!/^\S+$/.test(name)) {
      warnings.add(`${label}: package name contains whitespace; skipped`);
      continue;
    }
    const status = p.fields.get('status');
    if (status === undefined) {
      warnings.add(`${label}: no Status field; skipped`);
      continue;
    }
    const words = status.split(/\s+/);
    const [want, flag, state] = words as [string?, string?, string?];
    if (words.length !== 3 || !want || !flag || !state || !WANTS.has(want) || !FLAGS.has(flag)) {
      warnings.add(`${label}: unreadable Status ${excerpt(status)}; skipped`);
      continue;
    }
    if (REMOVED_STATES.has(state)) continue;
    if (PARTIAL_STATES.has(state)) {
      warnings.add(`${label}: state ${state} (install or removal not finished, files may be on disk); not reported`);
      continue;
    }
    if (!INSTALLED_STATES.has(state)) {
      warnings.add(`${label}: unknown state in Status ${excerpt(status)}; skipped`);
      continue;
    }
    const version = p.fields.get('version');
    if (version === undefined || version === '') {
      warnings.add(`${label}: installed but has no Version field; skipped`);
      continue;
    }
    if (!/^\S+$/.test(version)) {
      warnings.add(`${label}: Version ${excerpt(version)} contains whitespace; skipped`);
      continue;
    }
    const pkg: InstalledPackage = { ecosystem: options.ecosystem, name, version, location: where };
    const sourceField = p.fields.get('source');
    if (sourceField === undefined || sourceField === '') {
      pkg.source = { name, version };
    } else {
      const source = parseSourceField(sourceField);
      if (source) {
        pkg.source = { name: source.name, version: source.version ?? version };
      } else {
        warnings.add(`${label}: unreadable Source ${excerpt(sourceField)}; the package itself is taken as its source`);
        pkg.source = { name, version };
      }
    }
    const arch = p.fields.get('architecture');
    if (arch) pkg.arch = arch;
    packages.push(pkg);
  }
  return { type: 'dpkg-status', packages, warnings: warnings.done() };
}

export interface DpkgDistro {
  distro: DpkgEcosystem;
  /** '18.04', '12'…; null when the content does not tell. */
  release: string | null;
  /** 'bionic', 'bookworm'…; null when the release is unknown (or has no codename we know). */
  codename: string | null;
  /** What the answer rests on, for logs and for a human to check. */
  evidence: string[];
}

const UBUNTU_CODENAMES: Record<string, string> = {
  '12.04': 'precise',
  '14.04': 'trusty',
  '16.04': 'xenial',
  '16.10': 'yakkety',
  '17.04': 'zesty',
  '17.10': 'artful',
  '18.04': 'bionic',
  '18.10': 'cosmic',
  '19.04': 'disco',
  '19.10': 'eoan',
  '20.04': 'focal',
  '20.10': 'groovy',
  '21.04': 'hirsute',
  '21.10': 'impish',
  '22.04': 'jammy',
  '22.10': 'kinetic',
  '23.04': 'lunar',
  '23.10': 'mantic',
  '24.04': 'noble',
  '24.10': 'oracular',
  '25.04': 'plucky',
  '25.10': 'questing',
};

const DEBIAN_CODENAMES: Record<string, string> = {
  '7': 'wheezy',
  '8': 'jessie',
  '9': 'stretch',
  '10': 'buster',
  '11': 'bullseye',
  '12': 'bookworm',
  '13': 'trixie',
  '14': 'forky',
};

/** Ubuntu's base-files version of each LTS release (the part before `ubuntu`). */
const UBUNTU_BASE_FILES: Record<string, string> = {
  '6.5': '12.04',
  '7.2': '14.04',
  '9.4': '16.04',
  '10.1': '18.04',
  '11': '20.04',
  '12': '22.04',
  '13': '24.04',
};

function mostFrequent(counts: Map<string, number>): [string, number] | undefined {
  let best: [string, number] | undefined;
  for (const entry of counts) if (!best || entry[1] > best[1]) best = entry;
  return best;
}

/**
 * Infers Debian or Ubuntu, and the release where it can, from a dpkg status file's content alone.
 * Returns null when the content does not say (e.g. a derivative such as Kali or Mint whose
 * base-files is neither Debian's nor Ubuntu's, or too few packages).
 *
 * How:
 * - Ubuntu: the installed `base-files` version contains `ubuntu` (`10.1ubuntu2.7`), or at least
 *   one in ten installed versions does (Ubuntu's own revisions `-0ubuntu1`, `ubuntu0.18.04.5`).
 *   Release: the most frequent `ubuntu0.YY.MM` / `~YY.MM` marker in versions (stable-release
 *   updates and backports carry the target release: `0.105-20ubuntu0.18.04.5`,
 *   `1.1.1-1ubuntu2.1~18.04.6`); failing that, base-files of a known LTS (`10.1ubuntu…` → 18.04).
 * - Debian: base-files is Debian's (`12.4+deb12u11`, `11.1+deb11u9`: its major number is the
 *   release since Debian 7) or, with no Ubuntu trace at all, versions carry `+debNNuM` stable
 *   update markers (the most frequent NN is the release). An `Origin: debian`/`ubuntu` field is
 *   taken as a hint only when nothing else decides.
 * Only installed paragraphs (per parseDpkgStatus's rules) count; the function never throws.
 */
export function detectDpkgDistro(text: string): DpkgDistro | null {
  let parsed: ParsedInventory;
  try {
    parsed = parseDpkgStatus(text, '(detect)', { ecosystem: 'Debian' });
  } catch {
    return null;
  }
  const pkgs = parsed.packages;
  if (pkgs.length === 0) return null;
  const evidence: string[] = [];

  let ubuntuVersions = 0;
  const ubuntuReleases = new Map<string, number>();
  const debianReleases = new Map<string, number>();
  for (const p of pkgs) {
    const v = p.version;
    if (v.includes('ubuntu')) ubuntuVersions++;
    // Real versions are short; skipping long ones keeps the regexes below cheap on hostile input.
    if (v.length > 200) continue;
    const u = /(?:ubuntu\d*(?:\.\d+)*[.~]|~)(\d\d\.(?:04|10))(?![0-9])/.exec(v);
    if (u?.[1] && UBUNTU_CODENAMES[u[1]]) ubuntuReleases.set(u[1], (ubuntuReleases.get(u[1]) ?? 0) + 1);
    const d = /[+~]deb(\d+)u\d+/.exec(v);
    if (d?.[1]) debianReleases.set(d[1], (debianReleases.get(d[1]) ?? 0) + 1);
  }
  const baseFiles = pkgs.find((p) => p.name === 'base-files')?.version;

  // Origin is rarely present; count it as a fallback hint.
  let originUbuntu = 0;
  let originDebian = 0;
  forEachLine(text, (line) => {
    if (line.length < 40 && /^origin:/i.test(line)) {
      const o = line.slice(7).trim().toLowerCase();
      if (o === 'ubuntu') originUbuntu++;
      else if (o === 'debian') originDebian++;
    }
  });

  const ubuntuBase = baseFiles !== undefined ? /^(\d+(?:\.\d+)?)ubuntu/.exec(baseFiles) : null;
  const isUbuntu = Boolean(ubuntuBase) || ubuntuVersions * 10 >= pkgs.length;
  if (isUbuntu) {
    if (ubuntuBase) evidence.push(`base-files ${baseFiles}`);
    evidence.push(`${ubuntuVersions} of ${pkgs.length} installed versions contain "ubuntu"`);
    let release: string | null = null;
    const marker = mostFrequent(ubuntuReleases);
    if (marker) {
      release = marker[0];
      evidence.push(`most frequent release marker in versions: ${marker[0]} (${marker[1]} packages)`);
    } else if (ubuntuBase?.[1] && UBUNTU_BASE_FILES[ubuntuBase[1]]) {
      release = UBUNTU_BASE_FILES[ubuntuBase[1]] ?? null;
      evidence.push(`base-files ${baseFiles} is that of Ubuntu ${release}`);
    }
    return { distro: 'Ubuntu', release, codename: release ? (UBUNTU_CODENAMES[release] ?? null) : null, evidence };
  }

  const debianBase = baseFiles !== undefined ? /^(\d+)(?:\.\d+)*(?:\+deb\d+u\d+)?$/.exec(baseFiles) : null;
  const marker = mostFrequent(debianReleases);
  if (debianBase?.[1] && Number(debianBase[1]) >= 7) {
    const release = debianBase[1];
    evidence.push(`base-files ${baseFiles} is that of Debian ${release}`);
    if (marker) evidence.push(`most frequent +debNNu marker in versions: deb${marker[0]} (${marker[1]} packages)`);
    return { distro: 'Debian', release, codename: DEBIAN_CODENAMES[release] ?? null, evidence };
  }
  if (marker && ubuntuVersions === 0) {
    evidence.push(`no "ubuntu" in any version; most frequent +debNNu marker: deb${marker[0]} (${marker[1]} packages)`);
    return { distro: 'Debian', release: marker[0], codename: DEBIAN_CODENAMES[marker[0]] ?? null, evidence };
  }
  if (originUbuntu > originDebian) {
    return { distro: 'Ubuntu', release: null, codename: null, evidence: [`${originUbuntu} paragraphs say Origin: Ubuntu`] };
  }
  if (originDebian > 0 && ubuntuVersions === 0) {
    return { distro: 'Debian', release: null, codename: null, evidence: [`${originDebian} paragraphs say Origin: Debian`] };
  }
  return null;
}
