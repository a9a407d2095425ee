import { isRecord, own, parseJsonText, show, Warnings } from './lockfile-common.ts';
import { type InstalledPackage, InventoryParseError, type ParsedInventory } from './model.ts';

/**
 * NuGet `packages.lock.json`: `dependencies` → target framework (`net8.0`, `net8.0/linux-x64`) →
 * package id → `{ type, resolved }`. Entries of type `Direct`, `Transitive` and
 * `CentralTransitive` are reported at their `resolved` version; `Project` entries (other projects
 * of the solution) are skipped. Ecosystem 'NuGet', location `<framework>/<id>`, one entry per
 * distinct (id, version), ids compared case-insensitively as NuGet does (the first spelling kept).
 *
 * A document that is not a JSON object with a `dependencies` object is an InventoryParseError.
 */

const KEPT_TYPES = new Set(['Direct', 'Transitive', 'CentralTransitive']);
const PACKAGE_ID = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$/;
const NUGET_VERSION = /^[0-9][0-9A-Za-z.+-]*$/;

export function parseNugetPackagesLock(text: string, file: string): ParsedInventory {
  const doc = parseJsonText(text, file, 'a NuGet packages.lock.json');
  if (!isRecord(doc)) throw new InventoryParseError(file, 'not a packages.lock.json: the document is not an object');
  const frameworks = own(doc, 'dependencies');
  if (!isRecord(frameworks)) throw new InventoryParseError(file, 'not a packages.lock.json: no `dependencies` object');
  const warnings = new Warnings();
  const packages: InstalledPackage[] = [];
  const seen = new Set<string>();
  for (const framework of Object.keys(frameworks)) {
    const entries = frameworks[framework];
    if (!isRecord(entries)) {
      warnings.add(`${show(framework)}: not an object, skipped`);
      continue;
    }
    for (const id of Object.keys(entries)) {
      const location = `${framework}/${id}`;
      const entry = entries[id];
      if (!isRecord(entry)) {
        warnings.add(`${show(location)}: not an object, skipped`);
        continue;
      }
      const type = own(entry, 'type');
      if (type === 'Project') continue;
      if (typeof type !== 'string' || !KEPT_TYPES.has(type)) {
        warnings.add(`${show(location)}: unknown type ${show(type)}, skipped`);
        continue;
      }
      if (!PACKAGE_ID.test(id)) {
        warnings.add(`${show(location)}: not a package id, skipped`);
        continue;
      }
      const version = own(entry, 'resolved');
      if (typeof version !== 'string' || !NUGET_VERSION.test(version)) {
        warnings.add(`${show(location)}: no resolved version ${show(version)}, skipped`);
        continue;
      }
      const key = `${id.toLowerCase()} ${version.toLowerCase()}`;
      if (seen.has(key)) continue;
      seen.add(key);
      packages.push({ ecosystem: 'NuGet', name: id, version, location });
    }
  }
  return { type: 'packages.lock.json', packages, warnings: warnings.done() };
}
