import { mkdtemp, realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeRoot } from '../../test/fake-root.ts';
import { createCollectContext } from './index.ts';
import { osCollector } from './os.ts';
import { findRpmDb, RPM_QUERY_FORMAT, rpmCollector } from './rpm.ts';
import { type RunCommand, runCommand } from './run-command.ts';

const temp = () => mkdtemp(join(tmpdir(), 'vigil-rpm-'));

// What `rpm -qa --queryformat RPM_QUERY_FORMAT` prints on a Rocky 8 machine (gpg-pubkey has no arch
// nor source RPM; bind-libs has epoch 32).
const ROCKY_QA = [
  'openssl-libs\t1:1.1.1k-9.el8_7\tx86_64\topenssl-1.1.1k-9.el8_7.src.rpm',
  'bind-libs\t32:9.11.36-8.el8\tx86_64\tbind-9.11.36-8.el8.src.rpm',
  'tzdata\t(none):2023c-1.el8\tnoarch\ttzdata-2023c-1.el8.src.rpm',
  'gpg-pubkey\t(none):6d745a60-60287f36\t(none)\t(none)',
  'rpm\t(none):4.14.3-26.el8\tx86_64\trpm-4.14.3-26.el8.src.rpm',
  '',
].join('\n');

async function rockyRoot(): Promise<string> {
  return writeRoot(await temp(), {
    'etc/os-release': 'ID="rocky"\nVERSION_ID="8.7"\n',
    'usr/lib/sysimage/rpm/rpmdb.sqlite': 'SQLite format 3\u0000',
    // As on Fedora and newer Rocky: the classic path is a link into /usr/lib/sysimage.
    'var/lib/rpm': { link: '../../usr/lib/sysimage/rpm' },
  });
}

describe('rpm collector', () => {
  it('runs rpm against the database under the root with the EPOCH/SOURCERPM query format, and parses it', async () => {
    const root = await rockyRoot();
    const calls: { file: string; args: readonly string[] }[] = [];
    const fake: RunCommand = async (file, args) => {
      calls.push({ file, args });
      return { stdout: ROCKY_QA, stderr: '', code: 0 };
    };
    const ctx = createCollectContext({ root, runCommand: fake });
    await osCollector.run(ctx);
    const { packages = [] } = await rpmCollector.run(ctx);
    // The link is resolved inside the root: rpm is handed the real directory, relative to --root.
    expect(calls).toEqual([
      {
        file: 'rpm',
        args: ['--root', await realpath(root), '--dbpath', '/usr/lib/sysimage/rpm', '-qa', '--queryformat', RPM_QUERY_FORMAT],
      },
    ]);
    expect(packages.find((p) => p.name === 'bind-libs')).toEqual({
      ecosystem: 'Rocky Linux',
      name: 'bind-libs',
      version: '32:9.11.36-8.el8',
      source: { name: 'bind', version: '32:9.11.36-8.el8' },
      arch: 'x86_64',
      epochKnown: true,
    });
    expect(packages.find((p) => p.name === 'gpg-pubkey')).toMatchObject({ version: '6d745a60-60287f36', epochKnown: true });
    expect(packages.find((p) => p.name === 'gpg-pubkey')?.arch).toBeUndefined();
    expect(ctx.host.arch).toBe('x86_64');
  });

  it('is skipped when there is no rpm database, and when rpm is not on PATH (a real ENOENT)', async () => {
    expect(await rpmCollector.run(createCollectContext({ root: await temp() }))).toMatchObject({ status: 'skipped' });
    const missingProgram: RunCommand = (_file, args, options) => runCommand('vigil-no-such-rpm-program', args, options);
    const output = await rpmCollector.run(createCollectContext({ root: await rockyRoot(), runCommand: missingProgram }));
    expect(output).toMatchObject({ status: 'skipped', message: expect.stringContaining('not on PATH') });
  });

  it('ignores an empty database directory (rpm installed on a Debian machine leaves one)', async () => {
    const root = await writeRoot(await temp(), { 'var/lib/rpm/.keep': '' });
    expect(await findRpmDb(root)).toBeNull();
  });

  it('fails on a non-zero exit and on output that is not a package list', async () => {
    const failing: RunCommand = async () => ({ stdout: '', stderr: 'error: cannot open Packages database\n', code: 1 });
    await expect(rpmCollector.run(createCollectContext({ root: await rockyRoot(), runCommand: failing }))).rejects.toThrow(
      /exited with 1: error: cannot open/,
    );
    const garbage: RunCommand = async () => ({ stdout: 'a\tb\nc\td\n\u0000\u0001', stderr: '', code: 0 });
    await expect(rpmCollector.run(createCollectContext({ root: await rockyRoot(), runCommand: garbage }))).rejects.toThrow();
  });
});

describe('runCommand', () => {
  it('runs a program without a shell and returns its output and exit code', async () => {
    expect(await runCommand('echo', ['$HOME', '; rm -rf /'])).toEqual({ stdout: '$HOME ; rm -rf /\n', stderr: '', code: 0 });
    expect((await runCommand('sh', ['-c', 'echo oops >&2; exit 3'])).code).toBe(3);
  });

  it('rejects with ENOENT for a missing program, and on timeout or too much output', async () => {
    await expect(runCommand('vigil-no-such-program', [])).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(runCommand('sleep', ['5'], { timeoutMs: 100 })).rejects.toThrow(/timed out/);
    await expect(runCommand('head', ['-c', '100000', '/dev/zero'], { maxBytes: 1000 })).rejects.toThrow();
  });
});
