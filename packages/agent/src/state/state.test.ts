import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EMPTY_STATE, loadState, saveState } from './agent-state.ts';
import { writeFileAtomic } from './files.ts';
import { agentPaths } from './paths.ts';
import { acquireRunLock, RunLockedError } from './run-lock.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-agent-state-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('writeFileAtomic', () => {
  it('writes 0600 and replaces the file whole, leaving no temp file behind', async () => {
    const path = join(dir, 'token');
    await writeFile(path, 'old', { mode: 0o644 });
    await writeFileAtomic(path, 'new');
    expect(await readFile(path, 'utf8')).toBe('new');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['token']);
  });
});

describe('agent state', () => {
  const paths = () => agentPaths({ configDir: join(dir, 'etc'), stateDir: dir });

  it('round-trips, and starts empty when there is none', async () => {
    expect(await loadState(paths())).toEqual(EMPTY_STATE);
    const state = { ...EMPTY_STATE, lastInventory: { at: new Date().toISOString(), digest: 'a'.repeat(64), packages: 3 } };
    await saveState(paths(), state);
    expect(await loadState(paths())).toEqual(state);
  });

  it.each([
    ['cut short', '{"lastCheckIn": {"at": "2026-'],
    ['not an object', '[]'],
    ['a wrong field', JSON.stringify({ lastInventory: { at: 'yesterday', digest: 'x', packages: -1 } })],
    ['binary junk', '\u0000\u0001\u0002'],
  ])('reports a corrupt state file (%s) and starts empty instead of failing', async (_case, content) => {
    await writeFile(paths().state, content);
    const problems: string[] = [];
    expect(await loadState(paths(), (problem) => problems.push(problem))).toEqual(EMPTY_STATE);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(paths().state);
  });
});

describe('run lock', () => {
  it('lets one holder in at a time, and is free again once released', async () => {
    const pidFile = join(dir, 'run.pid');
    const lock = await acquireRunLock(pidFile, dir);
    // The test process is alive, so another holder claiming its pid is refused.
    await expect(acquireRunLock(pidFile, dir, process.pid + 1_000_000)).rejects.toThrow(RunLockedError);
    await lock.release();
    const again = await acquireRunLock(pidFile, dir);
    await again.release();
  });

  it('takes over a pid file left by a process that died, or holding junk', async () => {
    const pidFile = join(dir, 'run.pid');
    await writeFile(pidFile, '2147483646\n'); // no such process
    const lock = await acquireRunLock(pidFile, dir);
    expect((await readFile(pidFile, 'utf8')).trim()).toBe(String(process.pid));
    await lock.release();
    await writeFile(pidFile, 'garbage');
    await (await acquireRunLock(pidFile, dir)).release();
  });
});
