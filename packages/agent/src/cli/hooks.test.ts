import { createHash, generateKeyPairSync } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AGENT_PATHS, RELEASE_SCHEMA, sealEnvelope } from '@vigil/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ENROLL_TOKEN, type FakeVigilServer, sendJson, startFakeVigilServer } from '../client/fake-vigil-server.testkit.ts';
import { collectFromPackagesFile } from '../client/inventory.testkit.ts';
import { AGENT_VERSION } from '../run/agent-version.ts';
import { RESTART_EXIT_CODE } from '../update/index.ts';
import { type AgentSandbox, createAgentSandbox } from './cli.testkit.ts';
import { EXIT } from './exit-codes.ts';
import { defaultHooks } from './hooks.ts';
import { selfImage } from './self-image.ts';

let server: FakeVigilServer;
let sandbox: AgentSandbox;
beforeEach(async () => {
  server = await startFakeVigilServer();
  sandbox = await createAgentSandbox();
  await writeFile(join(sandbox.root, 'packages.json'), JSON.stringify({ openssl: '3.0.11-1~deb12u1' }));
  expect((await sandbox.cli(['enroll', '--server', server.url, '--token', ENROLL_TOKEN])).code).toBe(EXIT.OK);
  server.requests.length = 0;
});
afterEach(async () => {
  await server.close();
  await sandbox.cleanup();
});

const runOnce = (hooks: Awaited<ReturnType<typeof defaultHooks>>) =>
  sandbox.cli(['run', '--once', '--root', sandbox.root], { collect: collectFromPackagesFile, hooks });

describe('the run loop hooks', () => {
  it('never self-updates when running from the sources', async () => {
    expect(selfImage()).toBeNull();
    const hooks = await defaultHooks();
    expect(Object.keys(hooks)).toEqual(['runActions']);
  });

  it('hands pending actions to the actions runner, which fetches them', async () => {
    server.checkIn = { ...server.checkIn, actionsPending: 1 };
    server.handle(AGENT_PATHS.actions, (_request, response) => sendJson(response, 200, { actions: [] }));
    const result = await runOnce(await defaultHooks());
    expect(result.code, result.stderr).toBe(EXIT.OK);
    expect(server.requests.map((request) => request.path)).toContain(AGENT_PATHS.actions);
  });

  it('refuses an offered release not signed by a pinned key, keeping its own file', async () => {
    const self = join(sandbox.base, 'vigil-agent.mjs');
    await writeFile(self, '// the running agent\n');
    const { privateKey } = generateKeyPairSync('ed25519');
    const file = Buffer.from('// a release\n');
    const manifest = {
      schema: RELEASE_SCHEMA,
      version: '9.0.0',
      platform: 'node',
      sha256: createHash('sha256').update(file).digest('hex'),
      size: file.length,
      minimumVersion: '0.0.1',
      expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
      url: '/downloads/vigil-agent.mjs',
    };
    server.checkIn = { ...server.checkIn, update: { version: '9.0.0' } };
    server.handle(AGENT_PATHS.releaseManifest, (_request, response) =>
      sendJson(response, 200, sealEnvelope(manifest, 'stranger', privateKey)),
    );
    server.handle('/downloads/vigil-agent.mjs', (_request, response) => response.end(file));

    const result = await runOnce(await defaultHooks({ path: self, platform: 'node' }));
    expect(result.code, result.stderr).toBe(EXIT.OK);
    expect(result.stderr).toMatch(/update refused/);
    expect(await readFile(self, 'utf8')).toBe('// the running agent\n');
    const asked = server.requests.find((request) => request.path === AGENT_PATHS.releaseManifest);
    expect(new URLSearchParams(asked?.query)).toEqual(new URLSearchParams({ platform: 'node', current: AGENT_VERSION }));
    expect(server.requests.some((request) => request.path === '/downloads/vigil-agent.mjs')).toBe(false);
  });

  it('asks for the release of its own platform when it runs as a single executable, keeping the binary', async () => {
    const executable = join(sandbox.base, 'vigil-agent');
    await writeFile(executable, 'the running executable\n', { mode: 0o755 });
    server.checkIn = { ...server.checkIn, update: { version: '9.0.0' } };
    server.handle(AGENT_PATHS.releaseManifest, (_request, response) => sendJson(response, 404, { title: 'no release' }));

    const result = await runOnce(await defaultHooks({ path: executable, platform: 'linux-arm64' }));
    expect(result.code, result.stderr).toBe(EXIT.OK);
    const asked = server.requests.find((request) => request.path === AGENT_PATHS.releaseManifest);
    expect(new URLSearchParams(asked?.query).get('platform')).toBe('linux-arm64');
    // The check-in tells the server too, so it offers this platform's releases.
    const checkIn = server.requests.find((request) => request.path === AGENT_PATHS.checkIn);
    expect(checkIn?.json).toMatchObject({ platform: 'linux-arm64' });
    expect(await readFile(executable, 'utf8')).toBe('the running executable\n');
  });

  it('exits with the restart code when an update replaced the agent', async () => {
    expect(EXIT.RESTART).toBe(RESTART_EXIT_CODE);
    server.checkIn = { ...server.checkIn, update: { version: '9.0.0' } };
    const result = await runOnce({ offerUpdate: async () => 'restart' });
    expect(result.code).toBe(EXIT.RESTART);
  });

  it('ends before checking in when the start hook rolled an update back', async () => {
    const result = await runOnce({ start: async () => 'restart' });
    expect(result.code).toBe(EXIT.RESTART);
    expect(server.requests).toHaveLength(0);
  });
});
