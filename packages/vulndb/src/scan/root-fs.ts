import { lstat, readlink, realpath } from 'node:fs/promises';
import { posix } from 'node:path';

/**
 * Paths inside an extracted root filesystem (a container image, a mounted disk) are resolved as
 * the system itself would see them: an absolute symlink (`etc/os-release -> /usr/lib/os-release`)
 * points inside the root, never at the scanning machine's own files, and `..` stops at the root.
 * Resolution is by hand, one component at a time, because `realpath` would follow the links on
 * the host.
 */
const MAX_LINKS = 40;

/** The host path of `relative` inside `root`, or null when it does not exist (or loops). */
export async function resolveInRoot(root: string, relative: string): Promise<string | null> {
  const base = await realpath(root);
  const pending = relative.split('/').filter((c) => c !== '' && c !== '.');
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const component = pending.shift() as string;
    if (component === '..') {
      resolved.pop();
      continue;
    }
    const candidate = posix.join(base, ...resolved, component);
    let stats: Awaited<ReturnType<typeof lstat>>;
    try {
      stats = await lstat(candidate);
    } catch {
      return null;
    }
    if (!stats.isSymbolicLink()) {
      resolved.push(component);
      continue;
    }
    if (++links > MAX_LINKS) return null;
    const target = await readlink(candidate);
    const parts = target.split('/').filter((c) => c !== '' && c !== '.');
    if (target.startsWith('/')) resolved.length = 0;
    pending.unshift(...parts);
  }
  return posix.join(base, ...resolved);
}

/** Whether `relative` exists inside the root as a regular file (after resolving links in the root). */
export async function fileInRoot(root: string, relative: string): Promise<string | null> {
  const path = await resolveInRoot(root, relative);
  if (path === null) return null;
  try {
    return (await lstat(path)).isFile() ? path : null;
  } catch {
    return null;
  }
}

export async function dirInRoot(root: string, relative: string): Promise<string | null> {
  const path = await resolveInRoot(root, relative);
  if (path === null) return null;
  try {
    return (await lstat(path)).isDirectory() ? path : null;
  } catch {
    return null;
  }
}
