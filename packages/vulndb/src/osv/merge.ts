import type { OsvRecord } from './model.ts';

const key = (value: unknown): string => JSON.stringify(value);

function union<T>(a: readonly T[] | null | undefined, b: readonly T[] | null | undefined): T[] | undefined {
  if (!a && !b) return undefined;
  const seen = new Set<string>();
  const out: T[] = [];
  for (const item of [...(a ?? []), ...(b ?? [])]) {
    const k = key(item);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(item);
  }
  return out;
}

/**
 * One record from two that a feed publishes under one id (WordPress feeds list a vulnerability
 * once per affected plugin or theme): the affected entries, aliases and references of both; the
 * text and severity of the first; the later `modified` and earlier `published`. When one part is
 * withdrawn and the other not, the live part alone (with both parts' aliases): the vulnerability
 * stays live, but not for what its publisher withdrew.
 */
export function mergeRecords(first: OsvRecord, second: OsvRecord): OsvRecord {
  // One part withdrawn, the other live: what the publisher withdrew must not stay affected.
  if (Boolean(first.withdrawn) !== Boolean(second.withdrawn)) {
    const [live, gone] = first.withdrawn ? [second, first] : [first, second];
    const merged: OsvRecord = { ...live };
    const aliases = union(live.aliases, gone.aliases);
    if (aliases) merged.aliases = aliases;
    return merged;
  }
  const merged: OsvRecord = { ...first };
  const affected = union(first.affected, second.affected);
  if (affected) merged.affected = affected;
  const aliases = union(first.aliases, second.aliases);
  if (aliases) merged.aliases = aliases;
  const references = union(first.references, second.references);
  if (references) merged.references = references;
  if (!first.severity?.length && second.severity?.length) merged.severity = second.severity;
  if (second.modified && (!first.modified || second.modified > first.modified)) merged.modified = second.modified;
  if (second.published && first.published && second.published < first.published) merged.published = second.published;
  return merged;
}
