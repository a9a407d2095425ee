import { isRecord, own, parseJsonText, pep503, show, Warnings } from './lockfile-common.ts';
import { type InstalledPackage, InventoryParseError, type ParsedInventory } from './model.ts';

/**
 * Pipenv `Pipfile.lock` (JSON): the `default` (production) and `develop` (dev: true) maps of
 * package name → `{ "version": "==1.2.3", "hashes": […], … }`. Ecosystem 'PyPI', names
 * normalised per PEP 503, the version without its `==` (or `===`). Location is
 * `default.<name>` / `develop.<name>` as written in the file.
 *
 * Entries that are not pinned index releases are skipped with a warning: VCS, path, URL and
 * editable entries (`git`, `path`, `file`, `editable` keys, normally without a `version`), and
 * entries whose version is missing or not `==`-pinned. A package in both maps is reported once,
 * not dev (pipenv lists it in `develop` too when a dev package also needs it).
 *
 * A file must be a JSON object with a `default` or `develop` object; otherwise it is an
 * InventoryParseError.
 */
export function parsePipfileLock(text: string, file: string): ParsedInventory {
  const doc = parseJsonText(text, file, 'a Pipfile.lock');
  if (!isRecord(doc)) throw new InventoryParseError(file, 'not a Pipfile.lock: the top level is not a JSON object');
  const prod = own(doc, 'default');
  const dev = own(doc, 'develop');
  if (!isRecord(prod) && !isRecord(dev)) throw new InventoryParseError(file, 'not a Pipfile.lock: no default or develop object');
  if ((prod !== undefined && !isRecord(prod)) || (dev !== undefined && !isRecord(dev))) {
    throw new InventoryParseError(file, 'Pipfile.lock: default / develop is not a JSON object');
  }
  const meta = own(doc, '_meta');
  if (meta !== undefined && !isRecord(meta)) throw new InventoryParseError(file, 'Pipfile.lock: _meta is not a JSON object');
  const warnings = new Warnings();
  const byKey = new Map<string, InstalledPackage>();
  const read = (section: Record<string, unknown>, sectionName: string, isDev: boolean): void => {
    for (const [rawName, entry] of Object.entries(section)) {
      const location = `${sectionName}.${rawName.length > 200 ? `${rawName.slice(0, 200)}…` : rawName}`;
      if (!isRecord(entry)) {
        warnings.add(`${show(location)}: entry is not an object, skipped`);
        continue;
      }
      if (!isDistributionName(rawName)) {
        warnings.add(`${show(location)}: not a package name, skipped`);
        continue;
      }
      const source = ['git', 'path', 'file'].find((field) => own(entry, field) !== undefined);
      const editable = own(entry, 'editable') === true;
      if (source !== undefined || editable) {
        const what = source === undefined ? 'editable entry' : `${editable ? 'editable ' : ''}${source} entry ${show(own(entry, source))}`;
        warnings.add(`${show(location)}: ${what}, not an index release, skipped`);
        continue;
      }
      const version = pinnedVersion(own(entry, 'version'));
      if (version === undefined) {
        warnings.add(`${show(location)}: no ==pinned version ${show(own(entry, 'version'))}, skipped`);
        continue;
      }
      const name = pep503(rawName);
      const key = `${name}\u0000${version}`;
      const seen = byKey.get(key);
      if (seen === undefined) {
        const pkg: InstalledPackage = { ecosystem: 'PyPI', name, version, location };
        if (isDev) pkg.dev = true;
        byKey.set(key, pkg);
      } else if (seen.dev && !isDev) {
        delete seen.dev;
      }
    }
  };
  if (isRecord(prod)) read(prod, 'default', false);
  if (isRecord(dev)) read(dev, 'develop', true);
  return { type: 'Pipfile.lock', packages: [...byKey.values()], warnings: warnings.done() };
}

/** PEP 508 distribution names: letters, digits, `.`, `_`, `-`, starting and ending alphanumeric. */
function isDistributionName(name: string): boolean {
  return name.length <= 200 && /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/.test(name);
}

/** `==1.2.3` or `===1.2.3` → `1.2.3`; anything else (ranges, `*`, wildcards) is not a pin. */
function pinnedVersion(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const version = value.startsWith('===') ? value.slice(3).trim() : value.startsWith('==') ? value.slice(2).trim() : '';
  if (version === '' || version.length > 256 || /[\s,;*<>=!~]/.test(version)) return undefined;
  return version;
}
