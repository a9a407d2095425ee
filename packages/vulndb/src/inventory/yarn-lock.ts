import { parse as parseYaml } from 'yaml';
import { isRecord, own, requireText, show, Warnings } from './lockfile-common.ts';
import { type InstalledPackage, InventoryParseError, type ParsedInventory } from './model.ts';
import { isNpmPackageName, isPlainNpmVersion } from './npm-names.ts';
import { forEachLine, isBlank } from './text.ts';

/**
 * Yarn `yarn.lock`, both generations. Ecosystem 'npm'. Only packages installed from the npm
 * registry are reported, one per distinct (name, version), with the first entry's key as
 * location (shortened past {@link MAX_LOCATION} characters). A yarn.lock records no
 * dev/production split, so `dev` is never set.
 *
 * - Yarn berry (2+): a YAML document with a `__metadata` mapping; read with the `yaml` package,
 *   alias expansion bounded. Name and version come from each entry's `resolution` locator
 *   (`lodash@npm:4.17.21`) rather than its `version` field, which YAML may read as a number
 *   (`version: 1.10` is 1.1) and which an alias key does not name: `"sw@npm:string-width@^4"`
 *   resolves to `string-width@npm:4.2.3`. A `patch:` resolution counts as the npm version it
 *   patches (`resolve@patch:resolve@npm%3A1.22.8#~builtin<compat/resolve>` is resolve 1.22.8).
 *   `workspace:` resolutions are the project's own packages and are skipped silently; every
 *   other protocol (`link:`, `portal:`, `file:`, `exec:`, git, `github:`, http tarballs) is
 *   skipped with a warning.
 * - Yarn classic (1.x): yarn's own indented format (`# yarn lockfile v1`), read line by line.
 *   Each unindented `spec, spec:` header opens an entry whose two-space-indented `version` and
 *   `resolved` fields are read; deeper lines (the `dependencies:` blocks) are not needed. The
 *   name comes from the first specifier (the target of an `npm:` alias when there is one).
 *   Entries with a `file:`, `link:`, git, `github:`-style or URL specifier, or a `file:`/git
 *   `resolved`, are skipped with a warning.
 *
 * Not a yarn.lock at all is an InventoryParseError: empty, binary, invalid YAML, a berry file
 * whose `__metadata` is not a mapping, or a file without the `# yarn lockfile v1` marker whose
 * top level is not all entry headers or whose entries have no `version`. With the marker, an
 * unreadable top-level line (a merge conflict marker, say) is a warning instead.
 */
export function parseYarnLock(text: string, file: string): ParsedInventory {
  const body = requireText(text, file);
  if (body.trim() === '') throw new InventoryParseError(file, 'empty file, expected a yarn.lock');
  const shape = scanTopLevel(body);
  const found = new Collector();
  const warnings = new Warnings();
  if (shape.berry) readBerry(body, file, found, warnings);
  else readClassic(body, file, shape.classicMarker, found, warnings);
  return { type: 'yarn.lock', packages: found.list(), warnings: warnings.done() };
}

/** Locations longer than this are cut (a hostile key could be megabytes). */
export const MAX_LOCATION = 200;

/** Bounds YAML alias expansion (a real yarn.lock has no aliases at all). */
const MAX_ALIAS_COUNT = 100;

const CLASSIC_MARKER = '# yarn lockfile v1';

function shorten(key: string): string {
  return key.length > MAX_LOCATION ? `${key.slice(0, MAX_LOCATION)}…` : key;
}

class Collector {
  private readonly byKey = new Map<string, InstalledPackage>();

  add(name: string, version: string, location: string): void {
    const key = `${name}\u0000${version}`;
    if (!this.byKey.has(key)) this.byKey.set(key, { ecosystem: 'npm', name, version, location: shorten(location) });
  }

  list(): InstalledPackage[] {
    return [...this.byKey.values()];
  }
}

/** Splits `name@rest`; a scoped name's own `@` is not the separator. */
function splitAt(descriptor: string): { name: string; rest: string } | undefined {
  const at = descriptor.indexOf('@', descriptor.startsWith('@') ? 1 : 0);
  if (at <= 0) return undefined;
  return { name: descriptor.slice(0, at), rest: descriptor.slice(at + 1) };
}

/** Whether the file is berry (an unindented `__metadata:` key) and whether it has the v1 marker. */
function scanTopLevel(body: string): { berry: boolean; classicMarker: boolean } {
  let berry = false;
  let classicMarker = false;
  forEachLine(body, (line) => {
    if (line.startsWith('__metadata:') || line.startsWith('"__metadata":')) berry = true;
    else if (line.trimEnd() === CLASSIC_MARKER) classicMarker = true;
  });
  return { berry, classicMarker };
}

// ---- Yarn berry -------------------------------------------------------------------------------

function readBerry(body: string, file: string, found: Collector, warnings: Warnings): void {
  let doc: unknown;
  try {
    // uniqueKeys: false because the duplicate-key check compares each key with every earlier one,
    // quadratic in the number of entries (minutes for 200,000 packages); a repeated key just wins.
    doc = parseYaml(body, { maxAliasCount: MAX_ALIAS_COUNT, uniqueKeys: false, logLevel: 'error', prettyErrors: true });
  } catch (error) {
    // RangeError too: nesting deep enough to exhaust the stack is not a lockfile either.
    const reason = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
    throw new InventoryParseError(file, `not valid YAML, expected a yarn.lock: ${reason}`);
  }
  if (!isRecord(doc) || !isRecord(own(doc, '__metadata'))) {
    throw new InventoryParseError(file, 'not a yarn.lock: no __metadata mapping at the top level');
  }
  for (const [key, entry] of Object.entries(doc)) {
    if (key === '__metadata') continue;
    if (!isRecord(entry)) {
      warnings.add(`${show(key)}: entry is not a mapping, skipped`);
      continue;
    }
    const resolution = own(entry, 'resolution');
    if (typeof resolution !== 'string') {
      warnings.add(`${show(key)}: no resolution, skipped`);
      continue;
    }
    const resolved = resolveBerry(resolution);
    if ('skip' in resolved) {
      if (resolved.skip !== '') warnings.add(`${show(key)}: ${resolved.skip} ${show(resolution)}, skipped`);
      continue;
    }
    found.add(resolved.name, resolved.version, key);
  }
}

type BerryResolution = { name: string; version: string } | { skip: string };

/** Reads a berry locator; `skip` is empty for a workspace (no warning wanted). */
function resolveBerry(locator: string): BerryResolution {
  // A patch of a patch is possible in principle; two levels are plenty, and the bound keeps it cheap.
  let current = locator;
  for (let depth = 0; depth < 3; depth++) {
    const parts = splitAt(current);
    if (parts === undefined || !isNpmPackageName(parts.name)) return { skip: 'not a package locator' };
    const colon = parts.rest.indexOf(':');
    const protocol = colon > 0 ? parts.rest.slice(0, colon + 1) : '';
    const reference = parts.rest.slice(colon + 1);
    if (protocol === 'npm:') {
      // `::__archiveUrl=…` parameters are added when the registry's tarball URL is non-standard.
      const params = reference.indexOf('::');
      const version = params === -1 ? reference : reference.slice(0, params);
      if (!isPlainNpmVersion(version)) return { skip: 'not a registry version in' };
      return { name: parts.name, version };
    }
    if (protocol === 'workspace:') return { skip: '' };
    if (protocol !== 'patch:') return { skip: protocol === '' ? 'not a registry resolution' : `${protocol} resolution` };
    // `patch:<url-encoded locator of the original>#<patch file>::<parameters>`.
    const hash = reference.indexOf('#');
    try {
      current = decodeURIComponent(hash === -1 ? reference : reference.slice(0, hash));
    } catch {
      return { skip: 'unreadable patch: resolution' };
    }
  }
  return { skip: 'patch: resolution nested too deep' };
}

// ---- Yarn classic -----------------------------------------------------------------------------

interface ClassicEntry {
  key: string;
  lineNumber: number;
  specifiers: string[];
  version?: string;
  resolved?: string;
}

function readClassic(body: string, file: string, marker: boolean, found: Collector, warnings: Warnings): void {
  let entry: ClassicEntry | undefined;
  let entries = 0;
  let versioned = 0;
  const finish = (): void => {
    if (entry === undefined) return;
    entries++;
    if (entry.version !== undefined) versioned++;
    addClassicEntry(entry, found, warnings);
    entry = undefined;
  };
  forEachLine(body, (line, lineNumber) => {
    if (isBlank(line)) return;
    const indent = leadingSpaces(line);
    if (line.charCodeAt(indent) === 0x23 /* # */) return;
    if (indent === 0) {
      finish();
      const header = line.trimEnd();
      const specifiers = header.endsWith(':') ? splitSpecifiers(header.slice(0, -1)) : undefined;
      if (specifiers === undefined) {
        if (!marker) throw new InventoryParseError(file, `not a yarn.lock: line ${lineNumber} is not an entry header: ${show(line)}`);
        warnings.add(`line ${lineNumber}: not an entry header ${show(line)}, skipped`);
        return;
      }
      entry = { key: header.slice(0, -1), lineNumber, specifiers };
      return;
    }
    // Deeper lines belong to `dependencies:` / `optionalDependencies:` blocks, which are not needed.
    if (indent !== 2 || entry === undefined) return;
    const field = line.slice(2);
    const space = field.indexOf(' ');
    if (space <= 0) return; // a block opener such as `dependencies:`
    const name = field.slice(0, space);
    if (name !== 'version' && name !== 'resolved') return;
    const value = unquote(field.slice(space + 1).trim());
    if (value === undefined) return;
    if (name === 'version') entry.version = value;
    else entry.resolved = value;
  });
  finish();
  // Without the marker, demand proof that this is a lockfile: headers with versions under them.
  if (!marker && (entries === 0 || versioned === 0)) {
    throw new InventoryParseError(file, 'not a yarn.lock: no `# yarn lockfile v1` marker, no __metadata and no versioned entries');
  }
}

function addClassicEntry(entry: ClassicEntry, found: Collector, warnings: Warnings): void {
  const where = `line ${entry.lineNumber} ${show(entry.key)}`;
  let name: string | undefined;
  for (const specifier of entry.specifiers) {
    const parts = splitAt(specifier);
    if (parts === undefined) {
      warnings.add(`${where}: not a name@range specifier ${show(specifier)}, skipped`);
      return;
    }
    const kind = nonRegistryRange(parts.rest);
    if (kind !== undefined) {
      warnings.add(`${where}: ${kind} dependency, skipped`);
      return;
    }
    name ??= aliasTarget(parts.name, parts.rest);
  }
  if (name === undefined || !isNpmPackageName(name)) {
    warnings.add(`${where}: not a package name ${show(name)}, skipped`);
    return;
  }
  if (entry.resolved !== undefined) {
    const kind = nonRegistryResolved(entry.resolved);
    if (kind !== undefined) {
      warnings.add(`${where}: resolved from a ${kind} ${show(entry.resolved)}, skipped`);
      return;
    }
  }
  if (entry.version === undefined) {
    warnings.add(`${where}: no version, skipped`);
    return;
  }
  if (!isPlainNpmVersion(entry.version)) {
    warnings.add(`${where}: not a registry version ${show(entry.version)}, skipped`);
    return;
  }
  found.add(name, entry.version, entry.key);
}

/** `alias@npm:real@^1` installs `real`; `name@npm:^1` is just `name`. */
function aliasTarget(name: string, range: string): string {
  if (!range.startsWith('npm:')) return name;
  const inner = splitAt(range.slice(4));
  return inner === undefined ? name : inner.name;
}

/** What kind of non-registry dependency a classic range names, or undefined for a registry range. */
function nonRegistryRange(range: string): string | undefined {
  if (range.startsWith('npm:')) return undefined;
  if (range.startsWith('file:') || range.startsWith('link:') || range.startsWith('portal:')) return range.slice(0, range.indexOf(':') + 1);
  if (range.startsWith('http://') || range.startsWith('https://')) return 'URL';
  if (isGit(range)) return 'git';
  const colon = range.indexOf(':');
  // `github:`, `gitlab:`, `bitbucket:`, `gist:`… and `user/repo#ref` shorthands; semver ranges have neither.
  if (colon > 0 && /^[a-z+]+$/.test(range.slice(0, colon))) return range.slice(0, colon + 1);
  if (range.includes('/')) return 'git host shorthand';
  return undefined;
}

function nonRegistryResolved(resolved: string): string | undefined {
  if (resolved.startsWith('file:') || resolved.startsWith('link:')) return 'local path';
  if (isGit(resolved) || resolved.startsWith('github:')) return 'git repository';
  return undefined;
}

function isGit(value: string): boolean {
  return value.startsWith('git+') || value.startsWith('git:') || value.startsWith('git://') || value.startsWith('ssh://');
}

function leadingSpaces(line: string): number {
  let i = 0;
  while (i < line.length && line.charCodeAt(i) === 0x20) i++;
  return i;
}

/**
 * Splits a classic header (without its final colon) into specifiers: comma-separated, each
 * either a JSON-style quoted string or bare text up to the next comma. Undefined when malformed.
 */
function splitSpecifiers(header: string): string[] | undefined {
  const specifiers: string[] = [];
  let i = 0;
  const length = header.length;
  while (i < length) {
    while (i < length && header.charCodeAt(i) === 0x20) i++;
    let value: string | undefined;
    if (header.charCodeAt(i) === 0x22 /* " */) {
      const end = closingQuote(header, i);
      if (end === -1) return undefined;
      value = unquote(header.slice(i, end + 1));
      i = end + 1;
      while (i < length && header.charCodeAt(i) === 0x20) i++;
    } else {
      let end = header.indexOf(',', i);
      if (end === -1) end = length;
      value = header.slice(i, end).trim();
      i = end;
    }
    if (value === undefined || value === '') return undefined;
    specifiers.push(value);
    if (i < length) {
      if (header.charCodeAt(i) !== 0x2c /* , */) return undefined;
      i++;
      if (i === length) return undefined; // a trailing comma
    }
  }
  return specifiers.length > 0 ? specifiers : undefined;
}

/** Index of the quote closing the one at `start` (backslash escapes skipped), or -1. */
function closingQuote(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c /* \ */) i++;
    else if (c === 0x22) return i;
  }
  return -1;
}

/** Yarn quotes with JSON string syntax; bare values are taken as written. */
function unquote(value: string): string | undefined {
  if (!value.startsWith('"')) return value;
  if (closingQuote(value, 0) !== value.length - 1) return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'string' ? parsed : undefined;
  } catch {
    return undefined;
  }
}
