import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ActionKey, trustedKeyOf } from '@vigil/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentClient } from '../client/agent-client.ts';
import {
  ACTION_KEY,
  ACTION_SIGNER,
  AGENT_TOKEN,
  type FakeVigilServer,
  signedKeySet,
  startFakeVigilServer,
} from '../client/fake-vigil-server.testkit.ts';
import { makeInventory } from '../client/inventory.testkit.ts';
import { EMPTY_STATE } from '../state/agent-state.ts';
import { saveConfig } from '../state/enrollment.ts';
import { agentPaths } from '../state/paths.ts';
import { type CycleContext, runCycle } from './cycle.ts';

let server: FakeVigilServer;
let dir: string;
beforeEach(async () => {
  server = await startFakeVigilServer();
  dir = await mkdtemp(join(tmpdir(), 'vigil-agent-keys-'));
});
afterEach(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

function newKey(kid: string) {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { signer: { kid, privateKey }, trusted: trustedKeyOf(kid, publicKey) };
}

async function agent() {
  const lines: string[] = [];
  const ctx: CycleContext = {
    client: new AgentClient({ server: server.url, token: AGENT_TOKEN, agentVersion: '1.0.0', timeoutMs: 5_000 }),
    paths: agentPaths({ configDir: join(dir, 'etc'), stateDir: dir }),
    config: {
      server: server.url,
      insecureHttp: false,
      assetId: server.assetId,
      enrolledAt: new Date().toISOString(),
      actionKeys: [ACTION_KEY],
      checkInSeconds: 300,
    },
    state: { ...EMPTY_STATE },
    root: dir,
    collect: async () => makeInventory(),
    hooks: {},
    agentVersion: '1.0.0',
    log: { info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) },
    signal: new AbortController().signal,
    now: () => new Date(),
    uptimeSeconds: () => 1,
  };
  await mkdir(ctx.paths.configDir, { recursive: true });
  await saveConfig(ctx.paths, ctx.config);
  const saved = async (): Promise<{ actionKeys: ActionKey[]; actionKeysIssuedAt?: string }> =>
    JSON.parse(await readFile(ctx.paths.config, 'utf8'));
  return { ctx, lines, saved };
}

const attacker = newKey(ACTION_KEY.kid);
const next = newKey('action-2');

// Regression: the agent adopted whatever `actionKeys` a check-in answer carried, so anyone able to
// answer a check-in (a TLS-terminating proxy, a MITM under --insecure-http) could swap the keys
// and then serve actions "signed" with their own.
describe('action keys in a check-in answer', () => {
  it.each([
    [
      'signed by a key nobody pinned, under the pinned kid',
      () => signedKeySet(server.assetId, [attacker.trusted], { signers: [attacker.signer] }),
    ],
    ['signed only by a key id the agent does not know', () => signedKeySet(server.assetId, [next.trusted], { signers: [next.signer] })],
    [
      'with a signature copied from a genuine set onto other keys',
      () => {
        const genuine = signedKeySet(server.assetId);
        const forged = signedKeySet(server.assetId, [attacker.trusted], { signers: [attacker.signer] });
        return { payload: forged.payload, signatures: genuine.signatures };
      },
    ],
    [
      'genuinely signed, but for another server',
      () => signedKeySet(randomUUID(), [next.trusted, ACTION_KEY], { signers: [ACTION_SIGNER, next.signer] }),
    ],
  ])('ignores a key set %s, keeps the pinned key, and warns once', async (_, make) => {
    const { ctx, lines, saved } = await agent();
    server.checkIn = { ...server.checkIn, actionKeySet: make() };
    await runCycle(ctx);
    await runCycle(ctx);
    expect(ctx.config.actionKeys).toEqual([ACTION_KEY]);
    expect((await saved()).actionKeys).toEqual([ACTION_KEY]);
    expect(lines.filter((line) => line.startsWith('warn action-signing keys in the check-in answer ignored'))).toHaveLength(1);
  });

  it('adopts a rotation signed by the pinned key, stores when it was issued, and then trusts the new key alone', async () => {
    const { ctx, lines, saved } = await agent();
    const issuedAt = new Date(Date.now() - 60_000);
    server.checkIn = {
      ...server.checkIn,
      actionKeySet: signedKeySet(server.assetId, [next.trusted, ACTION_KEY], { signers: [next.signer, ACTION_SIGNER], issuedAt }),
    };
    await runCycle(ctx);
    expect(ctx.config.actionKeys).toEqual([next.trusted, ACTION_KEY]);
    expect(await saved()).toMatchObject({ actionKeys: [next.trusted, ACTION_KEY], actionKeysIssuedAt: issuedAt.toISOString() });
    expect(lines).toContain('info action-signing keys updated: action-2, action-1');

    // The old key retired: the new key alone signs the set that drops it.
    server.checkIn = { ...server.checkIn, actionKeySet: signedKeySet(server.assetId, [next.trusted], { signers: [next.signer] }) };
    await runCycle(ctx);
    expect((await saved()).actionKeys).toEqual([next.trusted]);
    // From now on the retired key vouches for nothing, even for a set that brings it back.
    server.checkIn = { ...server.checkIn, actionKeySet: signedKeySet(server.assetId, [ACTION_KEY], { signers: [ACTION_SIGNER] }) };
    await runCycle(ctx);
    expect((await saved()).actionKeys).toEqual([next.trusted]);
  });

  it('ignores a replayed older set, even one its keys signed', async () => {
    const { ctx, lines, saved } = await agent();
    const signers = [next.signer, ACTION_SIGNER];
    const older = signedKeySet(server.assetId, [next.trusted, ACTION_KEY], { signers, issuedAt: new Date(Date.now() - 3_600_000) });
    const newer = signedKeySet(server.assetId, [next.trusted], { signers, issuedAt: new Date(Date.now() - 60_000) });
    server.checkIn = { ...server.checkIn, actionKeySet: newer };
    await runCycle(ctx);
    expect((await saved()).actionKeys).toEqual([next.trusted]);
    server.checkIn = { ...server.checkIn, actionKeySet: older };
    await runCycle(ctx);
    expect((await saved()).actionKeys).toEqual([next.trusted]);
    expect(lines.some((line) => /ignored.*before the one held.*replay/.test(line))).toBe(true);
  });

  it('changes nothing, and writes nothing, for a genuine set with the keys it already holds', async () => {
    const { ctx, lines } = await agent();
    await runCycle(ctx);
    expect(ctx.config.actionKeys).toEqual([ACTION_KEY]);
    expect(ctx.config.actionKeysIssuedAt).toBeUndefined();
    expect(lines.filter((line) => line.startsWith('warn') || line.includes('keys updated'))).toEqual([]);
  });
});
