import type { ReleasePlatform, SignedRelease, TrustedKey } from '@vigil/protocol';
import { DownloadTooLargeError } from './download.ts';
import { CONFIRM_WITHIN_MS, discardPendingUnlessInstalled, readFailedVersions, readPendingUpdate, writePendingUpdate } from './pending.ts';
import { replaceOwnFile } from './replace-file.ts';
import { checkDownloaded, verifyRelease } from './verify-release.ts';

export interface UpdateLog {
  info(message: string): void;
  warn(message: string): void;
}

export interface UpdateDeps {
  /** The signed manifest the server offers (`GET AGENT_PATHS.releaseManifest`), null when none. */
  fetchRelease(): Promise<SignedRelease | null>;
  /** Must stop past `maxBytes` (see `createHttpDownloader`); a longer answer is refused anyway. */
  download(url: string, maxBytes: number): Promise<Buffer>;
  currentVersion: string;
  /** The agent's own file (the bundle, or the single executable). */
  selfPath: string;
  platform: ReleasePlatform;
  /** `pinnedReleaseKeys()` in production; a parameter so tests can sign with their own key. */
  trustedKeys: readonly TrustedKey[];
  stateDir: string;
  now?: () => Date;
  log: UpdateLog;
}

/**
 * `updated`: the new file is in place; exit with RESTART_EXIT_CODE. `refused`: the release must
 * not be installed (bad signature, downgrade, tampered file…), nothing was changed. `failed`: a
 * transient problem (network, disk), try again later. `none`: nothing to do.
 */
export type UpdateResult =
  | { status: 'none'; reason?: string }
  | { status: 'updated'; version: string }
  | { status: 'refused'; reason: string; version?: string }
  | { status: 'failed'; reason: string; version?: string };

/**
 * One update check. Everything about the release is checked before the agent's own file is
 * touched; only a release that passes every check replaces it (atomically, keeping the previous
 * file for `startupUpdateGuard` to roll back to).
 */
export async function checkAndApplyUpdate(deps: UpdateDeps): Promise<UpdateResult> {
  const now = deps.now ?? (() => new Date());
  const pending = await readPendingUpdate(deps.stateDir);
  // One update at a time: the last one must prove itself (check in) before another replaces it.
  if (pending) return { status: 'none', reason: `the update to ${pending.toVersion} is not confirmed yet` };
  let offered: SignedRelease | null;
  try {
    offered = await deps.fetchRelease();
  } catch (error) {
    return { status: 'failed', reason: `fetching the release: ${(error as Error).message}` };
  }
  if (offered === null) return { status: 'none' };
  const verdict = verifyRelease(offered, {
    trustedKeys: deps.trustedKeys,
    platform: deps.platform,
    currentVersion: deps.currentVersion,
    now: now(),
    failedVersions: await readFailedVersions(deps.stateDir),
  });
  if (!verdict.ok) {
    if (verdict.status === 'refused') deps.log.warn(`update refused: ${verdict.reason}`);
    return verdict.status === 'none'
      ? { status: 'none', reason: verdict.reason }
      : { status: 'refused', reason: verdict.reason, ...(verdict.manifest ? { version: verdict.manifest.version } : {}) };
  }
  const { manifest } = verdict;
  let file: Buffer;
  try {
    file = await deps.download(manifest.url, manifest.size);
  } catch (error) {
    // More bytes than the signed size is not bad luck: someone serves another file.
    if (error instanceof DownloadTooLargeError) {
      deps.log.warn(`update refused: ${error.message}`);
      return { status: 'refused', reason: error.message, version: manifest.version };
    }
    return { status: 'failed', reason: `downloading ${manifest.version}: ${(error as Error).message}`, version: manifest.version };
  }
  const mismatch = checkDownloaded(file, manifest);
  if (mismatch) {
    deps.log.warn(`update refused: ${mismatch}`);
    return { status: 'refused', reason: mismatch, version: manifest.version };
  }
  const appliedAt = now();
  try {
    await replaceOwnFile(deps.selfPath, file, () =>
      writePendingUpdate(deps.stateDir, {
        schema: 'vigil.update-pending/1',
        fromVersion: deps.currentVersion,
        toVersion: manifest.version,
        toSha256: manifest.sha256,
        appliedAt: appliedAt.toISOString(),
        deadline: new Date(appliedAt.getTime() + CONFIRM_WITHIN_MS).toISOString(),
        starts: 0,
      }),
    );
  } catch (error) {
    await discardPendingUnlessInstalled(deps.stateDir, deps.selfPath).catch(() => undefined);
    return { status: 'failed', reason: `installing ${manifest.version}: ${(error as Error).message}`, version: manifest.version };
  }
  deps.log.info(`updated ${deps.currentVersion} → ${manifest.version}; restarting`);
  return { status: 'updated', version: manifest.version };
}
