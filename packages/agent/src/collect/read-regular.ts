import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';

/**
 * Opening a file the machine's users can write (a web root, a lockfile, an sshd include) the safe
 * way. Checking its type first and opening it by name afterwards races: between the check and the
 * open a web-root user can put a FIFO there (a plain open then blocks the root agent forever and
 * ties up a libuv thread) or a symlink (the agent reads a root-only file, or leaves `--root`).
 * So the open itself decides: O_NOFOLLOW refuses a symlink as the last component (ELOOP),
 * O_NONBLOCK makes opening a FIFO return at once, and the type is then checked on the open handle
 * (fstat), which no later rename can change.
 */
const SAFE_OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

export type RegularRead = { kind: 'text'; text: string } | { kind: 'not-regular' } | { kind: 'too-large'; size: number };

/** The open handle of `host` when it is a regular file (caller closes it); null for anything else. */
export async function openRegular(host: string): Promise<FileHandle | null> {
  let handle: FileHandle;
  try {
    handle = await open(host, SAFE_OPEN_FLAGS);
  } catch (error) {
    // ELOOP: a symlink where a file was; ENXIO: a socket. Both are "not a regular file" here.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'ENXIO') return null;
    throw error;
  }
  try {
    if ((await handle.stat()).isFile()) return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
  await handle.close();
  return null;
}

/**
 * The text of the regular file `host`, read through the checked handle and never more than
 * `maxBytes + 1` bytes (a file that grows while read, or a /proc file reporting size 0, cannot
 * make it read more).
 */
export async function readRegular(host: string, maxBytes: number): Promise<RegularRead> {
  const handle = await openRegular(host);
  if (!handle) return { kind: 'not-regular' };
  try {
    const { size } = await handle.stat();
    if (size > maxBytes) return { kind: 'too-large', size };
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(64 * 1024, maxBytes + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) return { kind: 'too-large', size: total };
    }
    return { kind: 'text', text: Buffer.concat(chunks).toString('utf8') };
  } finally {
    await handle.close();
  }
}
