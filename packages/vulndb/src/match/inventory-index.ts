import type { InstalledPackage } from '../inventory/model.ts';
import type { OsvRecord } from '../osv/model.ts';
import { AdvisoryIndex } from './advisory-index.ts';
import { applicableKeys, ecosystemKey, isOsEcosystem, normaliseName } from './ecosystems.ts';
import { matchPackages } from './matcher.ts';

/** One monitored system's packages, as the server stores them. */
export interface StoredInventory {
  id: string;
  /** The OSV ecosystem with release its OS packages belong to ('Debian:12'), null when unknown. */
  osEcosystem: string | null;
  packages: readonly InstalledPackage[];
}

/**
 * One advisory as a feed import changed it: added (`before` null), withdrawn (`after` null, or
 * `after.withdrawn` set) or modified (both set).
 */
export interface AdvisoryChange {
  id: string;
  before: OsvRecord | null;
  after: OsvRecord | null;
}

const INITIAL_POSTING = 4;

/**
 * The packages `matchPackages` folds into one (same ecosystem, name, version and source): only the
 * first of them in an inventory is matched. Its tuples differ in what else the matcher reads.
 */
interface Group {
  version: string;
  sourceName: string;
  sourceVersion: string;
  /** The put that last met this group, so a repeat within one inventory is skipped. */
  stamp: number;
  /** The tuple per {@link flagsOf} value, -1 where none. */
  tuples: number[];
}

/**
 * The reverse of {@link AdvisoryIndex}: stored inventories indexed by the packages they hold, so a
 * feed import can find the inventories whose findings a changed advisory may open or close without
 * rescanning them all.
 *
 * Thousands of inventories of thousands of packages are millions of (inventory, package) pairs but
 * only some hundred thousand distinct packages, so each distinct package is interned once as a
 * "tuple" (what the matcher reads of it, plus the ecosystem it is matched in) and holds the numbers
 * of the inventories that have it in a typed array; inventory ids are interned to those numbers.
 *
 * Agreement with the matcher is by construction, not by a second implementation: the index only
 * narrows the candidates (by ecosystem key and normalised name, binary and source name both), and
 * each candidate tuple is decided by {@link matchPackages} against an index of the one record.
 * Within an inventory, packages are grouped as `matchPackages` groups them (the first of a group
 * stands for it), so a tuple matches exactly when the group it stands for would.
 *
 * An inventory's OS packages are not indexed when its OS ecosystem is null: `matchPackages` cannot
 * match them (it throws `MissingReleaseError`), and the inventory's language packages still count.
 */
export class InventoryIndex {
  /**
   * ecosystem → name → groups. A name has a few versions installed across the fleet, so they are
   * scanned, not hashed: a composite key string per package made building the index 3× slower.
   */
  private readonly groups = new Map<string, Map<string, Group[]>>();
  private stamp = 0;
  private liveTuples = 0;
  /** A copy of the package standing for the tuple, holding only what matching reads. */
  private readonly tuplePackages: (InstalledPackage | undefined)[] = [];
  /** The ecosystem the tuple is matched in: the inventory's release for OS packages. */
  private readonly tupleEcosystems: (string | undefined)[] = [];
  /** Inventory numbers holding each tuple; the first `postingLengths[t]` entries are live. */
  private readonly postings: (Uint32Array | undefined)[] = [];
  private readonly postingLengths: number[] = [];
  private readonly freeTuples: number[] = [];
  /** Per ecosystem matched in: its keys. */
  private readonly keysByEcosystem = new Map<string, readonly string[]>();
  /** `${ecosystem key}\0${normalised name}` → tuples an advisory entry under that key may match. */
  private readonly tuplesByLookup = new Map<string, number[]>();

  private readonly inventoryById = new Map<string, number>();
  private readonly inventoryIds: (string | undefined)[] = [];
  /** Each inventory's tuples, sorted and distinct, so a replacement only touches what changed. */
  private readonly inventoryTuples: (Uint32Array | undefined)[] = [];
  private readonly freeInventories: number[] = [];

  get size(): number {
    return this.inventoryById.size;
  }

  /** Distinct package tuples held, for capacity figures. */
  get tupleCount(): number {
    return this.liveTuples;
  }

  has(id: string): boolean {
    return this.inventoryById.has(id);
  }

  /** Adds an inventory, or replaces the one stored under its id. */
  put(inventory: StoredInventory): void {
    const tuples = this.internTuples(inventory);
    let number = this.inventoryById.get(inventory.id);
    const previous = number === undefined ? undefined : this.inventoryTuples[number];
    if (number === undefined) {
      number = this.freeInventories.pop() ?? this.inventoryIds.length;
      this.inventoryById.set(inventory.id, number);
      this.inventoryIds[number] = inventory.id;
    }
    if (previous === undefined) {
      for (const tuple of tuples) this.post(tuple, number);
    } else {
      // A rescan usually changes a handful of packages: walk both sorted lists and touch only those.
      let i = 0;
      let j = 0;
      while (i < previous.length || j < tuples.length) {
        const old = i < previous.length ? (previous[i] as number) : Number.POSITIVE_INFINITY;
        const now = j < tuples.length ? (tuples[j] as number) : Number.POSITIVE_INFINITY;
        if (old === now) {
          i++;
          j++;
        } else if (old < now) {
          this.unpost(old, number);
          i++;
        } else {
          this.post(now, number);
          j++;
        }
      }
    }
    this.inventoryTuples[number] = tuples;
  }

  /** Removes an inventory; false when none is stored under `id`. */
  remove(id: string): boolean {
    const number = this.inventoryById.get(id);
    if (number === undefined) return false;
    for (const tuple of this.inventoryTuples[number] ?? []) this.unpost(tuple, number);
    this.inventoryById.delete(id);
    this.inventoryIds[number] = undefined;
    this.inventoryTuples[number] = undefined;
    this.freeInventories.push(number);
    return true;
  }

  /**
   * For each change, the ids (sorted by code unit) of the inventories with at least one package
   * the record matches before or after the change: a withdrawn or narrowed advisory reports the
   * inventories whose findings must close, a new or widened one those whose findings open. Every
   * change has an entry, empty when it affects nobody; changes sharing an id are merged.
   */
  affectedBy(changes: readonly AdvisoryChange[]): Map<string, string[]> {
    const numbersById = new Map<string, Set<number>>();
    for (const change of changes) {
      let numbers = numbersById.get(change.id);
      if (!numbers) {
        numbers = new Set();
        numbersById.set(change.id, numbers);
      }
      if (change.before) this.collectMatching(change.before, numbers);
      if (change.after) this.collectMatching(change.after, numbers);
    }
    const result = new Map<string, string[]>();
    for (const [id, numbers] of numbersById) result.set(id, this.idsOf(numbers));
    return result;
  }

  /** The ids (sorted by code unit) of the inventories any of the changes affects. */
  affectedInventories(changes: readonly AdvisoryChange[]): string[] {
    const numbers = new Set<number>();
    for (const change of changes) {
      if (change.before) this.collectMatching(change.before, numbers);
      if (change.after) this.collectMatching(change.after, numbers);
    }
    return this.idsOf(numbers);
  }

  private idsOf(numbers: Set<number>): string[] {
    const ids: string[] = [];
    for (const number of numbers) ids.push(this.inventoryIds[number] as string);
    return ids.sort();
  }

  /** Adds to `into` the inventories holding a package `record` matches. */
  private collectMatching(record: OsvRecord, into: Set<number>): void {
    // The matcher never sees a withdrawn record (AdvisoryIndex drops it): nothing can match.
    if (record.withdrawn) return;
    const candidates = new Set<number>();
    for (const affected of record.affected ?? []) {
      const pkg = affected.package;
      if (!pkg) continue;
      const key = ecosystemKey(pkg.ecosystem);
      if (key === null) continue;
      for (const tuple of this.tuplesByLookup.get(`${key}\u0000${normaliseName(pkg.ecosystem, pkg.name)}`) ?? []) candidates.add(tuple);
    }
    if (candidates.size === 0) return;
    const index = new AdvisoryIndex();
    index.add(record, record.id);
    for (const tuple of candidates) {
      const pkg = this.tuplePackages[tuple] as InstalledPackage;
      const osEcosystem = this.tupleEcosystems[tuple] as string;
      if (matchPackages([pkg], index, { osEcosystem }).findings.length === 0) continue;
      const posting = this.postings[tuple] as Uint32Array;
      const length = this.postingLengths[tuple] as number;
      for (let i = 0; i < length; i++) into.add(posting[i] as number);
    }
  }

  /** The inventory's tuples, sorted and distinct, interning the ones not seen yet. */
  private internTuples(inventory: StoredInventory): Uint32Array {
    const stamp = ++this.stamp;
    const ids: number[] = [];
    // Packages come in runs of one ecosystem; resolving it once per run keeps a Map lookup per
    // package off the path that runs ten million times when the server starts.
    let runOf: string | undefined;
    let ecosystem = '';
    let byName: Map<string, Group[]> | null = null;
    for (const pkg of inventory.packages) {
      if (pkg.ecosystem !== runOf) {
        runOf = pkg.ecosystem;
        ecosystem = isOsEcosystem(runOf) ? (inventory.osEcosystem ?? '') : runOf;
        byName = this.namesOf(ecosystem);
      }
      if (!byName) continue;
      let versions = byName.get(pkg.name);
      if (!versions) {
        versions = [];
        byName.set(pkg.name, versions);
      }
      let group = findGroup(versions, pkg);
      if (!group) {
        group = {
          version: pkg.version,
          sourceName: pkg.source?.name ?? '',
          sourceVersion: pkg.source?.version ?? '',
          stamp: 0,
          tuples: [-1, -1, -1, -1],
        };
        versions.push(group);
      }
      if (group.stamp === stamp) continue;
      group.stamp = stamp;
      const flags = flagsOf(pkg);
      let tuple = group.tuples[flags] as number;
      if (tuple < 0) {
        tuple = this.newTuple(pkg, ecosystem);
        group.tuples[flags] = tuple;
      }
      ids.push(tuple);
    }
    return Uint32Array.from(ids).sort();
  }

  /**
   * The groups of an ecosystem packages are matched in; null when no advisory can ever be filed
   * where they are looked up (an OS package without a release, an ecosystem without a key).
   */
  private namesOf(ecosystem: string): Map<string, Group[]> | null {
    if (ecosystem === '' || this.keysOf(ecosystem).length === 0) return null;
    let byName = this.groups.get(ecosystem);
    if (!byName) {
      byName = new Map();
      this.groups.set(ecosystem, byName);
    }
    return byName;
  }

  private keysOf(ecosystem: string): readonly string[] {
    let keys = this.keysByEcosystem.get(ecosystem);
    if (keys === undefined) {
      keys = applicableKeys(ecosystem);
      this.keysByEcosystem.set(ecosystem, keys);
    }
    return keys;
  }

  private newTuple(pkg: InstalledPackage, ecosystem: string): number {
    const tuple = this.freeTuples.pop() ?? this.tuplePackages.length;
    const copy: InstalledPackage = { ecosystem: pkg.ecosystem, name: pkg.name, version: pkg.version };
    if (pkg.source) copy.source = { name: pkg.source.name, version: pkg.source.version };
    if (pkg.epochKnown === false) copy.epochKnown = false;
    this.tuplePackages[tuple] = copy;
    this.tupleEcosystems[tuple] = ecosystem;
    this.postings[tuple] = undefined;
    this.postingLengths[tuple] = 0;
    this.liveTuples++;
    for (const lookup of this.lookupsOf(copy, ecosystem)) {
      const list = this.tuplesByLookup.get(lookup);
      if (list) list.push(tuple);
      else this.tuplesByLookup.set(lookup, [tuple]);
    }
    return tuple;
  }

  private releaseTuple(tuple: number): void {
    const pkg = this.tuplePackages[tuple] as InstalledPackage;
    const ecosystem = this.tupleEcosystems[tuple] as string;
    for (const lookup of this.lookupsOf(pkg, ecosystem)) {
      const list = this.tuplesByLookup.get(lookup);
      if (!list) continue;
      const at = list.indexOf(tuple);
      if (at >= 0) {
        list[at] = list[list.length - 1] as number;
        list.pop();
      }
      if (list.length === 0) this.tuplesByLookup.delete(lookup);
    }
    const byName = this.groups.get(ecosystem);
    const versions = byName?.get(pkg.name);
    const group = versions && findGroup(versions, pkg);
    if (byName && versions && group) {
      group.tuples[flagsOf(pkg)] = -1;
      if (group.tuples.every((t) => t < 0)) {
        versions[versions.indexOf(group)] = versions[versions.length - 1] as Group;
        versions.pop();
        if (versions.length === 0) byName.delete(pkg.name);
        if (byName.size === 0) this.groups.delete(ecosystem);
      }
    }
    this.tuplePackages[tuple] = undefined;
    this.tupleEcosystems[tuple] = undefined;
    this.postings[tuple] = undefined;
    this.postingLengths[tuple] = 0;
    this.liveTuples--;
    this.freeTuples.push(tuple);
  }

  /**
   * Where advisories for a package are filed: its ecosystem's applicable keys under both its
   * binary and its source name. The matcher uses one or the other depending on the distribution;
   * indexing both only adds candidates, which the matcher then decides.
   */
  private lookupsOf(pkg: InstalledPackage, ecosystem: string): string[] {
    const names = new Set([normaliseName(ecosystem, pkg.name)]);
    if (pkg.source) names.add(normaliseName(ecosystem, pkg.source.name));
    const lookups: string[] = [];
    for (const key of this.keysOf(ecosystem)) for (const name of names) lookups.push(`${key}\u0000${name}`);
    return lookups;
  }

  private post(tuple: number, number: number): void {
    const length = this.postingLengths[tuple] as number;
    let posting = this.postings[tuple];
    if (!posting || posting.length === length) {
      const grown = new Uint32Array(posting ? posting.length * 2 : INITIAL_POSTING);
      if (posting) grown.set(posting);
      posting = grown;
      this.postings[tuple] = posting;
    }
    posting[length] = number;
    this.postingLengths[tuple] = length + 1;
  }

  private unpost(tuple: number, number: number): void {
    const posting = this.postings[tuple] as Uint32Array;
    const length = (this.postingLengths[tuple] as number) - 1;
    const at = posting.subarray(0, length + 1).indexOf(number);
    if (at < 0) return;
    posting[at] = posting[length] as number;
    this.postingLengths[tuple] = length;
    if (length === 0) this.releaseTuple(tuple);
    else if (posting.length > 4 * INITIAL_POSTING && length * 4 < posting.length)
      this.postings[tuple] = posting.slice(0, posting.length / 2);
  }
}

/** The group of a name's groups `pkg` belongs to: matchPackages' grouping key, past the name. */
function findGroup(groups: readonly Group[], pkg: InstalledPackage): Group | undefined {
  const sourceName = pkg.source?.name ?? '';
  const sourceVersion = pkg.source?.version ?? '';
  for (const group of groups) {
    if (group.version === pkg.version && group.sourceName === sourceName && group.sourceVersion === sourceVersion) return group;
  }
  return undefined;
}

/** What else matchOne reads of a package: whether a source is named at all, and an unknown epoch. */
function flagsOf(pkg: InstalledPackage): number {
  return (pkg.source ? 2 : 0) + (pkg.epochKnown === false ? 1 : 0);
}
