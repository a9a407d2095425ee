import { linkSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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

/** Directories this process holds, so that "open twice here" is told apart from a reused PID. */
const heldHere = new Set<string>();

/**
 * The kernel's start time of a process (field 22 of /proc/PID/stat), which together with the
 * PID names one process for good: after a restart in a container the new process often gets
 * the PID of the one that crashed, and must not mistake that dead holder for a live one.
 */
function startTimeOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
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

interface Holder {
  pid: number;
  startTime: string | null;
  raw: string;
}

function readHolder(file: string): Holder | null {
  try {
    const raw = readFileSync(file, 'utf8');
    const [pidText, startTime] = raw.trim().split(/\s+/);
    const pid = Number.parseInt(pidText ?? '', 10);
    return Number.isInteger(pid) && pid > 0 ? { pid, startTime: startTime ?? null, raw } : { pid: 0, startTime: null, raw };
  } catch {
    return null;
  }
}

function holderIsRunning(holder: Holder): boolean {
  if (holder.pid <= 0 || !isAlive(holder.pid)) return false;
  // Same PID, another process: the holder is gone (where /proc tells us).
  if (holder.startTime !== null) {
    const now = startTimeOf(holder.pid);
    if (now !== null && now !== holder.startTime) return false;
  }
  return true;
}

/**
 * PGlite has no lock of its own, and two processes writing one data directory corrupt it. The
 * lock is a file holding the owner's PID and start time, created atomically by link(2), which
 * fails if it exists. A lock whose process is gone (a crash, kill -9) is stale and is taken over.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const key = realpathSync(dataDir);
  if (heldHere.has(key))
    throw fail('DATA_DIR_LOCKED', `the data directory ${dataDir} is already open in this process`, { pid: process.pid });
  const file = path.join(dataDir, 'vigil.lock');
  const content = `${process.pid} ${startTimeOf(process.pid) ?? ''}`.trim();
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      // Written aside and hard-linked into place, so the lock never exists without its content.
      const draft = `${file}.${process.pid}`;
      writeFileSync(draft, `${content}\n`, { mode: 0o600 });
      try {
        linkSync(draft, file);
      } finally {
        rmSync(draft, { force: true });
      }
      heldHere.add(key);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          heldHere.delete(key);
          if (readHolder(file)?.raw.trim() === content) rmSync(file, { force: true });
        },
      };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') {
        throw fail('DATA_DIR_UNUSABLE', `cannot create the lock file ${file}: ${(error as Error).message}`);
      }
    }
    const holder = readHolder(file);
    if (holder && holderIsRunning(holder) && holder.pid !== process.pid) {
      throw fail(
        'DATA_DIR_LOCKED',
        `the data directory ${dataDir} is in use by process ${holder.pid}; stop it first (or, if that process is not Vigil, remove ${file})`,
        { pid: holder.pid },
      );
    }
    if (holder) takeOverStale(file, holder);
  }
  throw fail('DATA_DIR_LOCKED', `could not take the lock on ${dataDir}; another process keeps taking it`);
}

/**
 * Moves a stale lock aside. Between reading it and moving it, another process may have taken it
 * over and written its own: what was moved is checked, and a fresh lock is put back.
 */
function takeOverStale(file: string, stale: Holder): void {
  const aside = `${file}.stale-${process.pid}`;
  try {
    renameSync(file, aside);
  } catch {
    return; // someone else moved it first; look again
  }
  try {
    if (readHolder(aside)?.raw !== stale.raw) linkSync(aside, file);
  } catch {
    // A newer lock is already in place; it wins.
  } finally {
    rmSync(aside, { force: true });
  }
}
