import type { RunHooks } from '../run/hooks.ts';
import { type SelfImage, selfImage } from './self-image.ts';

/**
 * The actions runner (src/actions) and the updater (src/update), wired into the run loop here
 * and nowhere else. Loaded when `run` starts, so the other commands never read their code.
 * `self` is the file an update replaces and the release platform it asks for (null: never update).
 */
export async function defaultHooks(self: SelfImage | null = selfImage()): Promise<RunHooks> {
  const { runActionsHook } = await import('../actions/index.ts');
  const hooks: RunHooks = { runActions: runActionsHook };
  if (!self) return hooks;
  const { path: selfPath, platform } = self;

  const update = await import('../update/index.ts');
  return {
    ...hooks,
    releasePlatform: platform,
    async start(ctx) {
      const guard = await update.startupUpdateGuard(ctx.stateDir, selfPath);
      if (guard.action === 'rolled-back') {
        ctx.log.warn(`rolled back ${guard.fromVersion} → ${guard.toVersion}: ${guard.reason}; restarting`);
        return 'restart';
      }
      if (guard.action === 'pending') ctx.log.info(`running ${guard.toVersion} on probation until its first check-in`);
      else if (guard.note) ctx.log.warn(guard.note);
    },
    async beforeCycle(ctx) {
      const guard = await update.enforceUpdateDeadline(ctx.stateDir, selfPath);
      if (guard.action !== 'rolled-back') return;
      ctx.log.warn(`rolled back ${guard.fromVersion} → ${guard.toVersion}: ${guard.reason}; restarting`);
      return 'restart';
    },
    async checkedIn(ctx) {
      const confirmed = await update.markUpdateHealthy(ctx.stateDir);
      if (confirmed) ctx.log.info(`update to ${confirmed} confirmed by a check-in`);
    },
    async offerUpdate(ctx) {
      const result = await update.checkAndApplyUpdate({
        fetchRelease: () => ctx.client.fetchRelease(platform),
        download: update.createHttpDownloader({ serverUrl: ctx.client.server }),
        currentVersion: ctx.agentVersion,
        selfPath,
        platform,
        trustedKeys: update.pinnedReleaseKeys(),
        stateDir: ctx.stateDir,
        log: ctx.log,
      });
      if (result.status === 'updated') return 'restart';
      if (result.status === 'failed') ctx.log.warn(`update to ${ctx.offered.version} failed, will try again: ${result.reason}`);
    },
  };
}
