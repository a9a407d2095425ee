import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ReleasePlatform } from '@vigil/protocol';
import type { Actor } from '../../http/auth.ts';
import { generateReleaseKey, parseReleaseKeyFile, type SignOptions, signRelease } from './release-signing.ts';
import { BUNDLE_FILE } from './releases.schemas.ts';

export const releaseSigner = () => parseReleaseKeyFile(JSON.stringify(generateReleaseKey('test-release').file));

export async function releasesDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'vigil-releases-'));
}

/** Publishes a release as an operator would: the file and its signed manifest under `<platform>/<version>/`. */
export async function publish(
  dir: string,
  signer: ReturnType<typeof releaseSigner>,
  version: string,
  options: Partial<SignOptions> & { bundle?: Buffer; signedBundle?: Buffer } = {},
): Promise<{ bundle: Buffer; url: string }> {
  const platform: ReleasePlatform = options.platform ?? 'node';
  const bundle = options.bundle ?? Buffer.from(`// vigil-agent ${version}\nconsole.log(${JSON.stringify(version)});\n`);
  const url = `/downloads/agent/${platform}/${version}/${BUNDLE_FILE[platform]}`;
  const signed = signRelease(
    options.signedBundle ?? bundle,
    {
      version,
      platform,
      minimumVersion: options.minimumVersion ?? '0.0.0',
      expiresAt: options.expiresAt ?? new Date(Date.now() + 30 * 86_400_000),
      url: options.url ?? url,
    },
    signer,
  );
  const at = path.join(dir, platform, version);
  await mkdir(at, { recursive: true });
  await writeFile(path.join(at, BUNDLE_FILE[platform]), bundle);
  await writeFile(path.join(at, 'manifest.json'), `${JSON.stringify(signed, null, 2)}\n`);
  return { bundle, url };
}

export function agentActor(): Actor {
  return {
    kind: 'agent',
    id: randomUUID(),
    assetId: randomUUID(),
    tenant: { orgId: randomUUID(), userId: null, role: 'CLIENT_MEMBER', clientIds: [randomUUID()] },
  };
}

export function userActor(): Actor {
  return { kind: 'user', id: randomUUID(), tenant: { orgId: randomUUID(), userId: randomUUID(), role: 'OWNER', clientIds: 'all' } };
}
