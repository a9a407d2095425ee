import { constants } from 'node:fs';
import { type FileHandle, open, readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { type ReleaseManifest, type ReleasePlatform, type SignedRelease, signedReleaseSchema } from '@vigil/protocol';
import { comparatorFor } from '@vigil/vulndb';
import { unverifiedManifest } from './release-signing.ts';
import { BUNDLE_FILE, MANIFEST_FILE, RELEASE_VERSION } from './releases.schemas.ts';

const semver = comparatorFor('npm');
/** A manifest is a few hundred bytes; anything much larger is not one. */
const MANIFEST_MAX_BYTES = 64 * 1024;

export interface PublishedRelease {
  manifest: ReleaseManifest;
  signed: SignedRelease;
}

export interface ReleaseStoreOptions {
  /** `AGENT_RELEASES_DIR`: `<platform>/<version>/{vigil-agent(.mjs),manifest.json}`, placed by an operator. */
  dir: string;
  /** How long a directory listing is reused (check-ins ask on every call). */
  cacheMs?: number;
  warn?: (message: string) => void;
}

/**
 * Reads the releases an operator published. The server never signs: it serves what is there. It
 * reads the manifests without verifying them (it holds no release key; agents verify), but skips
 * a directory whose manifest does not describe it (another version or platform, another size of
 * file), so a misplaced file is reported instead of offered.
 */
export function createReleaseStore(options: ReleaseStoreOptions) {
  const cacheMs = options.cacheMs ?? 60_000;
  const cache = new Map<ReleasePlatform, { at: number; releases: Promise<PublishedRelease[]> }>();

  async function scan(platform: ReleasePlatform): Promise<PublishedRelease[]> {
    const platformDir = path.join(options.dir, platform);
    const versions = await readdir(platformDir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return [];
      throw error;
    });
    const found: PublishedRelease[] = [];
    for (const version of versions.filter((name) => RELEASE_VERSION.test(name))) {
      const problem = await readRelease(platformDir, platform, version).then(
        (release) => {
          if (typeof release === 'string') return release;
          found.push(release);
          return null;
        },
        (error: Error) => error.message,
      );
      if (problem) options.warn?.(`release ${platform}/${version} skipped: ${problem}`);
    }
    return found.sort((a, b) => semver.compare(b.manifest.version, a.manifest.version));
  }

  async function readRelease(platformDir: string, platform: ReleasePlatform, version: string): Promise<PublishedRelease | string> {
    const dir = path.join(platformDir, version);
    const manifestPath = path.join(dir, MANIFEST_FILE);
    if ((await stat(manifestPath)).size > MANIFEST_MAX_BYTES) return 'manifest.json is too large';
    const parsed = signedReleaseSchema.safeParse(JSON.parse(await readFile(manifestPath, 'utf8')));
    const manifest = parsed.success ? unverifiedManifest(parsed.data) : null;
    if (!parsed.success || !manifest) return 'manifest.json is not a signed release manifest';
    if (manifest.version !== version || manifest.platform !== platform) {
      return `manifest.json is for ${manifest.platform}/${manifest.version}`;
    }
    const bundle = await stat(path.join(dir, BUNDLE_FILE[platform]));
    if (!bundle.isFile() || bundle.size !== manifest.size) return `${BUNDLE_FILE[platform]} is not the ${manifest.size}-byte file signed`;
    return { manifest, signed: parsed.data };
  }

  async function list(platform: ReleasePlatform): Promise<PublishedRelease[]> {
    const cached = cache.get(platform);
    if (cached && Date.now() - cached.at < cacheMs) return cached.releases;
    const releases = scan(platform);
    cache.set(platform, { at: Date.now(), releases });
    releases.catch(() => cache.delete(platform));
    return releases;
  }

  return {
    list,

    /**
     * The newest release not expired at `now`; with `from`, the newest one an agent running
     * `from` may install (newer, and `from` at least its minimum version), so an old agent is
     * offered a stepping stone rather than a release it would refuse.
     */
    async newest(platform: ReleasePlatform, now: Date, from?: string): Promise<PublishedRelease | null> {
      if (from !== undefined && !semver.isValid(from)) return null;
      const releases = await list(platform);
      return (
        releases.find(
          ({ manifest }) =>
            Date.parse(manifest.expiresAt) > now.getTime() &&
            (from === undefined || (semver.compare(manifest.version, from) > 0 && semver.compare(from, manifest.minimumVersion) >= 0)),
        ) ?? null
      );
    },

    /**
     * Opens a published file for reading. The caller validated the three names; the real path is
     * checked once more to be inside the releases directory, so a symlink placed there cannot
     * serve /etc/shadow either. Null when there is no such regular file.
     */
    async openFile(platform: ReleasePlatform, version: string, file: string): Promise<{ handle: FileHandle; size: number } | null> {
      let root: string;
      let real: string;
      try {
        root = await realpath(options.dir);
        real = await realpath(path.join(options.dir, platform, version, file));
      } catch {
        return null;
      }
      if (!real.startsWith(`${root}${path.sep}`)) return null;
      const handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => null);
      if (!handle) return null;
      const info = await handle.stat();
      if (!info.isFile()) {
        await handle.close();
        return null;
      }
      return { handle, size: info.size };
    },
  };
}

export type ReleaseStore = ReturnType<typeof createReleaseStore>;
