import { generateKeyPairSync } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { AGENT_PATHS, inventoryDigest, trustedKeyOf } from '@vigil/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ACTION_KEY,
  ACTION_SIGNER,
  AGENT_TOKEN,
  ENROLL_TOKEN,
  type FakeVigilServer,
  sendJson,
  sendProblem,
  signedKeySet,
  startFakeVigilServer,
} from '../client/fake-vigil-server.testkit.ts';
import { collectFromPackagesFile } from '../client/inventory.testkit.ts';
import type { HookContext } from '../run/hooks.ts';
import { type AgentSandbox, createAgentSandbox } from './cli.testkit.ts';
import { EXIT } from './exit-codes.ts';

let server: FakeVigilServer;
let sandbox: AgentSandbox;
beforeEach(async () => {
  server = await startFakeVigilServer();
  sandbox = await createAgentSandbox();
  await install({ openssl: '3.0.11-1~deb12u1', bash: '5.2.15-2' });
  expect((await sandbox.cli(['enroll', '--server', server.url, '--token', ENROLL_TOKEN])).code).toBe(EXIT.OK);
  server.requests.length = 0;
});
afterEach(async () => {
  await server.close();
  await sandbox.cleanup();
});

const install = (packages: Record<string, string>) => writeFile(join(sandbox.root, 'packages.json'), JSON.stringify(packages));
const runOnce = (options: Parameters<AgentSandbox['cli']>[1] = {}) =>
  sandbox.cli(['run', '--once', '--root', sandbox.root], { collect: collectFromPackagesFile, ...options });
const paths = () => server.requests.map((request) => request.path);
const readState = async () => JSON.parse(await readFile(join(sandbox.stateDir, 'state.json'), 'utf8'));

describe('vigil-agent run --once', () => {
  it('sends the inventory the first time, not again when unchanged, and again when it changed', async () => {
    const first = await runOnce();
    expect(first.code).toBe(EXIT.OK);
    expect(paths()).toEqual([AGENT_PATHS.checkIn, AGENT_PATHS.inventory]);
    const [checkIn, upload] = server.requests;
    const sent = JSON.parse(gunzipSync(upload?.raw ?? Buffer.alloc(0)).toString('utf8'));
    expect(upload?.headers['content-encoding']).toBe('gzip');
    expect(sent.packages.map((p: { name: string }) => p.name).sort()).toEqual(['bash', 'openssl']);
    expect((checkIn?.json as { inventoryDigest?: string } | undefined)?.inventoryDigest).toBe(inventoryDigest(sent));
    expect(first.stderr).toContain('inventory sent (first inventory): 2 packages');

    server.requests.length = 0;
    expect((await runOnce()).code).toBe(EXIT.OK);
    expect(paths()).toEqual([AGENT_PATHS.checkIn]);

    await install({ openssl: '3.0.11-1~deb12u2', bash: '5.2.15-2' });
    server.requests.length = 0;
    expect((await runOnce()).code).toBe(EXIT.OK);
    expect(paths()).toEqual([AGENT_PATHS.checkIn, AGENT_PATHS.inventory]);
    expect((await readState()).lastInventory).toMatchObject({ packages: 2, digest: inventoryDigest(collectedFrom(server)) });
  });

  it('sends an unchanged inventory when the server asks for it, or when the last one is a day old', async () => {
    await runOnce();
    server.checkIn = { ...server.checkIn, inventoryWanted: true };
    server.requests.length = 0;
    await runOnce();
    expect(paths()).toEqual([AGENT_PATHS.checkIn, AGENT_PATHS.inventory]);

    server.checkIn = { ...server.checkIn, inventoryWanted: false };
    const state = await readState();
    state.lastInventory.at = new Date(Date.now() - 25 * 3600_000).toISOString();
    await writeFile(join(sandbox.stateDir, 'state.json'), JSON.stringify(state));
    server.requests.length = 0;
    const result = await runOnce();
    expect(paths()).toEqual([AGENT_PATHS.checkIn, AGENT_PATHS.inventory]);
    expect(result.stderr).toContain('daily refresh');
  });

  it('stops for good on 401 with one clear line and a distinct exit code, without retrying', async () => {
    await writeFile(join(sandbox.configDir, 'token'), `vgl_agent_${'r'.repeat(40)}\n`);
    // Not --once: a loop that retried would make a second request.
    const result = await sandbox.cli(['run', '--root', sandbox.root], { collect: collectFromPackagesFile });
    expect(result.code).toBe(EXIT.TOKEN_REFUSED);
    expect(server.requests).toHaveLength(1);
    expect(result.stderr).toContain("the server refused this agent's token (revoked or rotated): re-enroll with `vigil-agent enroll`");
    expect((await readState()).lastError.message).toMatch(/refused this agent's token/);
  });

  it('fails the cycle on an answer that does not match the protocol, and sends nothing on it', async () => {
    server.handle(AGENT_PATHS.checkIn, (_request, response) => sendJson(response, 200, { inventoryWanted: true }));
    const result = await runOnce();
    expect(result.code).toBe(EXIT.FAILED);
    expect(result.stderr).toMatch(/does not match the protocol/);
    expect(paths()).toEqual([AGENT_PATHS.checkIn]);
  });

  it('logs a refused request with its title and detail, and records it for status', async () => {
    server.handle(AGENT_PATHS.checkIn, (_request, response) => sendProblem(response, 409, 'Conflict', 'this server was archived'));
    const result = await runOnce();
    expect(result.code).toBe(EXIT.FAILED);
    expect(result.stderr).toContain('the server answered 409 Conflict: this server was archived; trying again at the next check-in');
    const status = await sandbox.cli(['status']);
    expect(status.stdout).toContain('this server was archived');
    // The next good cycle clears it.
    server.handle(AGENT_PATHS.checkIn, (_request, response) => sendJson(response, 200, server.checkIn));
    expect((await runOnce()).code).toBe(EXIT.OK);
    expect((await readState()).lastError).toBeNull();
  });

  it('tolerates a corrupt state file: reports it, sends the inventory again, and replaces the file', async () => {
    await runOnce();
    await writeFile(join(sandbox.stateDir, 'state.json'), '{"lastInventory": {"digest": tru');
    server.requests.length = 0;
    const result = await runOnce();
    expect(result.code).toBe(EXIT.OK);
    expect(result.stderr).toMatch(/state\.json is not valid JSON; starting from an empty state/);
    expect(paths()).toEqual([AGENT_PATHS.checkIn, AGENT_PATHS.inventory]);
    expect((await readState()).lastInventory.packages).toBe(2);
  });

  it('hands pending actions to the actions runner, and adopts action keys rotated by a set the pinned key signed', async () => {
    const next = generateKeyPairSync('ed25519');
    const rotated = [trustedKeyOf('action-2', next.publicKey), ACTION_KEY];
    const signers = [{ kid: 'action-2', privateKey: next.privateKey }, ACTION_SIGNER];
    server.checkIn = { ...server.checkIn, actionsPending: 2, actionKeySet: signedKeySet(server.assetId, rotated, { signers }) };
    const calls: HookContext[] = [];
    const result = await runOnce({ hooks: { runActions: async (ctx) => void calls.push(ctx) } });
    expect(result.code).toBe(EXIT.OK);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.assetId).toBe(server.assetId);
    expect(calls[0]?.actionKeys).toEqual(rotated);
    const config = JSON.parse(await readFile(join(sandbox.configDir, 'agent.json'), 'utf8'));
    expect(config.actionKeys).toEqual(rotated);
  });

  it('refuses to start a second run loop while one holds the lock', async () => {
    await writeFile(join(sandbox.stateDir, 'run.pid'), `${process.ppid}\n`);
    const result = await runOnce();
    expect(result.code).toBe(EXIT.ALREADY_RUNNING);
    expect(result.stderr).toContain(`already running (pid ${process.ppid})`);
    expect(server.requests).toHaveLength(0);
  });

  it('stops cleanly between steps when signalled', async () => {
    const controller = new AbortController();
    server.handle(AGENT_PATHS.checkIn, (_request, response) => {
      controller.abort();
      sendJson(response, 200, { ...server.checkIn, inventoryWanted: true });
    });
    const result = await sandbox.cli(['run', '--root', sandbox.root], { collect: collectFromPackagesFile, signal: controller.signal });
    expect(result.code).toBe(EXIT.OK);
    expect(paths()).toEqual([AGENT_PATHS.checkIn]);
    expect(result.stderr).toContain('stopping');
  });

  it('refuses a token file that holds something else, without echoing it', async () => {
    await writeFile(join(sandbox.configDir, 'token'), 'hunter2 is my password\n');
    const result = await runOnce();
    expect(result.code).toBe(EXIT.FAILED);
    expect(result.stderr).toMatch(/does not hold an agent token; re-enroll/);
    expect(result.stderr).not.toContain('hunter2');
    expect(server.requests).toHaveLength(0);
  });

  it('says so when it is not enrolled', async () => {
    await writeFile(join(sandbox.configDir, 'agent.json'), 'nope');
    const result = await runOnce();
    expect(result.code).toBe(EXIT.FAILED);
    expect(result.stderr).toMatch(/agent\.json is not valid JSON; re-enroll/);
    expect(result.stderr).not.toContain(AGENT_TOKEN);
  });
});

function collectedFrom(fake: FakeVigilServer) {
  const upload = fake.requests.find((request) => request.path === AGENT_PATHS.inventory);
  return JSON.parse(gunzipSync(upload?.raw ?? Buffer.alloc(0)).toString('utf8'));
}
