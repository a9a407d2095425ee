import { isRecord, own, parseJsonText, show, Warnings } from './lockfile-common.ts';
import { type InstalledPackage, InventoryParseError, type ParsedInventory } from './model.ts';

/**
 * Composer `composer.lock`: the `packages` array (production) and `packages-dev` (dev: true).
 * Ecosystem 'Packagist'; name and version as written (`v1.2.6` keeps its `v`: the Packagist
 * comparator normalises). Location is `packages[i]` / `packages-dev[i]`. Entries are not
 * deduplicated (Composer writes each package once). Entries without a `vendor/name` name or a
 * string version are skipped with a warning.
 */
export function parseComposerLock(text: string, file: string): ParsedInventory {
  const doc = parseJsonText(text, file, 'a composer.lock');
  if (!isRecord(doc)) throw new InventoryParseError(file, 'not a composer.lock: the top level is not a JSON object');
  const prod = own(doc, 'packages');
  const dev = own(doc, 'packages-dev');
  if (!Array.isArray(prod) && !Array.isArray(dev)) {
    throw new InventoryParseError(file, 'not a composer.lock: no packages or packages-dev array');
  }
  if ((prod !== undefined && prod !== null && !Array.isArray(prod)) || (dev !== undefined && dev !== null && !Array.isArray(dev))) {
    throw new InventoryParseError(file, 'composer.lock: packages / packages-dev is not an array');
  }
  const warnings = new Warnings();
  const packages: InstalledPackage[] = [];
  const read = (list: unknown[], section: string, isDev: boolean): void => {
    for (let i = 0; i < list.length; i++) {
      const location = `${section}[${i}]`;
      const entry = list[i];
      if (!isRecord(entry)) {
        warnings.add(`${location}: entry is not an object, skipped`);
        continue;
      }
      const name = own(entry, 'name');
      if (typeof name !== 'string' || !/^[^/\s]+\/[^/\s]+$/.test(name)) {
        warnings.add(`${location}: not a vendor/name package name ${show(name)}, skipped`);
        continue;
      }
      const version = own(entry, 'version');
      if (typeof version !== 'string' || version.trim() === '') {
        warnings.add(`${location} ${name}: no version, skipped`);
        continue;
      }
      const pkg: InstalledPackage = { ecosystem: 'Packagist', name, version, location };
      if (isDev) pkg.dev = true;
      packages.push(pkg);
    }
  };
  if (Array.isArray(prod)) read(prod, 'packages', false);
  if (Array.isArray(dev)) read(dev, 'packages-dev', true);
  return { type: 'composer.lock', packages, warnings: warnings.done() };
}
