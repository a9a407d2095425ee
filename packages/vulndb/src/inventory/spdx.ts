import { DistroQualifiers, osNameToId, type SbomDistro, type SbomInventory } from '../distro/sbom-distro.ts';
import { fromPurl } from './cyclonedx.ts';
import { isRecord, own, parseJsonText, show, Warnings } from './lockfile-common.ts';
import { type InstalledPackage, InventoryParseError } from './model.ts';

const KNOWN_VERSIONS = new Set(['SPDX-2.2', 'SPDX-2.3']);
// SPDX 2.3 spells the category PACKAGE-MANAGER, 2.2 PACKAGE_MANAGER.
const PACKAGE_MANAGER = new Set(['PACKAGE-MANAGER', 'PACKAGE_MANAGER']);

/**
 * SPDX 2.2 / 2.3 JSON (`spdxVersion: "SPDX-2.x"`; other 2.x versions are read with a warning).
 * Each entry of `packages` is read through its first `externalRefs` entry with
 * `referenceType: "purl"` (category PACKAGE-MANAGER or PACKAGE_MANAGER) that maps to an OSV
 * ecosystem (see purlToPackage); when the purl has no version, `versionInfo` is used. Location is
 * `packages[i]`.
 *
 * Not read: the document's subject (packages listed in `documentDescribes`, or the target of a
 * `SPDXRef-DOCUMENT DESCRIBES` relationship: syft's `DocumentRoot` image or directory), silently;
 * `primaryPackagePurpose: "OPERATING-SYSTEM"` packages, which give `distro` (name and
 * versionInfo). Without one, the most frequent purl `distro` qualifier gives it. Packages without
 * a purl, or whose purl is invalid or unmappable, are skipped with a warning.
 *
 * Not SPDX JSON (not JSON, no `SPDX-2.` spdxVersion, `packages` not an array): InventoryParseError.
 */
export function parseSpdxJson(text: string, file: string): SbomInventory {
  const what = 'an SPDX 2.x JSON document';
  const doc = parseJsonText(text, file, what);
  if (!isRecord(doc)) throw new InventoryParseError(file, `not ${what}: the top level is not a JSON object`);
  const spdxVersion = own(doc, 'spdxVersion');
  if (typeof spdxVersion !== 'string' || !spdxVersion.startsWith('SPDX-2.')) {
    throw new InventoryParseError(
      file,
      `not ${what}: ${spdxVersion === undefined ? 'no spdxVersion' : `spdxVersion is ${show(spdxVersion)}`}`,
    );
  }
  const list = own(doc, 'packages');
  if (list !== undefined && !Array.isArray(list)) throw new InventoryParseError(file, `${what}: packages is not an array`);
  const warnings = new Warnings();
  if (!KNOWN_VERSIONS.has(spdxVersion)) warnings.add(`spdxVersion ${show(spdxVersion)} is not SPDX-2.2 or SPDX-2.3; read as 2.3`);
  const subjects = describedIds(doc);
  const packages: InstalledPackage[] = [];
  const qualifiers = new DistroQualifiers();
  let distro: SbomDistro | undefined;
  const entries = Array.isArray(list) ? list : [];
  for (let i = 0; i < entries.length; i++) {
    const location = `packages[${i}]`;
    const entry: unknown = entries[i];
    if (!isRecord(entry)) {
      warnings.add(`${location}: not an object, skipped`);
      continue;
    }
    const name = own(entry, 'name');
    const versionInfo = own(entry, 'versionInfo');
    const label = `${location}${typeof name === 'string' ? ` ${show(name)}` : ''}`;
    if (own(entry, 'primaryPackagePurpose') === 'OPERATING-SYSTEM') {
      const id = typeof name === 'string' ? osNameToId(name) : undefined;
      if (id && typeof versionInfo === 'string' && versionInfo.trim() !== '') {
        distro ??= { id, versionId: versionInfo.trim(), evidence: `OPERATING-SYSTEM package ${id} ${versionInfo.trim()} (${location})` };
      } else {
        warnings.add(`${label}: OPERATING-SYSTEM package without a readable name and versionInfo`);
      }
      continue;
    }
    const spdxId = own(entry, 'SPDXID');
    if (typeof spdxId === 'string' && subjects.has(spdxId)) continue;
    const purls = purlRefs(own(entry, 'externalRefs'));
    if (purls.length === 0) {
      warnings.add(`${label}: no purl external reference, skipped`);
      continue;
    }
    const fallback = typeof versionInfo === 'string' && versionInfo !== 'NOASSERTION' ? versionInfo : undefined;
    // Warnings for a package with several purls are kept only when none of them maps.
    const local = new Warnings();
    let pkg: ReturnType<typeof fromPurl>;
    for (const purl of purls) {
      pkg = fromPurl(purl, fallback, label, local);
      if (pkg) break;
    }
    if (!pkg) {
      for (const message of local.list) warnings.add(message);
      continue;
    }
    qualifiers.add(pkg.distro);
    packages.push({ ...pkg.installed, location });
  }
  const result: SbomInventory = { type: 'spdx-json', packages, warnings: warnings.done() };
  const found = distro ?? qualifiers.best();
  if (found) result.distro = found;
  return result;
}

function purlRefs(refs: unknown): string[] {
  if (!Array.isArray(refs)) return [];
  const out: string[] = [];
  for (const ref of refs) {
    if (!isRecord(ref) || own(ref, 'referenceType') !== 'purl') continue;
    const category = own(ref, 'referenceCategory');
    if (category !== undefined && !(typeof category === 'string' && PACKAGE_MANAGER.has(category))) continue;
    const locator = own(ref, 'referenceLocator');
    if (typeof locator === 'string' && locator !== '') out.push(locator);
  }
  return out;
}

function describedIds(doc: Record<string, unknown>): Set<string> {
  const ids = new Set<string>();
  const described = own(doc, 'documentDescribes');
  if (Array.isArray(described)) for (const id of described) if (typeof id === 'string') ids.add(id);
  const relationships = own(doc, 'relationships');
  if (Array.isArray(relationships)) {
    for (const r of relationships) {
      if (!isRecord(r) || own(r, 'spdxElementId') !== 'SPDXRef-DOCUMENT' || own(r, 'relationshipType') !== 'DESCRIBES') continue;
      const target = own(r, 'relatedSpdxElement');
      if (typeof target === 'string') ids.add(target);
    }
  }
  return ids;
}
