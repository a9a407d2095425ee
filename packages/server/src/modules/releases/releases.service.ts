import type { FileHandle } from 'node:fs/promises';
import type { ReleasePlatform, SignedRelease } from '@vigil/protocol';
import { releaseError } from './releases.errors.ts';
import { BUNDLE_FILE, MANIFEST_FILE } from './releases.schemas.ts';
import type { ReleaseStore } from './releases.store.ts';

export function createReleasesService(deps: { store: ReleaseStore; now?: () => Date; warn?: (message: string) => void }) {
  const now = deps.now ?? (() => new Date());
  return {
    /** The signed manifest an agent should install next, or null (it is current, or nothing is published). */
    async forAgent(platform: ReleasePlatform, current?: string): Promise<SignedRelease | null> {
      return (await deps.store.newest(platform, now(), current))?.signed ?? null;
    },

    /** For the check-in answer: the version an agent running `agentVersion` is offered, if any. */
    async offeredRelease(agentVersion: string, platform: ReleasePlatform = 'node'): Promise<{ version: string } | null> {
      // An unreadable releases directory must not fail check-ins: no offer, and a warning.
      const release = await deps.store.newest(platform, now(), agentVersion).catch((error: Error) => {
        deps.warn?.(`agent releases unreadable: ${error.message}`);
        return null;
      });
      return release ? { version: release.manifest.version } : null;
    },

    async latestManifest(platform: ReleasePlatform): Promise<SignedRelease> {
      const release = await deps.store.newest(platform, now());
      if (!release) throw releaseError('NO_RELEASE', `no unexpired ${platform} release is published`);
      return release.signed;
    },

    async openDownload(platform: ReleasePlatform, version: string, file: string): Promise<{ handle: FileHandle; size: number }> {
      // A node release holds vigil-agent.mjs, an executable one vigil-agent: never the other name.
      const opened = file === BUNDLE_FILE[platform] || file === MANIFEST_FILE ? await deps.store.openFile(platform, version, file) : null;
      if (!opened) throw releaseError('RELEASE_NOT_FOUND');
      return opened;
    },
  };
}

export type ReleasesService = ReturnType<typeof createReleasesService>;
