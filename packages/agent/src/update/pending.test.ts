import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkAndApplyUpdate, type UpdateDeps } from './check-and-apply.ts';
import {
  CONFIRM_WITHIN_MS,
  enforceUpdateDeadline,
  MAX_UNCONFIRMED_STARTS,
  markUpdateHealthy,
  readFailedVersions,
  readPendingUpdate,
  startupUpdateGuard,
  WRAPPER_ROLLBACK_FILE,
  WRAPPER_STARTS_FILE,
} from './pending.ts';
import { installedAgent, manifestFor, recordingLog, releaseKey, sign } from './update.test-kit.ts';

const NEW_BUNDLE = Buffer.from('// vigil-agent 0.2.0\n');
const key = releaseKey();
const release = sign(manifestFor(NEW_BUNDLE), key);

let agent: Awaited<ReturnType<typeof installedAgent>>;
let appliedAt: Date;
beforeEach(async () => {
  agent = await installedAgent();
  appliedAt = new Date();
  const result = await checkAndApplyUpdate(deps());
  expect(result).toEqual({ status: 'updated', version: '0.2.0' });
});
afterEach(() => agent.cleanup());

function deps(): UpdateDeps {
  return {
    fetchRelease: async () => release,
    download: async () => NEW_BUNDLE,
    currentVersion: '0.1.0',
    selfPath: agent.selfPath,
    platform: 'node',
    trustedKeys: [key.trusted],
    stateDir: agent.stateDir,
    now: () => appliedAt,
    log: recordingLog(),
  };
}

const soon = () => new Date(appliedAt.getTime() + 60_000);
const running = async () => readFile(agent.selfPath);

describe('rollback of an update that does not check in', () => {
  it(`restores the previous file after ${MAX_UNCONFIRMED_STARTS} unconfirmed starts and never retries that version`, async () => {
    for (let start = 1; start <= MAX_UNCONFIRMED_STARTS; start++) {
      expect(await startupUpdateGuard(agent.stateDir, agent.selfPath, { now: soon })).toMatchObject({ action: 'pending', starts: start });
      expect((await running()).equals(NEW_BUNDLE)).toBe(true);
    }
    const result = await startupUpdateGuard(agent.stateDir, agent.selfPath, { now: soon });
    expect(result).toMatchObject({ action: 'rolled-back', fromVersion: '0.2.0', toVersion: '0.1.0' });
    expect((await running()).equals(agent.content)).toBe(true);
    expect(await readPendingUpdate(agent.stateDir)).toBeNull();
    expect(await readFailedVersions(agent.stateDir)).toEqual(['0.2.0']);
    // The old version starts again, is offered 0.2.0 again, and refuses it.
    const again = await checkAndApplyUpdate(deps());
    expect(again).toMatchObject({ status: 'refused', reason: expect.stringMatching(/failed to check in before/) });
    expect((await running()).equals(agent.content)).toBe(true);
  });

  it('restores the previous file at the first start past the deadline', async () => {
    const late = () => new Date(appliedAt.getTime() + CONFIRM_WITHIN_MS + 1);
    const result = await startupUpdateGuard(agent.stateDir, agent.selfPath, { now: late });
    expect(result).toMatchObject({ action: 'rolled-back', reason: expect.stringMatching(/did not check in before/) });
    expect((await running()).equals(agent.content)).toBe(true);
  });

  it('restores the previous file when the deadline passes while running', async () => {
    const guard = await startupUpdateGuard(agent.stateDir, agent.selfPath, { now: soon });
    expect(guard.action).toBe('pending');
    const deadline = guard.action === 'pending' ? guard.deadline : new Date(0);
    expect(deadline.getTime()).toBe(appliedAt.getTime() + CONFIRM_WITHIN_MS);
    expect(await enforceUpdateDeadline(agent.stateDir, agent.selfPath, { now: soon })).toMatchObject({ action: 'pending' });
    expect(await enforceUpdateDeadline(agent.stateDir, agent.selfPath, { now: () => deadline })).toMatchObject({ action: 'rolled-back' });
    expect((await running()).equals(agent.content)).toBe(true);
  });

  it('keeps the new file once a check-in confirmed it', async () => {
    await startupUpdateGuard(agent.stateDir, agent.selfPath, { now: soon });
    expect(await markUpdateHealthy(agent.stateDir)).toBe('0.2.0');
    expect(await markUpdateHealthy(agent.stateDir)).toBeNull();
    for (let start = 0; start < MAX_UNCONFIRMED_STARTS + 2; start++) {
      expect(await startupUpdateGuard(agent.stateDir, agent.selfPath, { now: () => new Date(Date.now() + 86_400_000) })).toEqual({
        action: 'none',
      });
    }
    expect((await running()).equals(NEW_BUNDLE)).toBe(true);
  });

  it('voids the marker when the installed file is not the update (a crash before the swap, a manual install)', async () => {
    const manual = Buffer.from('// installed by hand\n');
    await writeFile(agent.selfPath, manual);
    const result = await startupUpdateGuard(agent.stateDir, agent.selfPath, { now: () => new Date(Date.now() + 86_400_000) });
    expect(result).toMatchObject({ action: 'none', note: expect.stringMatching(/void/) });
    expect((await running()).equals(manual)).toBe(true);
    expect(await readPendingUpdate(agent.stateDir)).toBeNull();
  });

  it('keeps running the new file when the previous one is gone, and does not retry the version', async () => {
    await rm(`${agent.selfPath}.previous`);
    const late = () => new Date(appliedAt.getTime() + CONFIRM_WITHIN_MS + 1);
    const result = await startupUpdateGuard(agent.stateDir, agent.selfPath, { now: late });
    expect(result).toMatchObject({ action: 'none', note: expect.stringMatching(/no previous file/) });
    expect((await running()).equals(NEW_BUNDLE)).toBe(true);
    expect(await readFailedVersions(agent.stateDir)).toEqual(['0.2.0']);
  });

  it('records the version as failed when the service wrapper restored the previous file (the new one could not start)', async () => {
    // What /usr/local/bin/vigil-agent does after 3 starts that never reached this guard.
    await writeFile(agent.selfPath, await readFile(`${agent.selfPath}.previous`));
    await writeFile(path.join(agent.stateDir, WRAPPER_ROLLBACK_FILE), '');
    await writeFile(path.join(agent.stateDir, WRAPPER_STARTS_FILE), '2\n');
    const result = await startupUpdateGuard(agent.stateDir, agent.selfPath, { now: soon });
    expect(result).toEqual({ action: 'none', note: '0.2.0 did not start; the service wrapper restored the previous file' });
    expect(await readFailedVersions(agent.stateDir)).toEqual(['0.2.0']);
    expect(await readPendingUpdate(agent.stateDir)).toBeNull();
    expect((await readdir(agent.stateDir)).sort()).toEqual(['update-failed.json']);
    expect(await checkAndApplyUpdate(deps())).toMatchObject({ status: 'refused' });
  });

  it('resets the wrapper’s start count whenever the agent reaches its guard (the file loads)', async () => {
    await writeFile(path.join(agent.stateDir, WRAPPER_STARTS_FILE), '2\n');
    expect(await startupUpdateGuard(agent.stateDir, agent.selfPath, { now: soon })).toMatchObject({ action: 'pending', starts: 1 });
    expect((await readdir(agent.stateDir)).sort()).toEqual(['update-pending.json']);
  });

  it('treats a corrupt marker as none and a corrupt failed list as empty', async () => {
    await writeFile(path.join(agent.stateDir, 'update-pending.json'), '{"schema":');
    await writeFile(path.join(agent.stateDir, 'update-failed.json'), '[[[');
    expect(await startupUpdateGuard(agent.stateDir, agent.selfPath)).toEqual({ action: 'none' });
    expect(await readFailedVersions(agent.stateDir)).toEqual([]);
    expect((await running()).equals(NEW_BUNDLE)).toBe(true);
  });
});
