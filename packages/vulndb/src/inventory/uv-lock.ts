import { isRecord, own, packageTables, parseTomlText, pep503, show, Warnings } from './lockfile-common.ts';
import { type InstalledPackage, InventoryParseError, type ParsedInventory } from './model.ts';

/**
 * uv `uv.lock` (TOML, read with smol-toml): every `[[package]]` table with a `name`, `version` and
 * `source`. Ecosystem 'PyPI', names normalised per PEP 503, location `package[i]`.
 *
 * Only packages from a package index (`source = { registry = "…" }`) are reported. The
 * project's own packages (`editable` and `virtual` sources: the root and workspace members) are
 * skipped silently; `git`, `path`, `directory` and `url` (direct URL) sources are skipped with a
 * warning. uv writes each name/version/source once, so nothing is deduplicated. `dev` is not
 * set: uv records dependency groups only on the packages that declare them, and telling which
 * locked packages only dev groups need would mean resolving the whole graph, extras and markers.
 *
 * A file must be valid TOML with a numeric `version` and a `requires-python` string (uv writes
 * both); otherwise it is an InventoryParseError, as is an unknown `version`.
 */
export function parseUvLock(text: string, file: string): ParsedInventory {
  const doc = parseTomlText(text, file, 'a uv.lock');
  const lockVersion = own(doc, 'version');
  if (typeof lockVersion !== 'number' || typeof own(doc, 'requires-python') !== 'string') {
    throw new InventoryParseError(file, 'not a uv.lock: no numeric version and requires-python at the top level');
  }
  if (lockVersion !== 1) throw new InventoryParseError(file, `unsupported uv.lock version ${show(lockVersion)} (1 is known)`);
  const list = own(doc, 'package');
  if (list === undefined) return { type: 'uv.lock', packages: [], warnings: [] };
  if (!Array.isArray(list)) throw new InventoryParseError(file, 'not a uv.lock: `package` is not an array of tables');
  const warnings = new Warnings();
  const packages: InstalledPackage[] = [];
  for (const { entry, location } of packageTables(list, warnings)) {
    const name = own(entry, 'name');
    if (typeof name !== 'string' || name.length > 200 || !/^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/.test(name)) {
      warnings.add(`${location}: not a package name ${show(name)}, skipped`);
      continue;
    }
    const source = own(entry, 'source');
    if (!isRecord(source)) {
      warnings.add(`${location} ${name}: no source table, skipped`);
      continue;
    }
    // The project itself and its workspace members: project code, not dependencies.
    if (own(source, 'editable') !== undefined || own(source, 'virtual') !== undefined) continue;
    if (own(source, 'registry') === undefined) {
      const kind = ['git', 'path', 'directory', 'url'].find((field) => own(source, field) !== undefined);
      const what = kind === undefined ? `unknown source ${show(source)}` : `${kind} source ${show(own(source, kind))}`;
      warnings.add(`${location} ${name}: ${what}, not an index release, skipped`);
      continue;
    }
    const version = own(entry, 'version');
    if (typeof version !== 'string' || version.trim() === '') {
      warnings.add(`${location} ${name}: no version, skipped`);
      continue;
    }
    packages.push({ ecosystem: 'PyPI', name: pep503(name), version, location });
  }
  return { type: 'uv.lock', packages, warnings: warnings.done() };
}
