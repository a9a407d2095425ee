import { createHash, type Hash } from 'node:crypto';
import type { Inventory } from './inventory.ts';

/**
 * The digest of what an inventory says about the machine, leaving out when and how fast it was
 * collected: two collections of an unchanged machine have the same digest, so the agent sends
 * the inventory only when it changed (and the server answers an unchanged one with `last_seen`).
 *
 * Definition (stable: agents and servers of different versions must agree on it): the lowercase
 * hex SHA-256 of `canonicalJson` of the inventory without `collectedAt`, with each collector
 * report's `durationMs` left out, and with its lists sorted so the order collectors happened to
 * produce does not matter: packages by (ecosystem, name, version, arch, location), config facts
 * by (id, subject), services by (protocol, address, port), WordPress installs by path, collector
 * reports by name (missing fields sort as '', keys joined by NUL; a stable sort by UTF-16 code
 * units).
 *
 * The server computes it for every inventory it receives, so the hash is fed member by member
 * instead of from one canonical string, and packages (the bulk) are written by JSON.stringify over
 * copies with their keys in sorted order; the bytes hashed are exactly `canonicalJson`'s
 * (digest.test.ts checks it against the plain implementation).
 */
export function inventoryDigest(inventory: Inventory): string {
  const { collectedAt: _at, collectors, packages, ...rest } = inventory;
  const stable: Record<string, unknown> = {
    ...rest,
    configFacts: sortBy(rest.configFacts, (f) => `${f.id}\u0000${f.subject ?? ''}`),
    services: sortBy(rest.services, (s) => `${s.protocol}\u0000${s.address}\u0000${s.port}`),
    wordpress: sortBy(rest.wordpress, (w) => w.path),
    collectors: sortBy(
      collectors.map(({ durationMs: _ms, ...report }) => report),
      (c) => c.name,
    ),
  };
  const sortedPackages = sortBy(packages, (p) => [p.ecosystem, p.name, p.version, p.arch ?? '', p.location ?? ''].join('\u0000'));
  const keys = [...Object.keys(stable).filter((key) => stable[key] !== undefined), 'packages'].sort(byCodeUnits);
  const hash = createHash('sha256');
  hash.update('{');
  keys.forEach((key, i) => {
    hash.update(`${i > 0 ? ',' : ''}${JSON.stringify(key)}:`);
    if (key === 'packages') writePackages(hash, sortedPackages);
    else hash.update(canonicalJson(stable[key]));
  });
  hash.update('}');
  return hash.digest('hex');
}

const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function sortBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  return items
    .map((item) => ({ item, key: key(item) }))
    .sort((a, b) => byCodeUnits(a.key, b.key))
    .map((entry) => entry.item);
}

/**
 * The packages' canonical JSON. Packages of the protocol's shape are copied into objects whose keys
 * are created in sorted order, which JSON.stringify (native, one call) then writes exactly as
 * canonicalJson would (undefined members left out); any other list takes canonicalJson's path.
 */
function writePackages(hash: Hash, packages: readonly unknown[]): void {
  const ordered: unknown[] = new Array(packages.length);
  for (let i = 0; i < packages.length; i++) {
    const copy = inSortedKeyOrder(packages[i]);
    if (copy === null) {
      hash.update(canonicalJson(packages));
      return;
    }
    ordered[i] = copy;
  }
  hash.update(JSON.stringify(ordered));
}

const PACKAGE_KEYS = new Set(['arch', 'dev', 'ecosystem', 'epochKnown', 'location', 'name', 'source', 'version']);
const optionalString = (v: unknown) => v === undefined || typeof v === 'string';
const optionalBoolean = (v: unknown) => v === undefined || typeof v === 'boolean';
/** An object literal's kind of object (as JSON.parse and zod make): nothing inherited, no toJSON. */
const isPlain = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

/** A package of the protocol's shape with its keys in canonical (sorted) order; null for anything else. */
function inSortedKeyOrder(p: unknown): object | null {
  if (!isPlain(p)) return null;
  for (const key of Object.keys(p)) if (!PACKAGE_KEYS.has(key)) return null;
  const { arch, dev, ecosystem, epochKnown, location, name, source, version } = p;
  if (
    !optionalString(arch) ||
    !optionalBoolean(dev) ||
    !optionalString(ecosystem) ||
    !optionalBoolean(epochKnown) ||
    !optionalString(location) ||
    !optionalString(name) ||
    !optionalString(version)
  ) {
    return null;
  }
  if (source === undefined) return { arch, dev, ecosystem, epochKnown, location, name, source, version };
  if (!isPlain(source) || Object.keys(source).length !== 2 || typeof source.name !== 'string' || typeof source.version !== 'string')
    return null;
  return { arch, dev, ecosystem, epochKnown, location, name, source: { name: source.name, version: source.version }, version };
}

/** JSON with object keys sorted at every level; undefined members left out as JSON.stringify does. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
