import { createHash } from 'node:crypto';
import { readFile, realpath, rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { restorePrevious, writeFileAtomic } from './replace-file.ts';

/**
 * The exit code the agent ends with after it replaced or restored its own file: the service
 * manager (systemd `Restart=always`) starts the file now in place. Any other exit of `run` is a
 * crash or a stop; 75 is sysexits' EX_TEMPFAIL ("try again"), which is what this is.
 */
export const RESTART_EXIT_CODE = 75;
/** Starts of a new version without a confirmed check-in before it is rolled back. */
export const MAX_UNCONFIRMED_STARTS = 3;
/** How long a new version has to check in once after it was installed. */
export const CONFIRM_WITHIN_MS = 30 * 60_000;

const PENDING_FILE = 'update-pending.json';
const FAILED_FILE = 'update-failed.json';
/**
 * Kept by the installed wrapper (/usr/local/bin/vigil-agent, see the server's install.sh) for a
 * new file that fails before it reaches this guard (a syntax error, a Node.js too old for it):
 * the wrapper counts starts while an update is pending, and restores the previous file itself
 * after three, leaving the second file as a note. Reaching this guard proves the file loads.
 */
export const WRAPPER_STARTS_FILE = 'update-wrapper-starts';
export const WRAPPER_ROLLBACK_FILE = 'update-rolled-back-by-wrapper';
/** Enough to never retry a recent bad release; old entries fall off. */
const FAILED_KEPT = 20;

const pendingSchema = z.strictObject({
  schema: z.literal('vigil.update-pending/1'),
  fromVersion: z.string().max(64),
  toVersion: z.string().max(64),
  /** The installed file's hash: tells a finished swap from one a crash interrupted. */
  toSha256: z.string().regex(/^[0-9a-f]{64}$/),
  appliedAt: z.string(),
  deadline: z.string(),
  starts: z.number().int().min(0),
});
export type PendingUpdate = z.infer<typeof pendingSchema>;

export type GuardResult =
  | { action: 'none'; note?: string }
  /** The new version runs on probation: call `markUpdateHealthy` after a check-in, `enforceUpdateDeadline` at `deadline`. */
  | { action: 'pending'; toVersion: string; deadline: Date; starts: number }
  /** The previous file is back: exit with RESTART_EXIT_CODE so the service manager starts it. */
  | { action: 'rolled-back'; fromVersion: string; toVersion: string; reason: string };

export async function readPendingUpdate(stateDir: string): Promise<PendingUpdate | null> {
  const raw = await readFile(path.join(stateDir, PENDING_FILE), 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (raw === null) return null;
  try {
    return pendingSchema.parse(JSON.parse(raw));
  } catch {
    // Unreadable marker: there is nothing it can safely tell us; a new marker replaces it.
    return null;
  }
}

export async function writePendingUpdate(stateDir: string, pending: PendingUpdate): Promise<void> {
  await writeFileAtomic(path.join(stateDir, PENDING_FILE), `${JSON.stringify(pending, null, 2)}\n`, 0o600);
}

export async function readFailedVersions(stateDir: string): Promise<string[]> {
  try {
    const parsed = z
      .strictObject({ versions: z.array(z.string().max(64)).max(100) })
      .parse(JSON.parse(await readFile(path.join(stateDir, FAILED_FILE), 'utf8')));
    return parsed.versions;
  } catch {
    return [];
  }
}

async function recordFailedVersion(stateDir: string, version: string): Promise<void> {
  const versions = [...(await readFailedVersions(stateDir)).filter((v) => v !== version), version].slice(-FAILED_KEPT);
  await writeFileAtomic(path.join(stateDir, FAILED_FILE), `${JSON.stringify({ versions }, null, 2)}\n`, 0o600);
}

async function sha256Of(file: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(await realpath(file)))
    .digest('hex');
}

export interface GuardOptions {
  now?: () => Date;
  maxStarts?: number;
}

/**
 * Call first thing when `run` starts. With no update on probation it does nothing. Otherwise it
 * counts this start, and when the new version has started too often or passed its deadline
 * without a confirmed check-in, it restores `<selfPath>.previous`, records the version as failed
 * (never retried) and answers `rolled-back`: the caller exits with RESTART_EXIT_CODE.
 */
export async function startupUpdateGuard(stateDir: string, selfPath: string, options: GuardOptions = {}): Promise<GuardResult> {
  return guard(stateDir, selfPath, options, true);
}

/** For a timer at the deadline `startupUpdateGuard` returned: rolls back when still unconfirmed. */
export async function enforceUpdateDeadline(stateDir: string, selfPath: string, options: GuardOptions = {}): Promise<GuardResult> {
  return guard(stateDir, selfPath, options, false);
}

async function guard(stateDir: string, selfPath: string, options: GuardOptions, isStart: boolean): Promise<GuardResult> {
  if (isStart) await rm(path.join(stateDir, WRAPPER_STARTS_FILE), { force: true });
  const byWrapper = await rm(path.join(stateDir, WRAPPER_ROLLBACK_FILE)).then(
    () => true,
    () => false,
  );
  const pending = await readPendingUpdate(stateDir);
  if (!pending) {
    await rm(path.join(stateDir, PENDING_FILE), { force: true });
    return { action: 'none' };
  }
  // The marker is written before the swap: a crash in between leaves the old file running, and a
  // file installed by hand since is the operator's choice. Neither is rolled back.
  if ((await sha256Of(selfPath)) !== pending.toSha256) {
    await rm(path.join(stateDir, PENDING_FILE), { force: true });
    if (!byWrapper) return { action: 'none', note: `the installed file is not ${pending.toVersion}; the pending update is void` };
    await recordFailedVersion(stateDir, pending.toVersion);
    const reason = `${pending.toVersion} did not start; the service wrapper restored the previous file`;
    return { action: 'none', note: reason };
  }
  const now = (options.now ?? (() => new Date()))();
  const starts = pending.starts + (isStart ? 1 : 0);
  const maxStarts = options.maxStarts ?? MAX_UNCONFIRMED_STARTS;
  const overdue = now.getTime() >= Date.parse(pending.deadline);
  if (starts > maxStarts || overdue) {
    const reason = overdue
      ? `${pending.toVersion} did not check in before ${pending.deadline}`
      : `${pending.toVersion} started ${starts - 1} times without checking in`;
    try {
      await restorePrevious(selfPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      // No previous file (removed by hand): keep running what is there rather than nothing.
      await recordFailedVersion(stateDir, pending.toVersion);
      await rm(path.join(stateDir, PENDING_FILE), { force: true });
      return { action: 'none', note: `${reason}, but there is no previous file to roll back to` };
    }
    await recordFailedVersion(stateDir, pending.toVersion);
    await rm(path.join(stateDir, PENDING_FILE), { force: true });
    return { action: 'rolled-back', fromVersion: pending.toVersion, toVersion: pending.fromVersion, reason };
  }
  if (isStart) await writePendingUpdate(stateDir, { ...pending, starts });
  return { action: 'pending', toVersion: pending.toVersion, deadline: new Date(pending.deadline), starts };
}

/** After a failed install: drops the marker unless the new file did land (then probation applies). */
export async function discardPendingUnlessInstalled(stateDir: string, selfPath: string): Promise<void> {
  const pending = await readPendingUpdate(stateDir);
  if (pending && (await sha256Of(selfPath).catch(() => null)) === pending.toSha256) return;
  await rm(path.join(stateDir, PENDING_FILE), { force: true });
}

/** Call after the first successful check-in: the running version is confirmed. Returns it, or null. */
export async function markUpdateHealthy(stateDir: string): Promise<string | null> {
  const pending = await readPendingUpdate(stateDir);
  await rm(path.join(stateDir, PENDING_FILE), { force: true });
  return pending?.toVersion ?? null;
}
