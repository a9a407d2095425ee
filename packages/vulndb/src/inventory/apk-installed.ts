import { type InstalledPackage, InventoryParseError, type ParsedInventory } from './model.ts';
import { excerpt, forEachLine, isBlank, rejectBinary, Warnings } from './text.ts';

/**
 * Parser for apk's database of installed packages, `/lib/apk/db/installed` (apk-tools
 * `apk_db_index_read`; the same "index" format as APKINDEX). One stanza per package, stanzas
 * separated by a blank line, one `X:value` per line with a single-letter key: `P` package name,
 * `V` version, `A` architecture, `o` origin (the aports source package that advisories and
 * secdb are keyed by), `C` checksum, `T` description, `D`/`p` depends/provides, `F`/`R`/`Z`/`a`/`M`
 * the files it owns, and so on. Every stanza in this file is an installed package.
 *
 * The source is the origin with the package's own version (all packages an APKBUILD builds share
 * its pkgver-pkgrel); a stanza without `o:` is its own origin. A `P:` inside a stanza that already
 * has one (a missing blank line) starts a new package, with a warning.
 */
export function parseApkInstalled(text: string, file: string): ParsedInventory {
  const what = 'an apk installed database';
  rejectBinary(text, file, what);
  const warnings = new Warnings();
  const packages: InstalledPackage[] = [];
  if (isBlank(text.replace(/[\r\n]/g, ''))) {
    warnings.add('file is empty: no packages');
    return { type: 'apk-installed', packages, warnings: warnings.done() };
  }

  interface Stanza {
    line: number;
    name?: string;
    version?: string;
    arch?: string;
    origin?: string;
  }
  let current: Stanza | undefined;
  let fieldLines = 0;
  let badLines = 0;
  let namedStanzas = 0;

  const finish = (): void => {
    const s = current;
    current = undefined;
    if (!s) return;
    const where = `line ${s.line}`;
    if (s.name === undefined || s.name === '') {
      warnings.add(`${where}: stanza without a P: (package name) line skipped`);
      return;
    }
    namedStanzas++;
    const label = `${where}: package ${excerpt(s.name)}`;
    if (s.version === undefined || s.version === '') {
      warnings.add(`${label}: no V: (version) line; skipped`);
      return;
    }
    if (/\s/.test(s.name) || /\s/.test(s.version)) {
      warnings.add(`${label}: name or version contains whitespace; skipped`);
      return;
    }
    const origin = s.origin && !/\s/.test(s.origin) ? s.origin : s.name;
    const pkg: InstalledPackage = {
      ecosystem: 'Alpine',
      name: s.name,
      version: s.version,
      source: { name: origin, version: s.version },
      location: where,
    };
    if (s.arch) pkg.arch = s.arch;
    packages.push(pkg);
  };

  forEachLine(text, (line, lineNumber) => {
    if (isBlank(line)) {
      finish();
      return;
    }
    if (line.length < 2 || line.charCodeAt(1) !== 0x3a /* : */ || line.charCodeAt(0) <= 0x20) {
      badLines++;
      warnings.add(`line ${lineNumber}: not an "X:value" line, ignored: ${excerpt(line)}`);
      return;
    }
    fieldLines++;
    const key = line[0];
    const value = line.slice(2).trim();
    if (key === 'P' && current?.name !== undefined) {
      warnings.add(`line ${lineNumber}: P: without a blank line before it; taken as the start of a new package`);
      finish();
    }
    if (!current) current = { line: lineNumber };
    switch (key) {
      case 'P':
        current.name = value;
        break;
      case 'V':
        current.version ??= value;
        break;
      case 'A':
        current.arch ??= value;
        break;
      case 'o':
        current.origin ??= value;
        break;
    }
  });
  finish();

  if (fieldLines === 0) throw new InventoryParseError(file, `not ${what}: no "X:value" lines`);
  if (badLines > fieldLines) {
    throw new InventoryParseError(file, `not ${what}: ${badLines} lines are not "X:value" lines, only ${fieldLines} are`);
  }
  if (namedStanzas === 0) throw new InventoryParseError(file, `not ${what}: no P: (package name) line`);
  return { type: 'apk-installed', packages, warnings: warnings.done() };
}
