import { execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, lstatSync, openSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readWordPressRoot } from './wordpress.ts';

/**
 * A web-root user's loop renaming, over `file`, a regular copy of `regular` and then a fresh FIFO
 * or a symlink to `symlinkTo`. `stop()` ends it and frees a reader left blocked on the FIFO.
 */
const running = new Set<{ stop(): void }>();
// A test that hangs (the bug back) never reaches its finally: stop the swapper loop here too.
afterEach(() => {
  for (const swapper of running) swapper.stop();
});

function startSwapper(file: string, regular: string, symlinkTo?: string): { stop(): void } {
  const q = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;
  const make = symlinkTo ? `ln -s ${q(symlinkTo)} ${q(`${file}.alt`)}` : `mkfifo ${q(`${file}.alt`)}`;
  const loop = `while :; do cp ${q(regular)} ${q(`${file}.reg`)}; mv -f ${q(`${file}.reg`)} ${q(file)}; rm -f ${q(`${file}.alt`)}; ${make}; mv -f ${q(`${file}.alt`)} ${q(file)}; done`;
  const child = spawn('sh', ['-c', loop], { stdio: 'ignore' });
  const swapper = {
    stop() {
      running.delete(swapper);
      child.kill('SIGKILL');
      for (let i = 0; i < 5; i++) {
        try {
          if (!lstatSync(file).isFIFO()) break;
          closeSync(openSync(file, constants.O_WRONLY | constants.O_NONBLOCK));
        } catch {
          break;
        }
      }
      rmSync(file, { force: true });
    },
  };
  running.add(swapper);
  return swapper;
}

async function site(): Promise<{ root: string; main: string; regular: string }> {
  const root = await mkdtemp(join(tmpdir(), 'vigil-wp-swap-'));
  await mkdir(join(root, 'wp-includes'), { recursive: true });
  await mkdir(join(root, 'wp-content/plugins/evil'), { recursive: true });
  await writeFile(join(root, 'wp-includes/version.php'), "<?php $wp_version = '6.4.2';\n");
  const regular = join(root, 'plugin.txt');
  await writeFile(regular, '<?php /* Plugin Name: Evil\n Version: 1.0 */');
  return { root, main: join(root, 'wp-content/plugins/evil/evil.php'), regular };
}

// Regression: the reader checked a plugin file's type by name, then opened it by name; a web-root
// user who swapped in a FIFO between the two blocked the root agent forever (within ~30 runs), one
// who swapped in a symlink made it read a file outside the site.
describe('a plugin file swapped between the check and the open', () => {
  it('a FIFO is skipped, never waited on', { timeout: 30_000 }, async () => {
    const { root, main, regular } = await site();
    execFileSync('mkfifo', [join(root, 'wp-content/plugins/static-fifo.php')]);
    const swapper = startSwapper(main, regular);
    try {
      for (let i = 0; i < 300; i++) {
        const read = await readWordPressRoot(root);
        expect(read?.packages.find((p) => p.name === 'wordpress')?.version).toBe('6.4.2');
      }
    } finally {
      swapper.stop();
    }
  });

  it('a symlink to a file outside the site is never followed', { timeout: 30_000 }, async () => {
    const { root, main, regular } = await site();
    const outside = await mkdtemp(join(tmpdir(), 'vigil-wp-outside-'));
    await writeFile(join(outside, 'secret.php'), '<?php /* Plugin Name: Secret\n Version: 6.6.6-secret */');
    const swapper = startSwapper(main, regular, join(outside, 'secret.php'));
    const versions = new Set<string>();
    try {
      for (let i = 0; i < 300; i++) for (const p of (await readWordPressRoot(root))?.packages ?? []) versions.add(p.version);
    } finally {
      swapper.stop();
    }
    expect(versions.has('6.6.6-secret')).toBe(false);
    expect(versions.has('1.0')).toBe(true);
  });
});
