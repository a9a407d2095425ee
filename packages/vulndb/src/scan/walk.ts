import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describeDistroEcosystem } from '../distro/ecosystem.ts';
import { parseOsRelease } from '../distro/os-release.ts';
import { readWordPressRoot } from '../inventory/wordpress.ts';
import { formatByName, formatOfType } from './formats.ts';
import { type CollectOptions, type InventorySource, inventoryFromText, languageSource, readInventory } from './inventories.ts';
import { MAX_INVENTORY_BYTES, readHead, readInventoryText, ScanInputError } from './read-file.ts';
import { dirInRoot, fileInRoot } from './root-fs.ts';

/** Never worth descending into: installed copies of dependencies, VCS data, caches. */
const SKIPPED_DIRS = new Set(['node_modules', '.git', '.hg', '.svn', '__pycache__']);
/** Kernel pseudo-filesystems, when the walked directory is a live or mounted root. */
const PSEUDO_FS = new Set(['proc', 'sys', 'dev', 'run']);
export const MAX_WALK_ENTRIES = 2_000_000;
export const MAX_WALK_DEPTH = 64;

/**
 * Walks a directory for inventories. When it is a root filesystem (an extracted container image,
 * a mounted disk, `/`), its package databases are read first, with the release from its
 * os-release; then every lockfile, manifest and SBOM below it is read, recognised by file name.
 * Symlinks are not followed (a link can point anywhere on the scanning host), and an inventory that
 * cannot be read is a warning on its source, so one broken lockfile does not hide the rest.
 */
export async function walkDirectory(dir: string, options: CollectOptions): Promise<InventorySource[]> {
  const { sources, rootEcosystem } = await readRootFilesystem(dir, options);
  let visited = 0;
  const stack: { rel: string; depth: number }[] = [{ rel: '', depth: 0 }];
  while (stack.length > 0) {
    const { rel, depth } = stack.pop() as { rel: string; depth: number };
    let entries: Dirent[];
    try {
      entries = await readdir(join(dir, rel), { withFileTypes: true });
    } catch (error) {
      // The directory named on the command line must be readable; one below it is a warning.
      if (rel === '') throw new ScanInputError(dir, `not readable: ${(error as Error).message}`);
      sources.push(problemSource(join(dir, rel), `not readable: ${(error as Error).message}`));
      continue;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (entries.some((e) => e.name === 'wp-includes' && e.isDirectory())) {
      const wordpress = await readWordPressRoot(join(dir, rel));
      if (wordpress) sources.push(languageSource(join(dir, rel), wordpress));
    }
    const subdirs: string[] = [];
    for (const entry of entries) {
      if (++visited > MAX_WALK_ENTRIES) {
        sources.push(problemSource(dir, `more than ${MAX_WALK_ENTRIES} entries: the walk stopped there`));
        return sources;
      }
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (SKIPPED_DIRS.has(entry.name) || (depth === 0 && rootEcosystem !== undefined && PSEUDO_FS.has(entry.name))) continue;
        if (depth + 1 < MAX_WALK_DEPTH) subdirs.push(childRel);
        else sources.push(problemSource(join(dir, childRel), `deeper than ${MAX_WALK_DEPTH} levels: not walked`));
        continue;
      }
      if (!entry.isFile()) continue;
      const format = formatByName(entry.name);
      if (!format) continue;
      const shown = join(dir, childRel);
      try {
        sources.push(await readInventory(shown, shown, format, options, rootEcosystem ?? null));
      } catch (error) {
        if (!(error instanceof ScanInputError)) throw error;
        sources.push(problemSource(shown, error.reason, format.type));
      }
    }
    for (const sub of subdirs.reverse()) stack.push({ rel: sub, depth: depth + 1 });
  }
  return sources;
}

/** A source that could not be read: no packages, and the reason as its warning. */
function problemSource(path: string, reason: string, type = 'unreadable'): InventorySource {
  return { path, type, ecosystem: null, osEcosystem: null, packages: [], warnings: [`not scanned: ${reason}`], notes: [] };
}

interface RootScan {
  sources: InventorySource[];
  /** Set when `dir` is a root filesystem: its os-release ecosystem, or null if it has none usable. */
  rootEcosystem: { ecosystem: string; evidence: string } | null | undefined;
}

const DATABASES = [
  { path: 'var/lib/dpkg/status', type: 'dpkg-status' },
  { path: 'lib/apk/db/installed', type: 'apk-installed' },
  { path: 'var/lib/rpmmanifest/container-manifest-2', type: 'rpm-qa' },
] as const;

async function readRootFilesystem(dir: string, options: CollectOptions): Promise<RootScan> {
  const found: { host: string; path: string; type: string }[] = [];
  for (const db of DATABASES) {
    const host = await fileInRoot(dir, db.path);
    if (host) found.push({ host, path: join(dir, db.path), type: db.type });
  }
  const statusD = await dirInRoot(dir, 'var/lib/dpkg/status.d');
  const rpmdb = (await dirInRoot(dir, 'var/lib/rpm')) ?? (await dirInRoot(dir, 'usr/lib/sysimage/rpm'));
  if (found.length === 0 && !statusD && !rpmdb) return { sources: [], rootEcosystem: undefined };

  const notes: string[] = [];
  let rootEcosystem: { ecosystem: string; evidence: string } | null = null;
  const osRelease = (await fileInRoot(dir, 'etc/os-release')) ?? (await fileInRoot(dir, 'usr/lib/os-release'));
  if (osRelease) {
    const fields = parseOsRelease(await readHead(osRelease, 64 * 1024));
    const answer = describeDistroEcosystem({
      id: fields.ID ?? '',
      versionId: fields.VERSION_ID,
      version: fields.VERSION,
      idLike: fields.ID_LIKE,
    });
    if (answer.ecosystem !== null) rootEcosystem = { ecosystem: answer.ecosystem, evidence: `${dir}/etc/os-release ${answer.evidence}` };
    else notes.push(`os-release does not name a release Vigil has advisories for: ${answer.reason}`);
  } else {
    notes.push('no etc/os-release in this root');
  }

  const sources: InventorySource[] = [];
  for (const db of found) {
    try {
      const source = await readInventory(db.host, db.path, formatOfType(db.type), options, rootEcosystem);
      source.notes.unshift(...notes);
      sources.push(source);
    } catch (error) {
      if (!(error instanceof ScanInputError)) throw error;
      throw new ScanInputError(db.path, `${error.reason}${notes.length ? ` (${notes.join('; ')})` : ''}`);
    }
  }
  if (statusD) sources.push(await readStatusD(statusD, join(dir, 'var/lib/dpkg/status.d'), options, rootEcosystem));
  if (rpmdb && !found.some((f) => f.type === 'rpm-qa')) {
    sources.push(
      problemSource(
        rpmdb,
        "the rpm database is binary and not read: export it with rpm -qa --queryformat '%{NAME}\\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\\t%{ARCH}\\t%{SOURCERPM}\\n' and scan that file",
        'rpmdb',
      ),
    );
  }
  return { sources, rootEcosystem };
}

/** Distroless Debian images keep one status paragraph per package in `status.d/`. */
async function readStatusD(
  host: string,
  shown: string,
  options: CollectOptions,
  rootEcosystem: { ecosystem: string; evidence: string } | null,
): Promise<InventorySource> {
  const entries = await readdir(host, { withFileTypes: true }).catch((error: Error) => {
    throw new ScanInputError(shown, `not readable: ${error.message}`);
  });
  const names = entries
    .filter((e) => e.isFile() && !e.name.endsWith('.md5sums'))
    .map((e) => e.name)
    .sort();
  const texts: string[] = [];
  let total = 0;
  for (const name of names) {
    // Bounded like any inventory: a directory of huge files is refused, not read.
    const text = await readInventoryText(join(host, name), join(shown, name));
    total += text.length;
    if (total > MAX_INVENTORY_BYTES) throw new ScanInputError(shown, `more than ${MAX_INVENTORY_BYTES} bytes in all`);
    texts.push(text);
  }
  return inventoryFromText(texts.join('\n\n'), shown, formatOfType('dpkg-status'), options, rootEcosystem);
}
