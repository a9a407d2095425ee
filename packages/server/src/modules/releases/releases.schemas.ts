import { RELEASE_PLATFORMS, type ReleasePlatform } from '@vigil/protocol';
import { z } from 'zod';

/**
 * The release version as a path segment: SemVer without build metadata, as the manifest schema
 * has it, and bounded. It starts with a digit, so it can never be `.` or `..`.
 */
export const RELEASE_VERSION = /^(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})(-[0-9A-Za-z][0-9A-Za-z.-]{0,63})?$/;
export const releaseVersion = z.string().max(96).regex(RELEASE_VERSION, 'must be a release version such as 1.4.2');
export const releasePlatform = z.enum(RELEASE_PLATFORMS);

/** The agent file of each platform, as published under `<platform>/<version>/`. */
export const BUNDLE_FILE: Readonly<Record<ReleasePlatform, string>> = {
  node: 'vigil-agent.mjs',
  'linux-x64': 'vigil-agent',
  'linux-arm64': 'vigil-agent',
};
export const MANIFEST_FILE = 'manifest.json';

export const downloadParams = z.strictObject({
  platform: releasePlatform,
  version: releaseVersion,
  // Only the two names a release directory holds: nothing else there (or above it) is served.
  file: z.enum(['vigil-agent.mjs', 'vigil-agent', MANIFEST_FILE]),
});
export const latestManifestQuery = z.strictObject({ platform: releasePlatform.default('node') });
export const agentReleaseQuery = z.strictObject({
  platform: releasePlatform.default('node'),
  /** The agent's version: the answer is the newest release it may update to from there. */
  current: releaseVersion.optional(),
});
