import { parseAllDocuments } from 'yaml';
import { isRecord, own, requireText, show, Warnings } from './lockfile-common.ts';
import { type InstalledPackage, InventoryParseError, type ParsedInventory } from './model.ts';
import { isNpmPackageName, isPlainNpmVersion } from './npm-names.ts';

/**
 * pnpm `pnpm-lock.yaml` (YAML, read with the `yaml` package, alias expansion bounded), lockfile
 * versions 5.x, 6.x and 9.x. Ecosystem 'npm'. The `packages` map is read; each key names one
 * package:
 *
 * - 5.x: `/name/1.2.3` or `/@scope/name/1.2.3`, peer suffixes after `_` (`_react@18.2.0`).
 * - 6.x: `/name@1.2.3` or `/@scope/name@1.2.3`, peer suffixes in parentheses (`(react@18.2.0)`).
 * - 9.x: `name@1.2.3` without peer suffixes (those are in `snapshots`, which only adds peers).
 *
 * Peer suffixes are stripped and one InstalledPackage is kept per distinct (name, version), with
 * the first key met as location (shortened past {@link MAX_LOCATION} characters).
 *
 * Only registry packages are reported. Skipped with a warning: 5.x/6.x keys without the leading
 * `/` (`file:…`, `github.com/…`, tarball ids), keys whose version is not a plain version
 * (`file:`, `link:`, tarball URLs, `git+…`), and entries whose `resolution` names a git `repo` or
 * a `directory`. A `resolution.tarball` alone does not disqualify a plainly versioned key: pnpm
 * writes one for registry packages whose tarball URL is non-standard (private registries).
 *
 * Dev: 5.x/6.x mark a package `dev: true` when its entry says so. 9.x dropped that field, so it
 * is derived the way pnpm used to: walk `snapshots` dependencies (and optionalDependencies) from
 * every importer's `dependencies`/`optionalDependencies` (production) and `devDependencies` (dev);
 * a package reached only from dev roots is `dev: true`. A package reached from neither (or any
 * package when `importers`/`snapshots` are missing) is left unmarked. With duplicates, a package
 * is dev only when every copy is.
 *
 * A file may hold several YAML documents: pnpm 11+ writes an "env" document first (pnpm itself
 * under `packageManagerDependencies`, `configDependencies`), then the project's lockfile. Every
 * document must be a pnpm lockfile with a `lockfileVersion`, and all are read, since the env
 * document's packages are installed too (they are never marked dev). Anything
 * else (empty, binary, invalid YAML, YAML without `lockfileVersion`, an unknown version) is an
 * InventoryParseError.
 */
export function parsePnpmLock(text: string, file: string): ParsedInventory {
  const body = requireText(text, file);
  if (body.trim() === '') throw new InventoryParseError(file, 'empty file, expected a pnpm-lock.yaml');
  const found = new Collector();
  const warnings = new Warnings();
  for (const doc of loadDocuments(body, file)) readLockfile(doc, file, found, warnings);
  return { type: 'pnpm-lock.yaml', packages: found.list(), warnings: warnings.done() };
}

/** Locations longer than this are cut (a hostile key could be megabytes). */
export const MAX_LOCATION = 200;

/** Bounds YAML alias expansion (pnpm writes no aliases at all). */
const MAX_ALIAS_COUNT = 100;

type Style = 'v5' | 'v6' | 'v9';

function loadDocuments(body: string, file: string): unknown[] {
  try {
    // uniqueKeys: false because the duplicate-key check compares each key with every earlier one,
    // quadratic in the number of entries (minutes for 200,000 packages); a repeated key just wins.
    const docs = parseAllDocuments(body, { uniqueKeys: false, logLevel: 'error', prettyErrors: true });
    if ('empty' in docs || docs.length === 0) throw new InventoryParseError(file, 'no YAML document, expected a pnpm-lock.yaml');
    return docs.map((doc) => {
      const error = doc.errors[0];
      if (error !== undefined) throw error;
      return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as unknown;
    });
  } catch (error) {
    if (error instanceof InventoryParseError) throw error;
    // RangeError too: nesting deep enough to exhaust the stack is not a lockfile either.
    const reason = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
    throw new InventoryParseError(file, `not valid YAML, expected a pnpm-lock.yaml: ${reason}`);
  }
}

function readLockfile(doc: unknown, file: string, found: Collector, warnings: Warnings): void {
  if (!isRecord(doc)) throw new InventoryParseError(file, 'not a pnpm-lock.yaml: the top level is not a mapping');
  const style = styleOf(own(doc, 'lockfileVersion'), file);
  const packages = own(doc, 'packages');
  if (packages === undefined || packages === null) return; // a project without dependencies
  if (!isRecord(packages)) throw new InventoryParseError(file, 'pnpm-lock.yaml: packages is not a mapping');
  const devFlags = style === 'v9' ? devFlagsFromImporters(doc) : undefined;
  for (const [key, entry] of Object.entries(packages)) {
    if (!isRecord(entry)) {
      warnings.add(`${show(key)}: entry is not a mapping, skipped`);
      continue;
    }
    const id = readKey(key, style);
    if ('skip' in id) {
      warnings.add(`${show(key)}: ${id.skip}, skipped`);
      continue;
    }
    const resolution = own(entry, 'resolution');
    if (isRecord(resolution)) {
      const type = own(resolution, 'type');
      if (own(resolution, 'repo') !== undefined || type === 'git') {
        warnings.add(`${show(key)}: resolved from a git repository, skipped`);
        continue;
      }
      if (own(resolution, 'directory') !== undefined || type === 'directory') {
        warnings.add(`${show(key)}: resolved from a local directory, skipped`);
        continue;
      }
    }
    const dev = style === 'v9' ? devFlags?.get(key) === true : own(entry, 'dev') === true;
    found.add(id.name, id.version, key, dev);
  }
}

function styleOf(lockfileVersion: unknown, file: string): Style {
  if (lockfileVersion === undefined) throw new InventoryParseError(file, 'not a pnpm-lock.yaml: no lockfileVersion');
  const match =
    typeof lockfileVersion === 'number' || typeof lockfileVersion === 'string'
      ? /^(\d{1,4})(?:\.\d{1,4})?$/.exec(String(lockfileVersion))
      : null;
  const major = match === null ? undefined : match[1];
  if (major === '5') return 'v5';
  if (major === '6') return 'v6';
  if (major === '9') return 'v9';
  throw new InventoryParseError(file, `unsupported lockfileVersion ${show(lockfileVersion)} (5.x, 6.x and 9.x are known)`);
}

type PackageId = { name: string; version: string } | { skip: string };

function readKey(key: string, style: Style): PackageId {
  if (style !== 'v9' && !key.startsWith('/')) return { skip: 'not a registry package id' };
  const rest = style === 'v9' ? key : key.slice(1);
  let name: string;
  let version: string;
  if (style === 'v5') {
    // `/@scope/name/1.2.3_peer@1.0.0`: the version follows the name's last slash.
    const scopeEnd = rest.startsWith('@') ? rest.indexOf('/') : -1;
    if (rest.startsWith('@') && scopeEnd === -1) return { skip: 'not a package id' };
    const slash = rest.indexOf('/', scopeEnd + 1);
    if (slash === -1) return { skip: 'not a package id' };
    name = rest.slice(0, slash);
    version = cutAt(rest.slice(slash + 1), '_');
  } else {
    const at = rest.indexOf('@', rest.startsWith('@') ? 1 : 0);
    if (at <= 0) return { skip: 'not a package id' };
    name = rest.slice(0, at);
    version = cutAt(rest.slice(at + 1), '(');
  }
  if (!isNpmPackageName(name)) return { skip: `not a package name ${show(name)}` };
  if (!isPlainNpmVersion(version)) {
    const colon = version.indexOf(':');
    return {
      skip: colon > 0 && colon < 20 ? `not a registry package (${version.slice(0, colon + 1)})` : `not a registry version ${show(version)}`,
    };
  }
  return { name, version };
}

function cutAt(text: string, separator: string): string {
  const at = text.indexOf(separator);
  return at === -1 ? text : text.slice(0, at);
}

/**
 * 9.x: `name@version` (the `packages` key) → true when reached only from devDependencies,
 * false when reached from production roots. Undefined when the graph is not in the file.
 */
function devFlagsFromImporters(doc: Record<string, unknown>): Map<string, boolean> | undefined {
  const importers = own(doc, 'importers');
  const snapshots = own(doc, 'snapshots');
  if (!isRecord(importers) || !isRecord(snapshots)) return undefined;
  const prodRoots: string[] = [];
  const devRoots: string[] = [];
  for (const importer of Object.values(importers)) {
    if (!isRecord(importer)) continue;
    collectRoots(own(importer, 'dependencies'), prodRoots);
    collectRoots(own(importer, 'optionalDependencies'), prodRoots);
    collectRoots(own(importer, 'devDependencies'), devRoots);
  }
  const flags = new Map<string, boolean>();
  for (const id of reachable(devRoots, snapshots)) flags.set(cutAt(id, '('), true);
  for (const id of reachable(prodRoots, snapshots)) flags.set(cutAt(id, '('), false);
  return flags;
}

/** Importer deps are `name: {specifier, version}`; the version may carry peers or be an alias. */
function collectRoots(deps: unknown, roots: string[]): void {
  if (!isRecord(deps)) return;
  for (const [name, spec] of Object.entries(deps)) {
    const version = isRecord(spec) ? own(spec, 'version') : undefined;
    const id = typeof version === 'string' ? snapshotId(name, version) : undefined;
    if (id !== undefined) roots.push(id);
  }
}

/** The `snapshots` key a dependency points at: `name@version(peers)`, or the alias target as written. */
function snapshotId(name: string, version: string): string | undefined {
  if (version.startsWith('link:')) return undefined;
  const head = cutAt(version, '(');
  // `string-width@4.2.3` under the name `string-width-cjs` is an alias: the value is the id.
  if (head.indexOf('@', 1) > 0 && !head.includes(':')) return version;
  return `${name}@${version}`;
}

/** Snapshot ids reachable from `roots` along dependencies and optionalDependencies (iterative). */
function reachable(roots: string[], snapshots: Record<string, unknown>): Set<string> {
  const seen = new Set<string>(roots);
  const queue = [...seen];
  for (let i = 0; i < queue.length; i++) {
    const snapshot = own(snapshots, queue[i] as string);
    if (!isRecord(snapshot)) continue;
    for (const field of ['dependencies', 'optionalDependencies']) {
      const deps = own(snapshot, field);
      if (!isRecord(deps)) continue;
      for (const [name, version] of Object.entries(deps)) {
        const id = typeof version === 'string' ? snapshotId(name, version) : undefined;
        if (id !== undefined && !seen.has(id)) {
          seen.add(id);
          queue.push(id);
        }
      }
    }
  }
  return seen;
}

class Collector {
  private readonly byKey = new Map<string, InstalledPackage>();

  add(name: string, version: string, location: string, dev: boolean): void {
    const key = `${name}\u0000${version}`;
    const seen = this.byKey.get(key);
    if (seen === undefined) {
      const at = location.length > MAX_LOCATION ? `${location.slice(0, MAX_LOCATION)}…` : location;
      const pkg: InstalledPackage = { ecosystem: 'npm', name, version, location: at };
      if (dev) pkg.dev = true;
      this.byKey.set(key, pkg);
    } else if (seen.dev && !dev) {
      delete seen.dev;
    }
  }

  list(): InstalledPackage[] {
    return [...this.byKey.values()];
  }
}
