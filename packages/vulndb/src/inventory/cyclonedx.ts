import { DistroQualifiers, osNameToId, type SbomDistro, type SbomInventory } from '../distro/sbom-distro.ts';
import { isRecord, own, parseJsonText, show, Warnings } from './lockfile-common.ts';
import { type InstalledPackage, InventoryParseError } from './model.ts';
import { type Purl, PurlError, parsePurl, purlToPackage } from './purl.ts';

export type { SbomDistro, SbomInventory } from '../distro/sbom-distro.ts';

const KNOWN_SPEC_VERSIONS = new Set(['1.2', '1.3', '1.4', '1.5', '1.6']);

/**
 * CycloneDX JSON (`bomFormat: "CycloneDX"`, specVersion 1.2–1.6; other versions are read the same
 * way, with a warning). Every entry of `components`, and of their nested `components`, at any
 * depth (depth-first: a component, then its nested ones, then its next sibling), is read through
 * its `purl` (see purlToPackage for ecosystems and names); when the purl has no version the
 * component's `version` is used. `metadata.component` is the SBOM's subject (the
 * image or project scanned), not a dependency, and is not read. Location is the JSON path
 * (`components[3].components[0]`).
 *
 * Skipped with a warning: components without a purl, with an invalid purl, or with one of a type or
 * vendor OSV does not cover. Skipped silently: `type: "file"` components without a purl (syft
 * lists files it catalogued) and `type: "operating-system"` components, which give `distro`
 * instead (their `name`, or syft's `syft:distro:id` property, and `version`). Without such a
 * component, the most frequent purl `distro` qualifier (`alpine-3.16.2`) gives it.
 *
 * Not CycloneDX JSON at all (not JSON, no `bomFormat: "CycloneDX"`, `components` not an array):
 * InventoryParseError.
 */
export function parseCycloneDx(text: string, file: string): SbomInventory {
  const what = 'a CycloneDX JSON SBOM';
  const doc = parseJsonText(text, file, what);
  if (!isRecord(doc)) throw new InventoryParseError(file, `not ${what}: the top level is not a JSON object`);
  const bomFormat = own(doc, 'bomFormat');
  if (bomFormat !== 'CycloneDX') {
    throw new InventoryParseError(
      file,
      `not ${what}: ${bomFormat === undefined ? 'no bomFormat' : `bomFormat is ${show(bomFormat)}`}, not "CycloneDX"`,
    );
  }
  const components = own(doc, 'components');
  if (components !== undefined && !Array.isArray(components)) throw new InventoryParseError(file, `${what}: components is not an array`);
  const warnings = new Warnings();
  const specVersion = own(doc, 'specVersion');
  if (typeof specVersion !== 'string' || !KNOWN_SPEC_VERSIONS.has(specVersion)) {
    warnings.add(`specVersion ${show(specVersion)} is not 1.2–1.6; read as 1.6`);
  }
  const packages: InstalledPackage[] = [];
  const qualifiers = new DistroQualifiers();
  let distro: SbomDistro | undefined;

  // Depth-first with an explicit stack, so nesting depth cannot exhaust the call stack.
  const stack: { list: unknown[]; path: string; index: number }[] = [];
  if (Array.isArray(components)) stack.push({ list: components, path: 'components', index: 0 });
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as { list: unknown[]; path: string; index: number };
    if (top.index >= top.list.length) {
      stack.pop();
      continue;
    }
    const location = `${top.path}[${top.index}]`;
    const entry = top.list[top.index];
    top.index++;
    if (!isRecord(entry)) {
      warnings.add(`${location}: not an object, skipped`);
      continue;
    }
    const nested = own(entry, 'components');
    if (Array.isArray(nested)) stack.push({ list: nested, path: `${location}.components`, index: 0 });
    else if (nested !== undefined) warnings.add(`${location}: components is not an array, ignored`);

    const type = own(entry, 'type');
    const name = own(entry, 'name');
    const version = own(entry, 'version');
    const label = `${location}${typeof name === 'string' ? ` ${show(name)}` : ''}`;
    if (type === 'operating-system') {
      const os = osComponent(entry, name, version, location);
      if (os && !distro) distro = os;
      else if (!os) warnings.add(`${label}: operating-system component without a readable name and version`);
      continue;
    }
    const purlText = own(entry, 'purl');
    if (purlText === undefined || purlText === null || purlText === '') {
      if (type !== 'file') warnings.add(`${label}: no purl, skipped`);
      continue;
    }
    if (typeof purlText !== 'string') {
      warnings.add(`${label}: purl is not a string, skipped`);
      continue;
    }
    const pkg = fromPurl(purlText, typeof version === 'string' ? version : undefined, label, warnings);
    if (!pkg) continue;
    qualifiers.add(pkg.distro);
    packages.push({ ...pkg.installed, location });
  }
  const result: SbomInventory = { type: 'cyclonedx-json', packages, warnings: warnings.done() };
  const found = distro ?? qualifiers.best();
  if (found) result.distro = found;
  return result;
}

function osComponent(entry: Record<string, unknown>, name: unknown, version: unknown, location: string): SbomDistro | undefined {
  let id = typeof name === 'string' ? osNameToId(name) : undefined;
  let versionId = typeof version === 'string' && version.trim() !== '' ? version.trim() : undefined;
  const properties = own(entry, 'properties');
  if (Array.isArray(properties)) {
    for (const p of properties) {
      if (!isRecord(p) || typeof own(p, 'value') !== 'string') continue;
      const value = own(p, 'value') as string;
      if (own(p, 'name') === 'syft:distro:id') id = osNameToId(value) ?? id;
      if (own(p, 'name') === 'syft:distro:versionID' && value !== '') versionId = value;
    }
  }
  if (!id || !versionId) return undefined;
  return { id, versionId, evidence: `operating-system component ${id} ${versionId} (${location})` };
}

/**
 * A purl (with `fallbackVersion` when it has none) as a package and its distro qualifier; undefined
 * (after a warning naming `label`) when it is invalid or unmappable. Shared with the SPDX reader.
 */
export function fromPurl(
  purlText: string,
  fallbackVersion: string | undefined,
  label: string,
  warnings: Warnings,
): { installed: InstalledPackage; distro?: string } | undefined {
  let purl: Purl;
  try {
    purl = parsePurl(purlText);
  } catch (error) {
    warnings.add(`${label}: ${error instanceof PurlError ? error.reason : 'invalid purl'} in ${show(purlText)}, skipped`);
    return undefined;
  }
  if (purl.version === undefined && fallbackVersion !== undefined && fallbackVersion.trim() !== '') {
    purl = { ...purl, version: fallbackVersion.trim() };
  }
  if (purl.version === undefined) {
    warnings.add(`${label}: no version in ${show(purlText)}, skipped`);
    return undefined;
  }
  const mapped = purlToPackage(purl);
  if (!mapped) {
    warnings.add(
      `${label}: ${show(purlText)} does not map to an OSV ecosystem (type or vendor not covered, or a required namespace missing), skipped`,
    );
    return undefined;
  }
  const { distro, ...installed } = mapped;
  return distro === undefined ? { installed } : { installed, distro };
}
