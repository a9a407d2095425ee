import { z } from 'zod';
import { base64url, isoTime, line, sha256Hex } from './text.ts';

export const RELEASE_SCHEMA = 'vigil.release/1';
/** The platforms a release can be built for: the bundled script (needs Node) or a single executable. */
export const RELEASE_PLATFORMS = ['node', 'linux-x64', 'linux-arm64'] as const;
const semver = z.string().regex(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, 'must be a version such as 1.4.2');

/** What a release key signs: one file of one version for one platform. */
export const releaseManifestSchema = z.strictObject({
  schema: z.literal(RELEASE_SCHEMA),
  version: semver,
  platform: z.enum(RELEASE_PLATFORMS),
  sha256: sha256Hex,
  size: z
    .number()
    .int()
    .min(1)
    .max(512 * 1024 * 1024),
  /** Agents older than this cannot update to it directly (a protocol change in between). */
  minimumVersion: semver,
  expiresAt: isoTime,
  /** Where the file is served; relative URLs are resolved against the Vigil server. */
  url: line(1, 2048),
});

/** `payload` is the base64url of the manifest's JSON exactly as signed. */
export const signedReleaseSchema = z.strictObject({
  payload: base64url(16 * 1024),
  kid: line(1, 64),
  signature: base64url(128).length(86),
});

export type ReleasePlatform = (typeof RELEASE_PLATFORMS)[number];
export type ReleaseManifest = z.infer<typeof releaseManifestSchema>;
export type SignedRelease = z.infer<typeof signedReleaseSchema>;
