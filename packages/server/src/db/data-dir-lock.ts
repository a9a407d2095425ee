import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { errorFactory } from '../lib/app-error.ts';

export const DATA_DIR_ERRORS = {
  DATA_DIR_LOCKED: { status: 503, title: 'The data directory is in use by another process' },
  DATA_DIR_UNUSABLE: { status: 503, title: 'The data directory cannot be used' },
} as const;
const fail = errorFactory(DATA_DIR_ERRORS);

export interface DataDirLock {
  release(): void;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else; it still holds the directory.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(file: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * PGlite has no lock of its own, and two processes writing one data directory corrupt it. The
 * lock is a file holding the owner's PID, created atomically by link(2), which fails if it exists. A lock whose process is gone (a
 * crash or kill -9) is stale and is taken over; the takeover renames the stale file first, and
 * rename is atomic, so of two processes racing for a stale lock only one wins.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const file = path.join(dataDir, 'vigil.lock');
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      // Written aside and hard-linked into place, so the lock never exists without its PID.
      const draft = `${file}.${process.pid}`;
      writeFileSync(draft, `${process.pid}\n`, { mode: 0o600 });
      try {
        linkSync(draft, file);
      } finally {
        rmSync(draft, { force: true });
      }
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          if (readHolder(file) === process.pid) rmSync(file, { force: true });
        },
      };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') {
        throw fail('DATA_DIR_UNUSABLE', `cannot create the lock file ${file}: ${(error as Error).message}`);
      }
    }
    const holder = readHolder(file);
    if (holder !== null && holder !== process.pid && isAlive(holder)) {
      throw fail(
        'DATA_DIR_LOCKED',
        `the data directory ${dataDir} is in use by process ${holder}; stop it first (or, if that process is not Vigil, remove ${file})`,
        { pid: holder },
      );
    }
    if (holder === process.pid) {
      throw fail('DATA_DIR_LOCKED', `the data directory ${dataDir} is already open in this process`, { pid: holder });
    }
    try {
      renameSync(file, `${file}.stale-${process.pid}`);
      rmSync(`${file}.stale-${process.pid}`, { force: true });
    } catch {
      // Another process took the stale lock over first; loop and look again.
    }
  }
  throw fail('DATA_DIR_LOCKED', `could not take the lock on ${dataDir}; another process keeps taking it`);
}
