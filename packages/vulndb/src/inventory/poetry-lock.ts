import { isRecord, own, packageTables, parseTomlText, pep503, show, Warnings } from './lockfile-common.ts';
import { type InstalledPackage, InventoryParseError, type ParsedInventory } from './model.ts';

/**
 * Poetry `poetry.lock` (TOML, read with smol-toml): every `[[package]]` table with a `name` and
 * `version`. Ecosystem 'PyPI', names normalised per PEP 503, location `package[i]`.
 *
 * Dev: lock-version 1.x writes `category = "dev"`; 2.x writes `groups = [...]`, and a package is
 * marked dev when its groups do not include `main` (it is only needed by non-main groups such as
 * `dev`, `test`, `typing`). Packages with neither field are not marked.
 *
 * A file must be valid TOML with a `package` array of tables or a `[metadata]` table (a project
 * without dependencies has only the latter); otherwise it is an InventoryParseError.
 */
export function parsePoetryLock(text: string, file: string): ParsedInventory {
  const doc = parseTomlText(text, file, 'a poetry.lock');
  const list = own(doc, 'package');
  if (list === undefined) {
    if (isRecord(own(doc, 'metadata'))) return { type: 'poetry.lock', packages: [], warnings: [] };
    throw new InventoryParseError(file, 'not a poetry.lock: no [[package]] tables and no [metadata]');
  }
  if (!Array.isArray(list)) throw new InventoryParseError(file, 'not a poetry.lock: `package` is not an array of tables');
  const warnings = new Warnings();
  const packages: InstalledPackage[] = [];
  for (const { entry, location } of packageTables(list, warnings)) {
    const name = own(entry, 'name');
    if (typeof name !== 'string' || !/^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/.test(name)) {
      warnings.add(`${location}: not a package name ${show(name)}, skipped`);
      continue;
    }
    const version = own(entry, 'version');
    if (typeof version !== 'string' || version.trim() === '') {
      warnings.add(`${location} ${name}: no version, skipped`);
      continue;
    }
    const pkg: InstalledPackage = { ecosystem: 'PyPI', name: pep503(name), version, location };
    if (isDevEntry(entry)) pkg.dev = true;
    packages.push(pkg);
  }
  return { type: 'poetry.lock', packages, warnings: warnings.done() };
}

function isDevEntry(entry: Record<string, unknown>): boolean {
  const groups = own(entry, 'groups');
  if (Array.isArray(groups)) return groups.length > 0 && !groups.includes('main');
  return own(entry, 'category') === 'dev';
}
