import { fileURLToPath } from 'node:url';
import type { RunHooks } from '../run/hooks.ts';

/** Set to true by build.mjs (esbuild `define`); undeclared when the sources run under tsx. */
declare const __VIGIL_BUNDLE__: boolean;

/**
 * The file self-update may replace: the bundle itself. Null when running from the sources, so a
 * development checkout never has a TypeScript file overwritten by a downloaded release.
 */
export function bundledSelfPath(): string | null {
  return typeof __VIGIL_BUNDLE__ !== 'undefined' && __VIGIL_BUNDLE__ ? fileURLToPath(import.meta.url) : null;
}

/**
 * The actions runner (src/actions) and the updater (src/update), wired into the run loop here
 * and nowhere else. Loaded when `run` starts, so the other commands never read their code.
 */
export async function defaultHooks(selfPath: string | null = bundledSelfPath()): Promise<RunHooks> {
  const { runActionsHook } = await import('../actions/index.ts');
  const hooks: RunHooks = { runActions: runActionsHook };
  if (!selfPath) return hooks;

  const update = await import('../update/index.ts');
  return {
    ...hooks,
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
        fetchRelease: () => ctx.client.fetchRelease('node'),
        download: update.createHttpDownloader({ serverUrl: ctx.client.server }),
        currentVersion: ctx.agentVersion,
        selfPath,
        platform: 'node',
        trustedKeys: update.pinnedReleaseKeys(),
        stateDir: ctx.stateDir,
        log: ctx.log,
      });
      if (result.status === 'updated') return 'restart';
      if (result.status === 'failed') ctx.log.warn(`update to ${ctx.offered.version} failed, will try again: ${result.reason}`);
    },
  };
}
