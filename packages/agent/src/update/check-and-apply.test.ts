import { readFile, stat } from 'node:fs/promises';
import type { SignedRelease } from '@vigil/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkAndApplyUpdate, type UpdateDeps } from './check-and-apply.ts';
import { createHttpDownloader } from './download.ts';
import { readPendingUpdate } from './pending.ts';
import { fileServer, installedAgent, manifestFor, recordingLog, releaseKey, sha256, sign } from './update.test-kit.ts';

const NEW_BUNDLE = Buffer.from('// vigil-agent 0.2.0\nconsole.log("new");\n'.repeat(50));
const FILE_PATH = '/downloads/agent/node/0.2.0/vigil-agent.mjs';
const key = releaseKey();

let agent: Awaited<ReturnType<typeof installedAgent>>;
let server: Awaited<ReturnType<typeof fileServer>>;
let served: Map<string, Parameters<typeof fileServer>[0] extends Map<string, infer V> ? V : never>;

beforeEach(async () => {
  agent = await installedAgent();
  served = new Map([[FILE_PATH, NEW_BUNDLE]]);
  server = await fileServer(served);
});
afterEach(async () => {
  await server.close();
  await agent.cleanup();
});

function deps(release: SignedRelease | null | unknown, overrides: Partial<UpdateDeps> = {}): UpdateDeps {
  return {
    fetchRelease: async () => release as SignedRelease | null,
    download: createHttpDownloader({ serverUrl: server.url }),
    currentVersion: '0.1.0',
    selfPath: agent.selfPath,
    platform: 'node',
    trustedKeys: [key.trusted],
    stateDir: agent.stateDir,
    log: recordingLog(),
    ...overrides,
  };
}

describe('a good release', () => {
  it('replaces only the agent file, keeps the previous one and records the pending update', async () => {
    const result = await checkAndApplyUpdate(deps(sign(manifestFor(NEW_BUNDLE), key)));
    expect(result).toEqual({ status: 'updated', version: '0.2.0' });
    expect((await readFile(agent.selfPath)).equals(NEW_BUNDLE)).toBe(true);
    expect((await stat(agent.selfPath)).mode & 0o7777).toBe(0o755);
    expect((await readFile(`${agent.selfPath}.previous`)).equals(agent.content)).toBe(true);
    const pending = await readPendingUpdate(agent.stateDir);
    expect(pending).toMatchObject({ fromVersion: '0.1.0', toVersion: '0.2.0', toSha256: sha256(NEW_BUNDLE), starts: 0 });
    expect((await stat(`${agent.stateDir}/update-pending.json`)).mode & 0o777).toBe(0o600);
    const { leftovers } = await agent.untouched();
    expect(leftovers.sort()).toEqual(['update-pending.json', 'vigil-agent.mjs.previous']);
  });

  it('installs no second update while the first is unconfirmed', async () => {
    await checkAndApplyUpdate(deps(sign(manifestFor(NEW_BUNDLE), key)));
    const newer = sign(manifestFor(NEW_BUNDLE, { version: '0.3.0' }), key);
    const result = await checkAndApplyUpdate(deps(newer, { currentVersion: '0.2.0' }));
    expect(result).toEqual({ status: 'none', reason: 'the update to 0.2.0 is not confirmed yet' });
  });

  it('resolves a relative URL against the server and accepts an absolute one', async () => {
    const absolute = sign(manifestFor(NEW_BUNDLE, { url: `${server.url}${FILE_PATH}` }), key);
    expect(await checkAndApplyUpdate(deps(absolute))).toEqual({ status: 'updated', version: '0.2.0' });
  });

  it('follows a prerelease to its release (1.0.0-rc.1 < 1.0.0)', async () => {
    const release = sign(manifestFor(NEW_BUNDLE, { version: '1.0.0', minimumVersion: '0.1.0' }), key);
    expect(await checkAndApplyUpdate(deps(release, { currentVersion: '1.0.0-rc.1' }))).toMatchObject({ status: 'updated' });
  });
});

describe('a release that must not be installed leaves the running file byte-identical', () => {
  const other = releaseKey('test-release-1'); // same kid, another key: a forged signature
  const stranger = releaseKey('someone-else');
  const tampered = Buffer.from(NEW_BUNDLE);
  tampered[10] = (tampered[10] ?? 0) ^ 0x01;
  const otherFile = Buffer.from(NEW_BUNDLE.toString().replaceAll('new', 'bad'));

  const cases: Array<[string, () => unknown, RegExp, (() => void)?]> = [
    ['a changed byte in the file', () => sign(manifestFor(NEW_BUNDLE), key), /SHA-256/, () => served.set(FILE_PATH, tampered)],
    ['a manifest signed by a key with a pinned kid', () => sign(manifestFor(NEW_BUNDLE), other), /signature: the signature does not match/],
    ['a manifest signed by an unknown key', () => sign(manifestFor(NEW_BUNDLE), stranger), /signature: .*not trusted/],
    [
      'a signed size larger than the file',
      () => sign(manifestFor(NEW_BUNDLE, { size: NEW_BUNDLE.length + 1 }), key),
      /bytes, the manifest says/,
    ],
    ['a signed size smaller than the file', () => sign(manifestFor(NEW_BUNDLE, { size: NEW_BUNDLE.length - 1 }), key), /larger than the/],
    [
      'an older signed release (downgrade)',
      () => sign(manifestFor(NEW_BUNDLE, { version: '0.0.9', minimumVersion: '0.0.1' }), key),
      /older than/,
    ],
    ['an expired manifest', () => sign(manifestFor(NEW_BUNDLE, { expiresAt: new Date(Date.now() - 1000).toISOString() }), key), /expired/],
    ["a signature over another file's manifest", () => sign(manifestFor(otherFile), key), /SHA-256/],
    ['another platform', () => sign(manifestFor(NEW_BUNDLE, { platform: 'linux-arm64' }), key), /for linux-arm64/],
    [
      'a minimum version above the running one',
      () => sign(manifestFor(NEW_BUNDLE, { minimumVersion: '0.1.5' }), key),
      /needs at least 0.1.5/,
    ],
    ['a payload swapped under a valid signature', () => swapPayload(), /signature: the signature does not match/],
    ['an answer that is not a signed manifest', () => ({ payload: 'x', kid: 'k' }), /not a signed manifest/],
    ['a signed payload that is not a manifest', () => sign({ hello: 'world' } as never, key), /signed payload is not valid/],
  ];

  function swapPayload(): SignedRelease {
    const good = sign(manifestFor(NEW_BUNDLE), key);
    const evil = sign(manifestFor(otherFile), key);
    return { ...good, payload: evil.payload };
  }

  it.each(cases)('%s is refused', async (_, release, reason, arrange) => {
    arrange?.();
    const log = recordingLog();
    const result = await checkAndApplyUpdate(deps(release(), { log }));
    expect(result.status).toBe('refused');
    expect(result.status === 'refused' && result.reason).toMatch(reason);
    expect(log.lines.some((line) => line.startsWith('warn update refused'))).toBe(true);
    expect(await agent.untouched()).toEqual({ same: true, leftovers: [] });
  });

  it('an equal version is nothing to do, and nothing changes', async () => {
    const result = await checkAndApplyUpdate(deps(sign(manifestFor(NEW_BUNDLE, { version: '0.1.0' }), key)));
    expect(result).toEqual({ status: 'none', reason: 'already running 0.1.0' });
    expect(await agent.untouched()).toEqual({ same: true, leftovers: [] });
  });

  it('a build that pins no key refuses every release', async () => {
    const result = await checkAndApplyUpdate(deps(sign(manifestFor(NEW_BUNDLE), key), { trustedKeys: [] }));
    expect(result).toMatchObject({ status: 'refused', reason: 'this build pins no release key' });
    expect(await agent.untouched()).toEqual({ same: true, leftovers: [] });
  });

  it('a download that keeps streaming past the signed size is stopped', async () => {
    let sent = 0;
    served.set(FILE_PATH, (res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(64 * 1024, 0x41);
      const pump = () => {
        while (sent < 1024 * 1024 * 1024 && res.write(chunk)) sent += chunk.length;
        if (sent < 1024 * 1024 * 1024) res.once('drain', pump);
      };
      res.on('close', () => res.removeAllListeners('drain'));
      pump();
    });
    const result = await checkAndApplyUpdate(deps(sign(manifestFor(NEW_BUNDLE), key)));
    expect(result).toMatchObject({ status: 'refused', reason: expect.stringMatching(/larger than the \d+ bytes/) });
    expect(sent).toBeLessThan(1024 * 1024 * 1024);
    expect(await agent.untouched()).toEqual({ same: true, leftovers: [] });
  });

  it('a server error is a failure to retry, not a refusal, and changes nothing', async () => {
    served.delete(FILE_PATH);
    const result = await checkAndApplyUpdate(deps(sign(manifestFor(NEW_BUNDLE), key)));
    expect(result).toMatchObject({ status: 'failed', reason: expect.stringMatching(/HTTP 404/) });
    expect(await agent.untouched()).toEqual({ same: true, leftovers: [] });
  });

  it('no release offered is nothing to do', async () => {
    expect(await checkAndApplyUpdate(deps(null))).toEqual({ status: 'none' });
    expect(await agent.untouched()).toEqual({ same: true, leftovers: [] });
  });
});

describe('releaseManifestPath', () => {
  it('asks the agent route for the next release from the running version', async () => {
    const { releaseManifestPath } = await import('./download.ts');
    expect(releaseManifestPath('node', '0.1.0-rc.1')).toBe('/api/v1/agent/release?platform=node&current=0.1.0-rc.1');
  });
});
