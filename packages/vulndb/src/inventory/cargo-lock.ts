import { isRecord, own, packageTables, parseTomlText, show, Warnings } from './lockfile-common.ts';
import { type InstalledPackage, InventoryParseError, type ParsedInventory } from './model.ts';

const CRATES_IO = new Set(['registry+https://github.com/rust-lang/crates.io-index', 'sparse+https://index.crates.io/']);

/**
 * Cargo `Cargo.lock` (TOML, read with smol-toml): every `[[package]]` table with a `name` and
 * `version`. Ecosystem 'crates.io', location `package[i]`.
 *
 * Only packages from the crates.io registry are reported (its advisories apply to them).
 * Packages without `source` are the workspace's own members (path crates) and are skipped
 * silently; git sources and other registries are skipped with a warning.
 *
 * A file must be valid TOML with a `package` array of tables, or else a `version` key (lock format
 * 3 and later) or a `[metadata]` table (formats 1 and 2); otherwise it is an InventoryParseError.
 */
export function parseCargoLock(text: string, file: string): ParsedInventory {
  const doc = parseTomlText(text, file, 'a Cargo.lock');
  const list = own(doc, 'package');
  if (list === undefined) {
    if (typeof own(doc, 'version') === 'number' || isRecord(own(doc, 'metadata')))
      return { type: 'Cargo.lock', packages: [], warnings: [] };
    throw new InventoryParseError(file, 'not a Cargo.lock: no [[package]] tables');
  }
  if (!Array.isArray(list)) throw new InventoryParseError(file, 'not a Cargo.lock: `package` is not an array of tables');
  const warnings = new Warnings();
  const packages: InstalledPackage[] = [];
  for (const { entry, location } of packageTables(list, warnings)) {
    const name = own(entry, 'name');
    if (typeof name !== 'string' || !/^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$/.test(name)) {
      warnings.add(`${location}: not a crate name ${show(name)}, skipped`);
      continue;
    }
    const version = own(entry, 'version');
    if (typeof version !== 'string' || version.trim() === '') {
      warnings.add(`${location} ${name}: no version, skipped`);
      continue;
    }
    const source = own(entry, 'source');
    if (source === undefined) continue; // a workspace member or path dependency
    if (typeof source !== 'string') {
      warnings.add(`${location} ${name}: source is not a string, skipped`);
      continue;
    }
    if (!CRATES_IO.has(source)) {
      const kind = source.startsWith('git+') ? 'git source' : 'not the crates.io registry';
      warnings.add(`${location} ${name} ${show(version)}: ${kind} ${show(source)}, skipped`);
      continue;
    }
    packages.push({ ecosystem: 'crates.io', name, version, location });
  }
  return { type: 'Cargo.lock', packages, warnings: warnings.done() };
}
