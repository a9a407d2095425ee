/**
 * The reverse index at server scale: 10,000 stored inventories of 1,000 packages each (npm, PyPI
 * and Go packages from a pool of 30,000 names, plus Debian 12 packages built from shared sources),
 * then `affectedBy` for 100 new advisories. Targets: 100 advisories against 10,000 inventories in
 * <= 1 s; peak memory < 512 MB.
 */
import { pathToFileURL } from 'node:url';
import { type AdvisoryChange, type InstalledPackage, InventoryIndex, type OsvRecord, parseOsvRecord } from '@vigil/vulndb';
import { peakRssMb } from './peak-memory.ts';

type Print = (name: string, value: string | number, unit: string) => void;

const INVENTORIES = 10_000;
const PACKAGES_PER_INVENTORY = 1_000;
const OS_PACKAGES_PER_INVENTORY = 350;
/** Debian packages every system has (libc6, coreutils…): the postings that grow longest. */
const BASE_OS_PACKAGES = 200;
const ADVISORIES = 100;
const RUNS = 7;

/** mulberry32: the same universe on every run, so figures compare across commits. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Popular packages are installed (and get advisories) far more often: index ~ N·u³. */
const skewed = (next: () => number, n: number): number => Math.min(n - 1, Math.floor(n * next() ** 3));

interface Universe {
  ecosystem: 'npm' | 'PyPI' | 'Go';
  name: string;
  /** Oldest first, as the advisories' ranges assume. */
  versions: InstalledPackage[];
}

interface OsSource {
  name: string;
  versions: string[];
  /** Per binary, one package per source version. */
  binaries: InstalledPackage[][];
}

function languageUniverse(next: () => number): Universe[] {
  const pool: Universe[] = [];
  const shares = [
    ['npm', 15_000],
    ['PyPI', 9_000],
    ['Go', 6_000],
  ] as const;
  for (const [ecosystem, count] of shares) {
    for (let i = 0; i < count; i++) {
      const name =
        ecosystem === 'npm'
          ? i % 5 === 0
            ? `@scope${i % 97}/pkg-${i}`
            : `pkg-${i}`
          : ecosystem === 'PyPI'
            ? `Py_Pkg.${i}`
            : `github.com/org${i % 211}/mod${i}`;
      const major = 1 + Math.floor(next() * 5);
      const minor = Math.floor(next() * 20);
      const versions: InstalledPackage[] = [];
      const count = 2 + Math.floor(next() * 3);
      for (let v = 0; v < count; v++) {
        const patch = v * 2 + Math.floor(next() * 2);
        const version =
          ecosystem === 'Go'
            ? `v${major}.${minor}.${patch}`
            : ecosystem === 'PyPI' && v === 1
              ? `${major}.${minor}.${patch}.post1`
              : `${major}.${minor}.${patch}`;
        versions.push({ ecosystem, name, version });
      }
      pool.push({ ecosystem, name, versions });
    }
  }
  return pool;
}

function debianUniverse(next: () => number): OsSource[] {
  const sources: OsSource[] = [];
  for (let i = 0; i < 1_000; i++) {
    const name = `src${i}`;
    const upstream = `${1 + Math.floor(next() * 9)}.${Math.floor(next() * 30)}`;
    const versions = [`${upstream}-${1 + Math.floor(next() * 4)}`, `${upstream}-4+deb12u1`, `${upstream}-4+deb12u2`];
    const binaries: InstalledPackage[][] = [];
    const count = 1 + Math.floor(next() * 4);
    for (let b = 0; b < count; b++) {
      const binary = b === 0 ? name : `lib${name}-${b}`;
      binaries.push(versions.map((version) => ({ ecosystem: 'Debian', name: binary, version, source: { name, version } })));
    }
    sources.push({ name, versions, binaries });
  }
  return sources;
}

/** One system's packages; the objects are shared with the universe, as parsed ones would not be. */
function inventoryPackages(next: () => number, pool: Universe[], os: InstalledPackage[][]): InstalledPackage[] {
  const packages: InstalledPackage[] = [];
  const pick = (versions: InstalledPackage[]) => {
    // Most systems run a recent version; some lag behind.
    const r = next();
    const at = r < 0.6 ? versions.length - 1 : Math.floor(next() * versions.length);
    packages.push(versions[at] as InstalledPackage);
  };
  for (let i = 0; i < BASE_OS_PACKAGES; i++) pick(os[i] as InstalledPackage[]);
  const seen = new Set<number>();
  while (seen.size < OS_PACKAGES_PER_INVENTORY - BASE_OS_PACKAGES) {
    const at = BASE_OS_PACKAGES + skewed(next, os.length - BASE_OS_PACKAGES);
    if (seen.has(at)) continue;
    seen.add(at);
    pick(os[at] as InstalledPackage[]);
  }
  seen.clear();
  while (seen.size < PACKAGES_PER_INVENTORY - OS_PACKAGES_PER_INVENTORY) {
    const at = skewed(next, pool.length);
    if (seen.has(at)) continue;
    seen.add(at);
    pick((pool[at] as Universe).versions);
  }
  return packages;
}

function advisories(next: () => number, pool: Universe[], sources: OsSource[]): AdvisoryChange[] {
  const changes: AdvisoryChange[] = [];
  for (let i = 0; i < ADVISORIES; i++) {
    let raw: unknown;
    if (i % 4 === 0) {
      const source = sources[skewed(next, sources.length)] as OsSource;
      raw = {
        id: `DSA-${6000 + i}-1`,
        affected: [
          {
            package: { ecosystem: 'Debian:12', name: source.name },
            ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: source.versions[2] }] }],
          },
        ],
      };
    } else {
      const entry = pool[skewed(next, pool.length)] as Universe;
      const fixed = (entry.versions[1] as InstalledPackage).version;
      const type = entry.ecosystem === 'PyPI' ? 'ECOSYSTEM' : 'SEMVER';
      raw = {
        id: `GHSA-bench-${i}`,
        affected: [
          {
            package: { ecosystem: entry.ecosystem, name: entry.name.toLowerCase() },
            ranges: [{ type, events: [{ introduced: '0' }, { fixed: entry.ecosystem === 'Go' ? fixed.slice(1) : fixed }] }],
          },
        ],
      };
    }
    const record: OsvRecord = parseOsvRecord({ modified: '2026-11-22T00:00:00Z', ...(raw as object) }, 'bench');
    changes.push({ id: record.id, before: null, after: record });
  }
  return changes;
}

const MB = 1024 * 1024;

export async function benchInventoryIndex(print: Print): Promise<void> {
  const next = random(20261122);
  const pool = languageUniverse(next);
  const sources = debianUniverse(next);
  const os = sources.flatMap((s) => s.binaries);

  const index = new InventoryIndex();
  let building = 0;
  for (let i = 0; i < INVENTORIES; i++) {
    const inventory = {
      id: `host-${i.toString(36).padStart(4, '0')}-${(i * 2654435761) >>> 0}`,
      osEcosystem: 'Debian:12',
      packages: inventoryPackages(next, pool, os),
    };
    const started = performance.now();
    index.put(inventory);
    building += performance.now() - started;
  }
  // Generating the synthetic inventories is left out: only `put` is timed.
  print('inventory index build (10,000 × 1,000 packages)', Math.round(building), 'ms');
  print('distinct package tuples', index.tupleCount, 'tuples');
  globalThis.gc?.();
  const memory = process.memoryUsage();
  print('heap used after build', Math.round(memory.heapUsed / MB), 'MB');
  print('array buffers after build (postings)', Math.round(memory.arrayBuffers / MB), 'MB');
  print('rss after build', Math.round(memory.rss / MB), 'MB');

  const changes = advisories(next, pool, sources);
  const times: number[] = [];
  let affected = 0;
  let pairs = 0;
  for (let run = 0; run < RUNS; run++) {
    const at = performance.now();
    const result = index.affectedBy(changes);
    times.push(performance.now() - at);
    affected = index.affectedInventories(changes).length;
    pairs = [...result.values()].reduce((n, ids) => n + ids.length, 0);
  }
  times.sort((a, b) => a - b);
  print('affectedBy, 100 new advisories × 10,000 inventories, median', Number((times[Math.floor(RUNS / 2)] as number).toFixed(1)), 'ms');
  print('affectedBy, 100 new advisories × 10,000 inventories, max', Number((times[RUNS - 1] as number).toFixed(1)), 'ms');
  print('(advisory, inventory) pairs reported', pairs, 'pairs');
  print('inventories affected by any', affected, 'inventories');

  // A modified advisory is evaluated before and after: twice the work of a new one.
  const modified = changes.map((c) => ({ id: c.id, before: c.after, after: c.after }));
  const modifiedTimes: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const at = performance.now();
    index.affectedBy(modified);
    modifiedTimes.push(performance.now() - at);
  }
  modifiedTimes.sort((a, b) => a - b);
  print(
    'affectedBy, 100 modified advisories × 10,000 inventories, median',
    Number((modifiedTimes[Math.floor(RUNS / 2)] as number).toFixed(1)),
    'ms',
  );

  // A rescan replaces an inventory that changed a little; the diff keeps that cheap.
  const rescans: number[] = [];
  for (let i = 0; i < 100; i++) {
    const id = `rescan-${i}`;
    const packages = inventoryPackages(next, pool, os);
    index.put({ id, osEcosystem: 'Debian:12', packages });
    const updated = packages.slice();
    for (let k = 0; k < 10; k++) {
      const at = OS_PACKAGES_PER_INVENTORY + Math.floor(next() * (PACKAGES_PER_INVENTORY - OS_PACKAGES_PER_INVENTORY));
      const versions = (pool[skewed(next, pool.length)] as Universe).versions;
      updated[at] = versions[versions.length - 1] as InstalledPackage;
    }
    const at = performance.now();
    index.put({ id, osEcosystem: 'Debian:12', packages: updated });
    rescans.push(performance.now() - at);
    index.remove(id);
  }
  rescans.sort((a, b) => a - b);
  print('put replacing a 1,000-package inventory (10 packages changed), median', Number((rescans[50] as number).toFixed(2)), 'ms');
  print('inventory index peak memory', peakRssMb(), 'MB');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await benchInventoryIndex((name, value, unit) => console.log(`${name}: ${value} ${unit}`));
}
