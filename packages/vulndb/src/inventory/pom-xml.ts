import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { isRecord, own, requireText, show, Warnings } from './lockfile-common.ts';
import { type InstalledPackage, InventoryParseError, type ParsedInventory } from './model.ts';

/**
 * Maven `pom.xml`: the versions it declares, read without Maven (no parent or BOM is fetched, no
 * profile activation is evaluated). Ecosystem 'Maven', name `groupId:artifactId`.
 *
 * Read, in this order:
 * - `<dependencies><dependency>` (location `dependencies[i]`). A dependency without a version takes
 *   it from this pom's own `<dependencyManagement>` when that lists the same groupId:artifactId.
 * - `<dependencyManagement><dependencies><dependency>` (location `dependencyManagement[i]`),
 *   including `<scope>import</scope>` BOMs; an entry already reported, with the same version, from
 *   `<dependencies>` is not reported twice.
 * - `<profiles><profile><dependencies><dependency>` of every profile, active or not (location
 *   `profiles[i].dependencies[j]`), with the profile's `<properties>` over the project's: a
 *   scanner would rather report a dependency of an inactive profile than miss one of an active one.
 *   Profiles' dependencyManagement, `<build><plugins>` and `<parent>` itself are not read.
 * `<scope>test</scope>` → dev: true.
 *
 * Properties: `${name}` from `<properties>`, `${project.version}` / `${version}` / `${pom.version}`,
 * `${project.groupId}`, `${project.artifactId}`, `${project.parent.version}`,
 * `${project.parent.groupId}`; the project's groupId and version are inherited from `<parent>` when
 * absent. Substitution runs at most MAX_SUBSTITUTION_PASSES passes and stops when a value grows past
 * MAX_VALUE_LENGTH, so self-referencing or exponentially growing properties end as unresolvable.
 *
 * Skipped with a warning naming the dependency: unresolvable properties (`${env.X}`, a property of
 * an unseen parent), version ranges (`[1.0,2.0)`), and missing versions (managed by a parent or BOM
 * this file does not contain).
 *
 * XML safety: fast-xml-parser runs with `processEntities: false` (DOCTYPE entities are never
 * expanded, so billion-laughs input stays a literal `&lol9;`; an external `SYSTEM` entity makes the
 * parser refuse the document) and `htmlEntities: false`. The five predefined XML entities and
 * numeric character references are decoded here; a value still holding another `&name;` is
 * skipped as unresolvable. Nesting is bounded by the parser (maxNestedTags). Not XML, not
 * well-formed, or no `<project>` root: InventoryParseError.
 */

export const MAX_SUBSTITUTION_PASSES = 10;
export const MAX_VALUE_LENGTH = 1_000;

const CRITICAL = new Set(['__proto__', 'constructor', 'prototype']);
// fast-xml-parser refuses these tag names outright; renaming them keeps one odd property from
// failing the whole file. A `$` cannot appear in an XML name, so the renamed key cannot collide.
const renameCritical = (name: string): string => (CRITICAL.has(name) ? `${name}$` : name);
const originalName = (name: string): string => (name.endsWith('$') ? name.slice(0, -1) : name);

const parser = new XMLParser({
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  trimValues: true,
  jPath: false,
  transformTagName: renameCritical,
});

const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]);

/** An element's text: a string, or undefined for a missing, repeated or non-text element. */
function textOf(parent: unknown, key: string): string | undefined {
  if (!isRecord(parent)) return undefined;
  const value = own(parent, key);
  return typeof value === 'string' ? value.trim() : undefined;
}

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Decodes predefined entities and character references; undefined if another entity remains. */
function decodeXml(value: string): string | undefined {
  if (!value.includes('&')) return value;
  let unknown = false;
  const out = value.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[A-Za-z_][\w.-]{0,40});/g, (whole, ref: string) => {
    if (ref.startsWith('#x') || ref.startsWith('#')) {
      const code = ref.startsWith('#x') ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
      if (code > 0 && code <= 0x10ffff) return String.fromCodePoint(code);
    } else if (Object.hasOwn(PREDEFINED, ref)) {
      return PREDEFINED[ref] as string;
    }
    unknown = true;
    return whole;
  });
  return unknown ? undefined : out;
}

type Lookup = (name: string) => string | undefined;

/**
 * `${…}` substituted by `lookup`, repeatedly (a property may refer to others). Either the value, or
 * what could not be resolved: the first unknown property, or the reason (too deep, too long).
 */
function substitute(raw: string, lookup: Lookup): { value: string } | { unresolved: string } {
  if (raw.length > MAX_VALUE_LENGTH) return { unresolved: `value longer than ${MAX_VALUE_LENGTH} characters` };
  let value = raw;
  for (let pass = 0; pass < MAX_SUBSTITUTION_PASSES; pass++) {
    if (!value.includes('${')) return { value };
    let missing: string | undefined;
    let length = value.length;
    let tooLong = false;
    value = value.replace(/\$\{([^${}]{1,200})\}/g, (whole, name: string) => {
      if (missing !== undefined || tooLong) return whole;
      const found = lookup(name.trim());
      if (found === undefined) {
        missing = name;
        return whole;
      }
      // Checked before building the string, so a huge property cannot be copied many times.
      length += found.length - whole.length;
      if (length > MAX_VALUE_LENGTH) {
        tooLong = true;
        return whole;
      }
      return found;
    });
    if (missing !== undefined) return { unresolved: `\${${missing}}` };
    if (tooLong) return { unresolved: `${show(raw)} (expands past ${MAX_VALUE_LENGTH} characters)` };
  }
  return value.includes('${') ? { unresolved: `${show(raw)} (properties nested more than ${MAX_SUBSTITUTION_PASSES} deep)` } : { value };
}

function readProperties(node: unknown, into: Map<string, string>): void {
  if (!isRecord(node)) return;
  for (const key of Object.keys(node)) {
    const value = node[key];
    if (typeof value === 'string') into.set(originalName(key), value.trim());
  }
}

interface Coordinates {
  name: string;
  version: string | undefined;
  scope: string | undefined;
}

/** Declared dependency versions of one pom.xml (see the file comment for what is read and skipped). */
export function parsePomXml(text: string, file: string): ParsedInventory {
  const what = 'a Maven pom.xml';
  const body = requireText(text, file);
  if (body.trim() === '') throw new InventoryParseError(file, `empty file, expected ${what}`);
  const valid = XMLValidator.validate(body);
  if (valid !== true) {
    throw new InventoryParseError(
      file,
      `not well-formed XML, expected ${what}: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`,
    );
  }
  let doc: unknown;
  try {
    doc = parser.parse(body) as unknown;
  } catch (error) {
    throw new InventoryParseError(file, `unreadable XML, expected ${what}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const project = isRecord(doc) ? own(doc, 'project') : undefined;
  if (!isRecord(project)) throw new InventoryParseError(file, `not ${what}: no <project> root element`);

  const warnings = new Warnings();
  const properties = new Map<string, string>();
  readProperties(own(project, 'properties'), properties);
  const parent = own(project, 'parent');
  const builtins = new Map<string, string | undefined>();
  const parentVersion = textOf(parent, 'version');
  const parentGroup = textOf(parent, 'groupId');
  const projectVersion = textOf(project, 'version') || parentVersion;
  const projectGroup = textOf(project, 'groupId') || parentGroup;
  builtins.set('project.version', projectVersion);
  builtins.set('version', projectVersion);
  builtins.set('pom.version', projectVersion);
  builtins.set('project.groupId', projectGroup);
  builtins.set('pom.groupId', projectGroup);
  builtins.set('project.artifactId', textOf(project, 'artifactId'));
  builtins.set('project.parent.version', parentVersion);
  builtins.set('project.parent.groupId', parentGroup);
  const lookupIn =
    (props: Map<string, string>): Lookup =>
    (name) =>
      props.get(name) ?? builtins.get(name);
  const projectLookup = lookupIn(properties);

  /** A dependency's name and version, or undefined after a warning. */
  const read = (
    entry: unknown,
    location: string,
    lookup: Lookup,
    sink: Warnings,
    managed?: Map<string, string>,
  ): Coordinates | undefined => {
    if (!isRecord(entry)) {
      sink.add(`${location}: not a <dependency> element, skipped`);
      return undefined;
    }
    const parts: string[] = [];
    for (const field of ['groupId', 'artifactId'] as const) {
      const raw = textOf(entry, field);
      if (!raw) {
        sink.add(`${location}: no ${field}, skipped`);
        return undefined;
      }
      const resolved = resolve(raw, lookup);
      if ('unresolved' in resolved) {
        sink.add(`${location} ${show(raw)}: ${field} has unresolvable ${resolved.unresolved}, skipped`);
        return undefined;
      }
      parts.push(resolved.value);
    }
    const name = parts.join(':');
    const scope = textOf(entry, 'scope');
    const rawVersion = textOf(entry, 'version');
    if (!rawVersion) {
      const fromManagement = managed?.get(name);
      if (fromManagement !== undefined) return { name, version: fromManagement, scope };
      sink.add(`${location} ${name}: no version (managed by a parent or BOM not in this file), skipped`);
      return { name, version: undefined, scope };
    }
    const resolved = resolve(rawVersion, lookup);
    if ('unresolved' in resolved) {
      sink.add(`${location} ${name}: version has unresolvable ${resolved.unresolved}, skipped`);
      return { name, version: undefined, scope };
    }
    const version = resolved.value;
    if (/^[[(]/.test(version) || /[\])]$/.test(version) || version.includes(',')) {
      sink.add(`${location} ${name}: version range ${show(version)} is not one version, skipped`);
      return { name, version: undefined, scope };
    }
    if (/\s/.test(version)) {
      sink.add(`${location} ${name}: version ${show(version)} contains whitespace, skipped`);
      return { name, version: undefined, scope };
    }
    return { name, version, scope };
  };

  const packages: InstalledPackage[] = [];
  const reported = new Set<string>();
  const emit = (c: Coordinates | undefined, location: string): void => {
    if (!c || c.version === undefined) return;
    const pkg: InstalledPackage = { ecosystem: 'Maven', name: c.name, version: c.version, location };
    if (c.scope === 'test') pkg.dev = true;
    packages.push(pkg);
    reported.add(`${c.name}@${c.version}`);
  };

  // Management is read first, into its own warning list, so that versionless dependencies can use
  // it; its warnings follow those of <dependencies>, in the order the entries are reported.
  const dependencyManagement = own(project, 'dependencyManagement');
  const managedEntries = asArray(
    own(asFirst(isRecord(dependencyManagement) ? own(dependencyManagement, 'dependencies') : undefined), 'dependency'),
  );
  const managed = new Map<string, string>();
  const managementWarnings = new Warnings();
  const managedRead = managedEntries.map((entry, i) => read(entry, `dependencyManagement[${i}]`, projectLookup, managementWarnings));
  for (const c of managedRead) if (c?.version !== undefined && !managed.has(c.name)) managed.set(c.name, c.version);

  const dependencies = asArray(own(asFirst(own(project, 'dependencies')), 'dependency'));
  for (let i = 0; i < dependencies.length; i++) {
    const location = `dependencies[${i}]`;
    emit(read(dependencies[i], location, projectLookup, warnings, managed), location);
  }
  for (const message of managementWarnings.done()) warnings.add(message);
  for (let i = 0; i < managedRead.length; i++) {
    const c = managedRead[i];
    if (c?.version !== undefined && reported.has(`${c.name}@${c.version}`)) continue;
    emit(c, `dependencyManagement[${i}]`);
  }

  const profiles = asArray(own(asFirst(own(project, 'profiles')), 'profile'));
  for (let p = 0; p < profiles.length; p++) {
    const profile = profiles[p];
    if (!isRecord(profile)) continue;
    const local = new Map(properties);
    readProperties(own(profile, 'properties'), local);
    const lookup = lookupIn(local);
    const list = asArray(own(asFirst(own(profile, 'dependencies')), 'dependency'));
    for (let i = 0; i < list.length; i++) {
      const location = `profiles[${p}].dependencies[${i}]`;
      emit(read(list[i], location, lookup, warnings, managed), location);
    }
  }
  return { type: 'pom.xml', packages, warnings: warnings.done() };
}

/** An element that should appear once: its only (or first) occurrence as a record. */
function asFirst(value: unknown): Record<string, unknown> {
  const first = Array.isArray(value) ? value[0] : value;
  return isRecord(first) ? first : {};
}

function resolve(raw: string, lookup: Lookup): { value: string } | { unresolved: string } {
  const decoded = decodeXml(raw);
  if (decoded === undefined) return { unresolved: `entity reference in ${show(raw)}` };
  const result = substitute(decoded, (name) => {
    const value = lookup(name);
    return value === undefined ? undefined : decodeXml(value);
  });
  return result;
}
