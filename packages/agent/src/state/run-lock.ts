import { open, readFile, unlink } from 'node:fs/promises';
import { ensureDir, isErrno } from './files.ts';

export class RunLockedError extends Error {
  constructor(readonly pid: number) {
    super(`another vigil-agent run loop is already running (pid ${pid})`);
    this.name = 'RunLockedError';
  }
}

export interface RunLock {
  release(): Promise<void>;
}

/**
 * A pid file created with O_EXCL, so that two `run` loops (a systemd service and a hand-started
 * `run --once`) never check in, upload or run actions at the same time. A pid file left by a
 * process that died is taken over.
 */
export async function acquireRunLock(pidFile: string, dir: string, pid = process.pid): Promise<RunLock> {
  await ensureDir(dir);
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      const handle = await open(pidFile, 'wx', 0o600);
      await handle.writeFile(`${pid}\n`);
      await handle.close();
      return { release: () => releaseIfOurs(pidFile, pid) };
    } catch (error) {
      if (!isErrno(error, 'EEXIST')) throw error;
    }
    const holder = await readPid(pidFile);
    if (holder !== null && holder !== pid && isAlive(holder)) throw new RunLockedError(holder);
    // Stale (the holder died) or unreadable: remove it and try again; O_EXCL settles a race.
    await unlink(pidFile).catch((error) => {
      if (!isErrno(error, 'ENOENT')) throw error;
    });
  }
  throw new Error(`cannot take the run lock ${pidFile}`);
}

async function releaseIfOurs(pidFile: string, pid: number): Promise<void> {
  if ((await readPid(pidFile)) === pid) await unlink(pidFile).catch(() => {});
}

async function readPid(pidFile: string): Promise<number | null> {
  try {
    const value = Number.parseInt((await readFile(pidFile, 'utf8')).trim(), 10);
    return Number.isSafeInteger(value) && value > 0 ? value : null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else, which still means the lock is held.
    return isErrno(error, 'EPERM');
  }
}
