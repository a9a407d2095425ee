import { open } from 'node:fs/promises';

/** Inventories above this size are refused rather than read into memory. */
export const MAX_INVENTORY_BYTES = 256 * 1024 * 1024;
export const HEAD_BYTES = 8 * 1024;

export class ScanInputError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'ScanInputError';
  }
}

/** The first bytes of a file as text, for recognising its format. */
export async function readHead(path: string, bytes = HEAD_BYTES): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

/**
 * Reads a whole inventory file as UTF-8. Invalid UTF-8 becomes U+FFFD, which the parsers reject
 * as binary input with a message naming the file.
 */
export async function readInventoryText(path: string, shownAs: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size > MAX_INVENTORY_BYTES) {
      throw new ScanInputError(shownAs, `${size} bytes is larger than the ${MAX_INVENTORY_BYTES / 1024 / 1024} MiB an inventory may be`);
    }
    return (await handle.readFile()).toString('utf8');
  } finally {
    await handle.close();
  }
}
