import type { Dirent } from 'node:fs';
import { posix } from 'node:path';
import type { InventoryPackage } from '@vigil/protocol';
import { dirInRoot, formatByName, isOsEcosystem } from '@vigil/vulndb';
import { type CollectContext, type Collector, describeError, listDir } from './context.ts';
import { readRegular } from './read-regular.ts';

/** Installed copies of dependencies and VCS data: the lockfile above them already lists them. */
const SKIPPED_DIRS = new Set(['node_modules', '.git', '.hg', '.svn', 'vendor', '__pycache__', '.cache']);
/** Kernel pseudo-filesystems: never walked when `/` itself is configured. */
export const PSEUDO_FS = new Set(['proc', 'sys', 'dev', 'run']);
export const LOCKFILE_LIMITS = {
  depth: 6,
  /** Directory entries looked at per configured path. */
  entries: 50_000,
  lockfiles: 200,
  bytes: 32 * 1024 * 1024,
} as const;

interface Found {
  /** The path as the machine sees it. */
  path: string;
  host: string;
}

/** Lockfiles under one configured directory, walked breadth-first without following symlinks. */
async function findLockfiles(ctx: CollectContext, configured: string, notes: string[]): Promise<Found[]> {
  const start = await dirInRoot(ctx.root, configured);
  if (start === null) {
    notes.push(`${configured}: not a directory`);
    return [];
  }
  const found: Found[] = [];
  const queue = [{ host: start, path: posix.normalize(`/${configured}`), depth: 0 }];
  let entries = 0;
  while (queue.length > 0) {
    const dir = queue.shift() as (typeof queue)[number];
    let list: Dirent[];
    try {
      // Bounded per directory too: the count below stops the walk, this stops one huge listing.
      list = (await listDir(dir.host, LOCKFILE_LIMITS.entries - entries + 1)).entries;
    } catch {
      notes.push(`${dir.path}: not readable`);
      continue;
    }
    for (const entry of list) {
      if (++entries > LOCKFILE_LIMITS.entries) {
        notes.push(`${configured}: more than ${LOCKFILE_LIMITS.entries} entries, the rest not walked`);
        return found;
      }
      // Dirent types come from lstat: a symlink is neither a file nor a directory here, so a link
      // out of the root (or into /proc) is never followed.
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name) && !(dir.path === '/' && PSEUDO_FS.has(entry.name)) && dir.depth + 1 <= LOCKFILE_LIMITS.depth) {
          queue.push({ host: posix.join(dir.host, entry.name), path: posix.join(dir.path, entry.name), depth: dir.depth + 1 });
        }
      } else if (entry.isFile() && formatByName(entry.name)) {
        found.push({ host: posix.join(dir.host, entry.name), path: posix.join(dir.path, entry.name) });
      }
    }
  }
  return found;
}

/**
 * Language packages from lockfiles (and SBOMs) under the configured directories, parsed by
 * vulndb's parsers; each package's location is its lockfile. OS packages an SBOM lists are left
 * out: the package database collectors report them with the right release.
 */
export const lockfilesCollector: Collector = {
  name: 'lockfiles',
  async run(ctx) {
    if (ctx.lockfilePaths.length === 0) return { status: 'skipped', message: 'no lockfile paths configured' };
    const notes: string[] = [];
    const files: Found[] = [];
    for (const configured of ctx.lockfilePaths) files.push(...(await findLockfiles(ctx, configured, notes)));
    if (files.length > LOCKFILE_LIMITS.lockfiles)
      notes.push(`${files.length} lockfiles found; only the first ${LOCKFILE_LIMITS.lockfiles} read`);
    const packages = new Map<string, InventoryPackage>();
    /** Where in its lockfile each package is listed (`node_modules/a/node_modules/b`, `package[3]`). */
    const within = new Map<string, string>();
    let read = 0;
    for (const file of files.slice(0, LOCKFILE_LIMITS.lockfiles)) {
      const format = formatByName(posix.basename(file.path));
      if (!format) continue;
      try {
        // Opened without following a symlink and type-checked on the handle: the directory walk
        // saw a regular file, but a user of the project can swap in a FIFO or a link since.
        const content = await readRegular(file.host, LOCKFILE_LIMITS.bytes);
        if (content.kind === 'too-large') {
          notes.push(`${file.path}: ${content.size} bytes, over the ${LOCKFILE_LIMITS.bytes} allowed; not read`);
          continue;
        }
        if (content.kind === 'not-regular') {
          notes.push(`${file.path}: no longer a regular file (a FIFO or a symlink put in its place); not read`);
          continue;
        }
        const parsed = format.parse(content.text, file.path, '');
        read++;
        for (const p of parsed.packages) {
          if (isOsEcosystem(p.ecosystem)) continue;
          const key = [p.ecosystem, p.name, p.version, file.path].join('\u0000');
          const existing = packages.get(key);
          // Listed twice (a dev and a runtime path to the same version): it ships, so not dev.
          if (existing) existing.dev = existing.dev === true && p.dev === true ? true : undefined;
          else {
            packages.set(key, {
              ecosystem: p.ecosystem,
              name: p.name,
              version: p.version,
              location: file.path,
              ...(p.dev ? { dev: true } : {}),
            });
            if (p.location) within.set(key, p.location);
          }
        }
      } catch (error) {
        notes.push(`${file.path}: ${describeError(error).slice(0, 300)}`);
      }
    }
    for (const p of packages.values()) if (p.dev === undefined) delete p.dev;
    disambiguateVersions(packages, within);
    notes.unshift(`${read} lockfile(s) read`);
    return { packages: [...packages.values()], message: notes.slice(0, 20).join('; ') };
  },
};

/**
 * The server knows a package by (ecosystem, name, arch, location), so two versions of one name in
 * one lockfile (npm nests them: `node_modules/a/node_modules/b`) need two locations, or the whole
 * inventory is refused as listing a package twice. Those few get the place inside the lockfile
 * appended; a name with one version keeps the lockfile's path alone.
 */
function disambiguateVersions(packages: Map<string, InventoryPackage>, within: ReadonlyMap<string, string>): void {
  const versions = new Map<string, number>();
  const nameKey = (p: InventoryPackage) => [p.ecosystem, p.name, p.location].join('\u0000');
  for (const p of packages.values()) versions.set(nameKey(p), (versions.get(nameKey(p)) ?? 0) + 1);
  for (const [key, p] of packages) {
    if ((versions.get(nameKey(p)) ?? 0) < 2) continue;
    p.location = `${p.location}:${within.get(key) ?? p.version}`;
  }
}
