export { checkAndApplyUpdate, type UpdateDeps, type UpdateLog, type UpdateResult } from './check-and-apply.ts';
export { createHttpDownloader, type DownloaderOptions, DownloadTooLargeError } from './download.ts';
export {
  CONFIRM_WITHIN_MS,
  enforceUpdateDeadline,
  type GuardOptions,
  type GuardResult,
  MAX_UNCONFIRMED_STARTS,
  markUpdateHealthy,
  RESTART_EXIT_CODE,
  startupUpdateGuard,
} from './pending.ts';
export { pinnedReleaseKeys, RELEASE_KEYS_DEFINE } from './release-keys.ts';
export { compareReleaseVersions } from './versions.ts';
