import { createHash } from 'node:crypto';
import {
  EnvelopeError,
  openEnvelope,
  type ReleaseManifest,
  type ReleasePlatform,
  releaseManifestSchema,
  signedReleaseSchema,
  type TrustedKey,
} from '@vigil/protocol';
import { compareReleaseVersions } from './versions.ts';

/** Why a release is not installed. `refused`: it must not be (tampering, downgrade); `none`: nothing to do. */
export type ReleaseVerdict =
  | { ok: true; manifest: ReleaseManifest }
  | { ok: false; status: 'none' | 'refused'; reason: string; manifest?: ReleaseManifest };

export interface ReleaseContext {
  trustedKeys: readonly TrustedKey[];
  platform: ReleasePlatform;
  currentVersion: string;
  now: Date;
  /** Versions that were installed before and rolled back: never retried. */
  failedVersions: readonly string[];
}

/**
 * The checks made before a byte is downloaded, in this order: the signature by a pinned key
 * (nothing unsigned is read), then what the signed manifest says about this agent.
 */
export function verifyRelease(signed: unknown, ctx: ReleaseContext): ReleaseVerdict {
  const envelope = signedReleaseSchema.safeParse(signed);
  if (!envelope.success) return { ok: false, status: 'refused', reason: 'the release answer is not a signed manifest' };
  // A build without pinned keys can verify nothing, so it installs nothing.
  if (ctx.trustedKeys.length === 0) return { ok: false, status: 'refused', reason: 'this build pins no release key' };
  let manifest: ReleaseManifest;
  try {
    manifest = openEnvelope(envelope.data, ctx.trustedKeys, releaseManifestSchema);
  } catch (error) {
    if (error instanceof EnvelopeError) return { ok: false, status: 'refused', reason: `signature: ${error.message}` };
    throw error;
  }
  const refuse = (reason: string): ReleaseVerdict => ({ ok: false, status: 'refused', reason, manifest });
  // A release for another platform would not even start here (a linux-arm64 binary on x64).
  if (manifest.platform !== ctx.platform) return refuse(`the release is for ${manifest.platform}, this agent runs ${ctx.platform}`);
  const order = compareReleaseVersions(manifest.version, ctx.currentVersion);
  if (order === null) return refuse(`cannot order ${manifest.version} against the running ${ctx.currentVersion}`);
  if (order === 0) return { ok: false, status: 'none', reason: `already running ${manifest.version}`, manifest };
  // Downgrade protection: an old release, validly signed, may carry a vulnerability fixed since;
  // an attacker who can answer for the server must not be able to roll agents back to it.
  if (order < 0) return refuse(`${manifest.version} is older than the running ${ctx.currentVersion}`);
  if (ctx.failedVersions.includes(manifest.version)) return refuse(`${manifest.version} failed to check in before and was rolled back`);
  const minimum = compareReleaseVersions(ctx.currentVersion, manifest.minimumVersion);
  if (minimum === null || minimum < 0) {
    return refuse(`${manifest.version} needs at least ${manifest.minimumVersion} to update from; this agent runs ${ctx.currentVersion}`);
  }
  // An expiry bounds how long a captured manifest can be replayed (freeze attacks).
  if (Date.parse(manifest.expiresAt) <= ctx.now.getTime())
    return refuse(`the manifest of ${manifest.version} expired at ${manifest.expiresAt}`);
  return { ok: true, manifest };
}

/** The downloaded file against the signed size and hash; null when it matches. */
export function checkDownloaded(file: Buffer, manifest: ReleaseManifest): string | null {
  if (file.length !== manifest.size) return `the download is ${file.length} bytes, the manifest says ${manifest.size}`;
  const sha256 = createHash('sha256').update(file).digest('hex');
  if (sha256 !== manifest.sha256) return `the download's SHA-256 is ${sha256}, the manifest says ${manifest.sha256}`;
  return null;
}
