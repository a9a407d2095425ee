import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { openEnvelope, releaseManifestSchema } from '@vigil/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers/test-app.ts';
import { agentActor, publish, releaseSigner, releasesDir, userActor } from './releases.test-kit.ts';

const signer = releaseSigner();
let ta: TestApp;
let dir: string;
let agent: string;
let user: string;
let bundle020: Buffer;

beforeAll(async () => {
  dir = await releasesDir();
  await publish(dir, signer, '0.1.0');
  bundle020 = (await publish(dir, signer, '0.2.0', { minimumVersion: '0.1.0' })).bundle;
  await publish(dir, signer, '0.3.0', { minimumVersion: '0.2.0' });
  await publish(dir, signer, '0.9.0', { expiresAt: new Date(Date.now() - 60_000) }); // expired: never offered
  await publish(dir, signer, '0.4.0', { platform: 'linux-x64', bundle: Buffer.from('\x7fELF fake') });
  // Misplaced: a manifest for 0.2.0 in the 5.0.0 directory is skipped, not offered as 5.0.0.
  await publish(dir, signer, '5.0.0');
  await writeFile(
    path.join(dir, 'node/5.0.0/manifest.json'),
    await import('node:fs/promises').then((fs) => fs.readFile(path.join(dir, 'node/0.2.0/manifest.json'))),
  );
  await writeFile(path.join(dir, 'secret.txt'), 'not for download');
  await mkdir(path.join(dir, 'node/6.0.0'), { recursive: true });
  await symlink('/etc/passwd', path.join(dir, 'node/6.0.0/vigil-agent.mjs'));
  ta = await createTestApp({ AGENT_RELEASES_DIR: dir, PUBLIC_URL: 'https://vigil.example/' });
  agent = ta.tokenFor(agentActor());
  user = ta.tokenFor(userActor());
});
afterAll(async () => {
  await ta.close();
  await rm(dir, { recursive: true, force: true });
});

const get = (url: string, authorization?: string, headers: Record<string, string> = {}) =>
  ta.app.inject({ method: 'GET', url, headers: { ...(authorization ? { authorization } : {}), ...headers } });
const versionOf = (body: string) => openEnvelope(JSON.parse(body), [signer.publicKey], releaseManifestSchema).version;

describe('GET /api/v1/agent/release', () => {
  it('answers an agent with the newest unexpired signed manifest, verifiable with the release key', async () => {
    const response = await get('/api/v1/agent/release?platform=node', agent);
    expect(response.statusCode).toBe(200);
    expect(versionOf(response.body)).toBe('0.3.0');
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('offers an old agent the newest release it may update to (a stepping stone past a minimum version)', async () => {
    expect(versionOf((await get('/api/v1/agent/release?current=0.1.0', agent)).body)).toBe('0.2.0');
    expect(versionOf((await get('/api/v1/agent/release?current=0.2.0', agent)).body)).toBe('0.3.0');
    expect((await get('/api/v1/agent/release?current=0.3.0', agent)).statusCode).toBe(204);
    expect(versionOf((await get('/api/v1/agent/release?platform=linux-x64&current=0.1.0', agent)).body)).toBe('0.4.0');
    expect((await get('/api/v1/agent/release?platform=linux-arm64', agent)).statusCode).toBe(204);
  });

  it('refuses people, anonymous callers and malformed queries', async () => {
    expect((await get('/api/v1/agent/release', user)).statusCode).toBe(403);
    expect((await get('/api/v1/agent/release')).statusCode).toBe(401);
    for (const query of [
      'platform=windows',
      'current=1.0',
      'current=../../x',
      `current=${'1'.repeat(200)}.0.0`,
      'other=1',
      'current=01.0.0',
    ]) {
      expect({ query, status: (await get(`/api/v1/agent/release?${query}`, agent)).statusCode }).toEqual({ query, status: 400 });
    }
  });
});

describe('offeredRelease, for the check-in answer', () => {
  it('names the version an agent would get, or null', async () => {
    const { createReleasesModule } = await import('./index.ts');
    const warnings: string[] = [];
    const releases = createReleasesModule({ config: ta.config, logger: { warn: (message: string) => warnings.push(message) } });
    expect(await releases.service.offeredRelease('0.1.0', 'node')).toEqual({ version: '0.2.0' });
    expect(await releases.service.offeredRelease('0.3.0', 'node')).toBeNull();
    expect(await releases.service.offeredRelease('1.0.0-rc.1', 'node')).toBeNull();
    expect(await releases.service.offeredRelease('not a version', 'node')).toBeNull();
    expect(await releases.service.offeredRelease('0.0.1', 'node')).toEqual({ version: '0.1.0' });
    // Misplaced or incomplete directories are reported, never offered.
    expect(warnings.sort()).toEqual([
      'release node/5.0.0 skipped: manifest.json is for node/0.2.0',
      expect.stringMatching(/^release node\/6\.0\.0 skipped: ENOENT/),
    ]);
  });
});

describe('GET /downloads/agent/...', () => {
  it('serves a published file with its length, a long cache, and no credentials needed', async () => {
    const response = await get('/downloads/agent/node/0.2.0/vigil-agent.mjs');
    expect(response.statusCode).toBe(200);
    expect(response.rawPayload.equals(bundle020)).toBe(true);
    expect(response.headers['content-length']).toBe(String(bundle020.length));
    expect(response.headers['content-type']).toBe('application/octet-stream');
    expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const manifest = await get('/downloads/agent/node/0.2.0/manifest.json');
    expect(versionOf(manifest.body)).toBe('0.2.0');
    expect(manifest.headers['cache-control']).toBe('no-cache');
    expect(manifest.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('serves the latest manifest for installs and mirrors', async () => {
    const response = await get('/downloads/agent/latest/manifest.json');
    expect(response.statusCode).toBe(200);
    expect(versionOf(response.body)).toBe('0.3.0');
    expect(response.headers['cache-control']).toBe('no-cache');
    expect((await get('/downloads/agent/latest/manifest.json?platform=linux-arm64')).statusCode).toBe(404);
    expect((await get('/downloads/agent/latest/manifest.json?platform=../x')).statusCode).toBe(400);
  });

  it.each([
    ['/downloads/agent/node/../secret.txt', [400, 404]],
    ['/downloads/agent/node/0.2.0/..', [400, 404]],
    ['/downloads/agent/node/%2e%2e/0.2.0/manifest.json', [400, 404]],
    ['/downloads/agent/node/0.2.0/%2e%2e%2f%2e%2e%2fsecret.txt', [400]],
    ['/downloads/agent/node/..%2f..%2f/secret.txt', [400]],
    ['/downloads/agent/%2e%2e/%2e%2e/secret.txt', [400, 404]],
    ['/downloads/agent/node/0.2.0//etc/passwd', [400, 404]],
    ['/downloads/agent/node/0.2.0/%2fetc%2fpasswd', [400]],
    ['/downloads/agent/node/0.2.0/vigil-agent.mjs%00.txt', [400]],
    ['/downloads/agent/node/0.2.0/secret.txt', [400]],
    ['/downloads/agent/node/0.2.0/vigil-agent', [404]],
    ['/downloads/agent/node/6.0.0/vigil-agent.mjs', [404]],
    ['/downloads/agent/node/7.0.0/vigil-agent.mjs', [404]],
    ['/downloads/agent/windows/0.2.0/vigil-agent.mjs', [400]],
    [`/downloads/agent/node/${'9'.repeat(150)}.0.0/vigil-agent.mjs`, [400, 414]],
  ])('refuses %s', async (url, statuses) => {
    const response = await get(url);
    expect(statuses).toContain(response.statusCode);
    expect(response.body).not.toMatch(/root:|not for download/);
  });
});

describe('GET /install.sh', () => {
  it('is a shell script naming the configured public URL, whatever Host and X-Forwarded-Host say', async () => {
    const response = await get('/install.sh', undefined, { host: 'evil.example', 'x-forwarded-host': 'evil.example' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/x-shellscript; charset=utf-8');
    expect(response.body).toMatch(/^#!\/bin\/sh\n/);
    expect(response.body).toContain("SERVER_URL='https://vigil.example'\n");
    expect(response.body).not.toContain('evil.example');
    expect(response.body).not.toContain('@@VIGIL_SERVER_URL@@');
  });
});

describe('an unreadable releases directory', () => {
  it('offers nothing at check-in rather than failing it, and says why', async () => {
    const { createReleasesModule } = await import('./index.ts');
    const broken = await releasesDir();
    // A symlink loop where the platform directory should be: listing it fails (ELOOP), even as root.
    await symlink(path.join(broken, 'node'), path.join(broken, 'node'));
    const warnings: string[] = [];
    const releases = createReleasesModule({
      config: { ...ta.config, releases: { dir: broken } },
      logger: { warn: (m: string) => warnings.push(m) },
    });
    expect(await releases.service.offeredRelease('0.1.0')).toBeNull();
    expect(warnings).toEqual([expect.stringMatching(/^agent releases unreadable: ELOOP/)]);
    await rm(broken, { recursive: true, force: true });
  });
});
