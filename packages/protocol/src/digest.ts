import { createHash } from 'node:crypto';
import type { Inventory } from './inventory.ts';

/**
 * The digest of what an inventory says about the machine, leaving out when and how fast it was
 * collected: two collections of an unchanged machine have the same digest, so the agent sends
 * the inventory only when it changed (and the server answers an unchanged one with `last_seen`).
 * Lists are sorted first, so the order collectors happened to produce does not matter.
 */
export function inventoryDigest(inventory: Inventory): string {
  const { collectedAt: _at, collectors, ...rest } = inventory;
  const stable = {
    ...rest,
    packages: sortBy(rest.packages, (p) => [p.ecosystem, p.name, p.version, p.arch ?? '', p.location ?? ''].join('\u0000')),
    configFacts: sortBy(rest.configFacts, (f) => `${f.id}\u0000${f.subject ?? ''}`),
    services: sortBy(rest.services, (s) => `${s.protocol}\u0000${s.address}\u0000${s.port}`),
    wordpress: sortBy(rest.wordpress, (w) => w.path),
    collectors: sortBy(
      collectors.map(({ durationMs: _ms, ...report }) => report),
      (c) => c.name,
    ),
  };
  return createHash('sha256').update(canonicalJson(stable)).digest('hex');
}

function sortBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  return items
    .map((item) => ({ item, key: key(item) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((entry) => entry.item);
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
