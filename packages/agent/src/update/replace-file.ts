import { constants } from 'node:fs';
import { copyFile, open, realpath, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';

/** Writes `bytes` to `file` so that a crash leaves either the old content or the new, never a mix. */
export async function writeFileAtomic(file: string, bytes: Buffer | string, mode: number): Promise<void> {
  const temp = `${file}.tmp`;
  await writeDurably(temp, bytes, mode);
  await rename(temp, file);
  await syncDirectory(path.dirname(file));
}

async function writeDurably(file: string, bytes: Buffer | string, mode: number, owner?: { uid: number; gid: number }): Promise<void> {
  // A leftover from a crash may have another mode or owner: start from nothing.
  await rm(file, { force: true });
  const handle = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    await handle.writeFile(bytes);
    // The umask may have taken bits away; the file gets exactly the mode asked for.
    await handle.chmod(mode);
    if (owner) await handle.chown(owner.uid, owner.gid);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces the agent's own file with `bytes`: the new file is written beside it (same directory,
 * so the rename is atomic; same mode and owner), flushed, the current file is kept as
 * `<file>.previous` for a rollback, and the new one is renamed over it. A symlink is followed,
 * so the real file is replaced and the link kept. `beforeSwap` runs once everything is on disk
 * and before the rename (the caller records the pending update there).
 */
export async function replaceOwnFile(selfPath: string, bytes: Buffer, beforeSwap: () => Promise<void>): Promise<void> {
  const target = await realpath(selfPath);
  const current = await stat(target);
  const mode = current.mode & 0o7777;
  const owner = process.getuid?.() === 0 ? { uid: current.uid, gid: current.gid } : undefined;
  const next = `${target}.new`;
  await writeDurably(next, bytes, mode, owner);
  const previousTemp = `${target}.previous.tmp`;
  await rm(previousTemp, { force: true });
  await copyFile(target, previousTemp);
  await syncFile(previousTemp);
  await rename(previousTemp, `${target}.previous`);
  await beforeSwap();
  await rename(next, target);
  await syncDirectory(path.dirname(target));
}

/** Puts `<file>.previous` back over the file, atomically. */
export async function restorePrevious(selfPath: string): Promise<void> {
  const target = await realpath(selfPath);
  const previous = `${target}.previous`;
  const current = await stat(target);
  const restoring = `${target}.restore`;
  await rm(restoring, { force: true });
  await copyFile(previous, restoring);
  await syncFile(restoring, current.mode & 0o7777);
  await rename(restoring, target);
  await syncDirectory(path.dirname(target));
}

async function syncFile(file: string, mode?: number): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    if (mode !== undefined) await handle.chmod(mode);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
