import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeRoot } from '../../test/fake-root.ts';
import { createCollectContext } from './index.ts';
import { lockfilesCollector } from './lockfiles.ts';
import { readRegular } from './read-regular.ts';
import { readSshdConfig } from './sshd-config.ts';
import { mkfifo, startSwapper, stopSwappers } from './swap.testkit.ts';

// A test that hangs (the bug back) never reaches its finally: stop the swapper loop here too.
afterEach(stopSwappers);

const temp = () => mkdtemp(join(tmpdir(), 'vigil-swap-'));
/** Enough runs to lose the check-then-open race many times over (the old readers hung within ~30). */
const RUNS = 200;

const lockfile = (name: string) =>
  JSON.stringify({ name: 'app', lockfileVersion: 3, packages: { '': { name: 'app' }, [`node_modules/${name}`]: { version: '1.0.0' } } });

describe('reading a file through its open handle', () => {
  it('skips a FIFO without waiting for a writer, and does not follow a symlink as the last component', async () => {
    const dir = await temp();
    mkfifo(join(dir, 'fifo'));
    await writeFile(join(dir, 'secret'), 'root-only');
    await symlink(join(dir, 'secret'), join(dir, 'link'));
    await writeFile(join(dir, 'plain'), 'hello');
    // Before the fix a plain open() of the FIFO never returned: this test would time out.
    expect(await readRegular(join(dir, 'fifo'), 1024)).toEqual({ kind: 'not-regular' });
    expect(await readRegular(join(dir, 'link'), 1024)).toEqual({ kind: 'not-regular' });
    expect(await readRegular(join(dir, 'plain'), 1024)).toEqual({ kind: 'text', text: 'hello' });
    expect(await readRegular(join(dir, 'plain'), 4)).toEqual({ kind: 'too-large', size: 5 });
    expect(await readRegular(dir, 1024)).toEqual({ kind: 'not-regular' });
  });

  // readRootText no longer checks the type by name first: the FIFO reaches the open itself, as a
  // swapped-in one would (sshd_config.d is root's, so no test races a user for it).
  it('skips an sshd_config include that is a FIFO, with a note, and reads the rest', async () => {
    const root = await writeRoot(await temp(), {
      'etc/ssh/sshd_config': 'Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin yes\n',
      'etc/ssh/sshd_config.d/20-ok.conf': 'PasswordAuthentication no\n',
    });
    mkfifo(join(root, 'etc/ssh/sshd_config.d/10-fifo.conf'));
    const config = await readSshdConfig(createCollectContext({ root }));
    expect(config?.global.get('permitrootlogin')?.value).toBe('yes');
    expect(config?.global.get('passwordauthentication')?.value).toBe('no');
    expect(config?.files).not.toContain('/etc/ssh/sshd_config.d/10-fifo.conf');
    expect(config?.notes).toContainEqual(expect.stringMatching(/10-fifo\.conf: not a regular file/));
  });
});

// Regression: the collectors checked a file's type by name and then opened it by name, so a user
// who can write the directory swapped in a FIFO (the root agent's open blocked forever) or a
// symlink (the agent read a file outside --root) between the two.
describe('a file swapped between the check and the open', () => {
  it('a lockfile swapped for a FIFO never blocks the collector', { timeout: 30_000 }, async () => {
    const root = await temp();
    await mkdir(join(root, 'srv/app'), { recursive: true });
    await writeFile(join(root, 'regular.json'), lockfile('left-pad'));
    const swapper = startSwapper(join(root, 'srv/app/package-lock.json'), join(root, 'regular.json'), { fifo: true });
    try {
      for (let i = 0; i < RUNS; i++) {
        const output = await lockfilesCollector.run(createCollectContext({ root, lockfilePaths: ['/srv'] }));
        expect(output.packages?.every((p) => p.name === 'left-pad')).toBe(true);
      }
    } finally {
      swapper.stop();
    }
  });

  it('a lockfile swapped for a symlink out of the root is never read', { timeout: 30_000 }, async () => {
    const root = await temp();
    const outside = await temp();
    await writeFile(join(outside, 'package-lock.json'), lockfile('secret-outside-root'));
    await mkdir(join(root, 'srv/app'), { recursive: true });
    await writeFile(join(root, 'regular.json'), lockfile('left-pad'));
    const swapper = startSwapper(join(root, 'srv/app/package-lock.json'), join(root, 'regular.json'), {
      symlinkTo: join(outside, 'package-lock.json'),
    });
    const seen = new Set<string>();
    try {
      for (let i = 0; i < RUNS; i++) {
        const output = await lockfilesCollector.run(createCollectContext({ root, lockfilePaths: ['/srv'] }));
        for (const p of output.packages ?? []) seen.add(p.name);
      }
    } finally {
      swapper.stop();
    }
    expect(seen.has('secret-outside-root')).toBe(false);
    // And the regular lockfile was read in between: the walk did run.
    expect(seen.has('left-pad')).toBe(true);
  });
});
