import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AGENT_PATHS } from '@vigil/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ACTION_KEY,
  AGENT_TOKEN,
  ENROLL_TOKEN,
  type FakeVigilServer,
  sendJson,
  startFakeVigilServer,
} from '../client/fake-vigil-server.testkit.ts';
import { type AgentSandbox, createAgentSandbox } from './cli.testkit.ts';
import { EXIT } from './exit-codes.ts';

let server: FakeVigilServer;
let sandbox: AgentSandbox;
beforeEach(async () => {
  server = await startFakeVigilServer();
  sandbox = await createAgentSandbox();
});
afterEach(async () => {
  await server.close();
  await sandbox.cleanup();
});

const enroll = (...extra: string[]) => sandbox.cli(['enroll', '--server', server.url, '--token', ENROLL_TOKEN, ...extra]);

describe('vigil-agent enroll', () => {
  it('stores the agent token 0600 and the config, in a 0700 directory, without printing either token', async () => {
    const result = await enroll('--name', 'web-1.example.com', '--web-root', '/srv/www', '--lockfile-path', '/opt/app');
    expect(result.code).toBe(EXIT.OK);
    expect(result.stdout).toContain(server.assetId);
    for (const output of [result.stdout, result.stderr]) {
      expect(output).not.toContain(AGENT_TOKEN);
      expect(output).not.toContain(ENROLL_TOKEN);
    }

    expect((await readFile(`${sandbox.configDir}/token`, 'utf8')).trim()).toBe(AGENT_TOKEN);
    expect((await stat(`${sandbox.configDir}/token`)).mode & 0o777).toBe(0o600);
    expect((await stat(sandbox.configDir)).mode & 0o777).toBe(0o700);
    const config = JSON.parse(await readFile(`${sandbox.configDir}/agent.json`, 'utf8'));
    expect(config).toMatchObject({
      server: `${server.url}/`,
      assetId: server.assetId,
      actionKeys: [ACTION_KEY],
      checkInSeconds: 300,
      webRoots: ['/srv/www'],
      lockfilePaths: ['/opt/app'],
    });
    expect(JSON.stringify(config)).not.toContain(AGENT_TOKEN);
    expect((await stat(`${sandbox.configDir}/agent.json`)).mode & 0o777).toBe(0o600);

    const sent = server.requests[0]?.json as Record<string, unknown>;
    expect(sent).toMatchObject({ token: ENROLL_TOKEN, hostname: 'web-1.example.com', agentVersion: expect.any(String) });
  });

  it('refuses a token the server does not accept with a clear error, writing nothing', async () => {
    const result = await sandbox.cli(['enroll', '--server', server.url, '--token', `vgl_enroll_${'z'.repeat(32)}`]);
    expect(result.code).toBe(EXIT.FAILED);
    expect(result.stderr).toMatch(/the server refused the enrollment token: it is unknown, expired or already used/);
    expect(result.stderr).not.toContain('z'.repeat(32));
    await expect(readdir(sandbox.configDir)).rejects.toThrow(/ENOENT/);
  });

  it('refuses a malformed token before contacting the server', async () => {
    for (const token of [
      'short',
      `vgl_live_${'a'.repeat(40)}`,
      `vgl_enroll_${'a'.repeat(30)}\n; rm -rf /`,
      `vgl_enroll_${'a'.repeat(300)}`,
    ]) {
      const result = await sandbox.cli(['enroll', '--server', server.url, '--token', token]);
      expect(result.code, token).toBe(EXIT.FAILED);
      expect(result.stderr).not.toContain(token);
    }
    expect(server.requests).toHaveLength(0);
  });

  it('refuses to replace an enrollment unless --force is given', async () => {
    expect((await enroll()).code).toBe(EXIT.OK);
    const again = await enroll();
    expect(again.code).toBe(EXIT.FAILED);
    expect(again.stderr).toContain(`already enrolled with ${server.url}/ as asset ${server.assetId}; pass --force`);
    expect(server.requests).toHaveLength(1);
    expect((await enroll('--force')).code).toBe(EXIT.OK);
  });

  it('refuses plain http to a non-loopback server unless --insecure-http is given', async () => {
    const result = await sandbox.cli(['enroll', '--server', 'http://vigil.example.com', '--token', ENROLL_TOKEN]);
    expect(result.code).toBe(EXIT.USAGE);
    expect(result.stderr).toMatch(/refusing plain http to vigil\.example\.com.*--insecure-http/);
  });

  it('writes nothing when the server answers with something that is not an enrollment', async () => {
    server.handle(AGENT_PATHS.enroll, (_request, response) => sendJson(response, 201, { assetId: 'x', agentToken: 'not-a-token' }));
    const result = await enroll();
    expect(result.code).toBe(EXIT.FAILED);
    expect(result.stderr).toMatch(/does not match the protocol/);
    await expect(readdir(sandbox.configDir)).rejects.toThrow(/ENOENT/);
  });

  it('checks it can write its directories before spending the one-time token', async () => {
    const blocker = join(sandbox.base, 'a-file');
    await writeFile(blocker, '');
    const result = await enroll('--config-dir', join(blocker, 'etc'));
    expect(result.code).toBe(EXIT.FAILED);
    expect(result.stderr).toContain(`cannot write ${join(blocker, 'etc')}; run enroll as root (the token was not used)`);
    expect(server.requests).toHaveLength(0);
  });

  it('asks for the missing arguments', async () => {
    expect((await sandbox.cli(['enroll', '--token', ENROLL_TOKEN])).stderr).toMatch(/--server URL is required/);
    expect((await sandbox.cli(['enroll', '--server', server.url])).code).toBe(EXIT.USAGE);
    expect((await sandbox.cli(['enroll', '--server', server.url, '--bogus'])).code).toBe(EXIT.USAGE);
  });
});
