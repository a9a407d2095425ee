import { lstat } from 'node:fs/promises';
import { posix } from 'node:path';
import type { ConfigFactInput } from '@vigil/protocol';
import { dirInRoot } from '@vigil/vulndb';
import { type Collector, listDir, oneLine } from './context.ts';

export const PATH_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
export const WORLD_WRITABLE_LIMITS = { entriesPerDir: 20_000, facts: 50 } as const;

const WORLD_WRITE = 0o002;
const STICKY = 0o1000;

/** Whether a mode lets any user replace what root runs: world-writable file, or directory without the sticky bit. */
export function isRiskyMode(mode: number, isDirectory: boolean): boolean {
  return (mode & WORLD_WRITE) !== 0 && !(isDirectory && (mode & STICKY) !== 0);
}

/**
 * World-writable files and directories directly in the PATH directories root's shells search:
 * anyone could replace a program root runs. Entries are lstat'ed: a symlink's own mode means
 * nothing and its target is never followed (it could point out of the root). A PATH directory
 * that is a symlink inside the root (/bin -> usr/bin on merged-/usr systems) is read once.
 */
export const worldWritableCollector: Collector = {
  name: 'world_writable',
  async run(ctx) {
    const facts: ConfigFactInput[] = [];
    const notes: string[] = [];
    const seen = new Set<string>();
    let found = 0;
    const report = (path: string, mode: number, isDirectory: boolean): void => {
      found++;
      if (facts.length >= WORLD_WRITABLE_LIMITS.facts) return;
      const shownPath = oneLine(path, 1000);
      facts.push({
        id: 'files.world_writable_path',
        severity: 'HIGH',
        subject: shownPath,
        observed: `${isDirectory ? 'directory' : 'file'} mode ${(mode & 0o7777).toString(8).padStart(4, '0')} in a PATH directory`,
        evidence: [shownPath],
      });
    };
    for (const dir of PATH_DIRS) {
      const host = await dirInRoot(ctx.root, dir);
      if (host === null || seen.has(host)) continue;
      seen.add(host);
      const self = await lstat(host);
      if (isRiskyMode(self.mode, true)) report(dir, self.mode, true);
      const { entries, truncated } = await listDir(host, WORLD_WRITABLE_LIMITS.entriesPerDir);
      if (truncated) notes.push(`${dir}: more than ${WORLD_WRITABLE_LIMITS.entriesPerDir} entries; the rest not checked`);
      // Sorted, so two runs on an unchanged machine report the same facts in the same order.
      for (const { name } of entries) {
        const stats = await lstat(posix.join(host, name)).catch(() => null);
        if (!stats || stats.isSymbolicLink()) continue;
        if (isRiskyMode(stats.mode, stats.isDirectory())) report(posix.join(dir, name), stats.mode, stats.isDirectory());
      }
    }
    if (found > facts.length) notes.push(`${found} world-writable entries; only ${facts.length} reported`);
    if (facts.length === 0) {
      facts.push({
        id: 'files.world_writable_path',
        severity: 'NONE',
        observed: 'no world-writable entries in PATH directories',
        evidence: [],
      });
    }
    return { facts, items: found, ...(notes.length ? { message: notes.join('; ') } : {}) };
  },
};
