import { isRecord, own, parseJsonText, show, Warnings } from './lockfile-common.ts';
import { type InstalledPackage, InventoryParseError, type ParsedInventory } from './model.ts';
import { isNpmPackageName } from './npm-names.ts';

/**
 * npm `package-lock.json` (also `npm-shrinkwrap.json`), lockfile versions 1, 2 and 3.
 *
 * - v2/v3: the `packages` map is read (v2 also carries the legacy `dependencies` tree, which is
 *   then ignored). Keys are install paths: `""` is the project itself, keys without a
 *   `node_modules/` segment are workspace folders (project code, not dependencies), and
 *   `link: true` entries point at such folders; all three are skipped. The name is what follows
 *   the last `node_modules/` (`@scope/name` for scoped packages), or the entry's `name` field
 *   when that is given (aliases such as `"foo": "npm:bar@1"` install `bar` under `node_modules/foo`).
 * - v1: the nested `dependencies` tree is walked with an explicit stack (no recursion), and each
 *   entry gets a synthesised location `node_modules/a/node_modules/b` like v2's keys. Entries
 *   whose version is not a registry version (`file:`, `git+…`, `github:`, URLs) are skipped with a
 *   warning. Nesting deeper than {@link MAX_V1_DEPTH} is skipped with one warning (no real tree is
 *   that deep; it bounds the cost of the synthesised locations).
 *
 * One InstalledPackage is kept per distinct (name, version), with the first location met; it is
 * `dev: true` only when every copy in the file is `dev: true` (a copy also needed in production
 * makes the package a production dependency). `devOptional` counts as not dev.
 */
export function parsePackageLock(text: string, file: string): ParsedInventory {
  const doc = parseJsonText(text, file, 'an npm package-lock.json');
  if (!isRecord(doc)) throw new InventoryParseError(file, 'not an npm package-lock.json: the top level is not a JSON object');
  const lockfileVersion = own(doc, 'lockfileVersion');
  const packages = own(doc, 'packages');
  const dependencies = own(doc, 'dependencies');
  if (typeof lockfileVersion !== 'number' && !isRecord(packages) && !isRecord(dependencies)) {
    throw new InventoryParseError(file, 'not an npm package-lock.json: no lockfileVersion, packages or dependencies');
  }
  if (typeof lockfileVersion === 'number' && (!Number.isInteger(lockfileVersion) || lockfileVersion < 1 || lockfileVersion > 3)) {
    throw new InventoryParseError(file, `unsupported lockfileVersion ${show(lockfileVersion)} (1, 2 and 3 are known)`);
  }
  const warnings = new Warnings();
  const found = new Collector();
  if (isRecord(packages)) {
    readPackagesMap(packages, found, warnings);
  } else if (isRecord(dependencies)) {
    readDependencyTree(dependencies, found, warnings);
  } else if (packages !== undefined || dependencies !== undefined) {
    throw new InventoryParseError(file, 'package-lock.json: packages / dependencies is not a JSON object');
  }
  return { type: 'package-lock.json', packages: found.list(), warnings: warnings.done() };
}

/** Deeper v1 nesting than this is skipped (with a warning). */
export const MAX_V1_DEPTH = 200;

const NODE_MODULES = 'node_modules/';

class Collector {
  private readonly byKey = new Map<string, InstalledPackage>();

  add(name: string, version: string, location: string, dev: boolean): void {
    const key = `${name}\u0000${version}`;
    const seen = this.byKey.get(key);
    if (seen === undefined) {
      const pkg: InstalledPackage = { ecosystem: 'npm', name, version, location };
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

function readPackagesMap(packages: Record<string, unknown>, found: Collector, warnings: Warnings): void {
  for (const [key, entry] of Object.entries(packages)) {
    if (key === '') continue;
    const at = key.lastIndexOf(NODE_MODULES);
    if (at === -1) continue; // a workspace folder: project code, not a dependency
    if (!isRecord(entry)) {
      warnings.add(`${show(key)}: entry is not an object, skipped`);
      continue;
    }
    if (own(entry, 'link') === true) continue;
    const pathName = key.slice(at + NODE_MODULES.length);
    const declared = own(entry, 'name');
    const name = typeof declared === 'string' && declared !== '' ? declared : pathName;
    if (!isNpmPackageName(name)) {
      warnings.add(`${show(key)}: not a package name ${show(name)}, skipped`);
      continue;
    }
    const version = own(entry, 'version');
    if (typeof version !== 'string' || version === '') {
      warnings.add(`${show(key)}: no version, skipped`);
      continue;
    }
    found.add(name, version, key, own(entry, 'dev') === true);
  }
}

function readDependencyTree(root: Record<string, unknown>, found: Collector, warnings: Warnings): void {
  const stack: { deps: Record<string, unknown>; prefix: string; depth: number }[] = [{ deps: root, prefix: '', depth: 1 }];
  let tooDeep = false;
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    const children: { deps: Record<string, unknown>; prefix: string; depth: number }[] = [];
    for (const [name, entry] of Object.entries(frame.deps)) {
      const location = `${frame.prefix}${NODE_MODULES}${name}`;
      if (!isRecord(entry)) {
        warnings.add(`${show(location)}: entry is not an object, skipped`);
        continue;
      }
      const nested = own(entry, 'dependencies');
      if (isRecord(nested)) {
        if (frame.depth >= MAX_V1_DEPTH) tooDeep = true;
        else children.push({ deps: nested, prefix: `${location}/`, depth: frame.depth + 1 });
      }
      if (!isNpmPackageName(name)) {
        warnings.add(`${show(location)}: not a package name ${show(name)}, skipped`);
        continue;
      }
      const version = own(entry, 'version');
      if (typeof version !== 'string' || version === '') {
        warnings.add(`${show(location)}: no version, skipped`);
        continue;
      }
      if (version.includes(':') || version.includes('/')) {
        warnings.add(`${show(location)}: not a registry version ${show(version)}, skipped`);
        continue;
      }
      found.add(name, version, location, own(entry, 'dev') === true);
    }
    // Reverse so that siblings are visited in file order (depth first, like npm's own listing).
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as (typeof children)[number]);
  }
  if (tooDeep) warnings.add(`dependencies nested deeper than ${MAX_V1_DEPTH} levels were skipped`);
}
