import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

/** Writes `file` whole or not at all: a temporary file beside it, synced, then renamed over it. */
export function writeFileAtomically(file: string, content: string | Buffer, mode: number): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  const temporary = `${file}.vigil-${process.pid}.tmp`;
  const fd = openSync(temporary, 'w', mode);
  try {
    writeSync(fd, typeof content === 'string' ? Buffer.from(content, 'utf8') : content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  // The umask may have narrowed the mode at creation; set exactly what was asked.
  chmodSync(temporary, mode);
  renameSync(temporary, file);
}

export function removeFile(file: string): void {
  rmSync(file, { force: true });
}
