import { mkdtemp, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeRoot } from '../../test/fake-root.ts';
import { createCollectContext } from './index.ts';
import { osCollector } from './os.ts';

const temp = () => mkdtemp(join(tmpdir(), 'vigil-os-'));

async function run(files: Parameters<typeof writeRoot>[1]) {
  const root = await writeRoot(await temp(), files);
  const ctx = createCollectContext({ root });
  const output = await osCollector.run(ctx);
  return { ctx, output };
}

describe('os collector', () => {
  it('reads os-release, kernel, host name and machine id', async () => {
    const { ctx, output } = await run({
      'etc/os-release': 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n',
      'proc/sys/kernel/osrelease': '6.1.0-18-amd64\n',
      'proc/sys/kernel/version': '#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)\n',
      'etc/hostname': 'db-02\n',
      'etc/machine-id': '0123456789abcdef0123456789abcdef\n',
    });
    expect(ctx.host.os).toEqual({ id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)', ecosystem: 'Debian:12' });
    expect(ctx.host.kernel).toEqual({ release: '6.1.0-18-amd64', version: '#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)' });
    expect(ctx.host.hostname).toBe('db-02');
    expect(ctx.host.machineId).toBe('0123456789abcdef0123456789abcdef');
    expect(output.items).toBe(4);
  });

  it('falls back to /usr/lib/os-release and maps Alpine and Ubuntu LTS releases', async () => {
    const alpine = await run({ 'usr/lib/os-release': 'ID=alpine\nVERSION_ID=3.16.2\n' });
    expect(alpine.ctx.host.os?.ecosystem).toBe('Alpine:v3.16');
    const ubuntu = await run({ 'etc/os-release': 'ID=ubuntu\nVERSION_ID="18.04"\nVERSION="18.04.6 LTS (Bionic Beaver)"\n' });
    expect(ubuntu.ctx.host.os?.ecosystem).toBe('Ubuntu:18.04:LTS');
  });

  it('reports nothing it cannot read: no files, no kernel, no host name outside a live root', async () => {
    const { ctx, output } = await run({});
    expect(ctx.host.os).toBeNull();
    expect(ctx.host.kernel).toBeNull();
    expect(ctx.host.hostname).toBeNull();
    expect(output.message).toContain('no /etc/os-release');
  });

  it('keeps an unknown distribution with a null ecosystem and says why', async () => {
    const { ctx, output } = await run({ 'etc/os-release': 'ID=linuxmint\nID_LIKE=ubuntu\nVERSION_ID="21.2"\n' });
    expect(ctx.host.os).toMatchObject({ id: 'linuxmint', ecosystem: null });
    expect(output.message).toContain('ID_LIKE=ubuntu');
  });

  it('refuses hostile values: a host name with a newline, a machine id that is not 32 hex digits, binary os-release', async () => {
    const { ctx } = await run({
      'etc/os-release': Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 0xff, 0xfe]),
      'etc/hostname': 'evil\u0000name\nsecond',
      'etc/machine-id': '../../etc/shadow',
    });
    expect(ctx.host.os).toBeNull();
    expect(ctx.host.hostname).toBeNull();
    expect(ctx.host.machineId).toBeUndefined();
  });

  it('throws on an oversized os-release instead of reading it', async () => {
    const root = await temp();
    await writeRoot(root, { 'etc/os-release': '' });
    await truncate(join(root, 'etc/os-release'), 10 * 1024 * 1024);
    await expect(osCollector.run(createCollectContext({ root }))).rejects.toThrow(/\/etc\/os-release: \d+ bytes is more than/);
  });

  it('resolves symlinks inside the root and never reads the host through them', async () => {
    const outside = await temp();
    await writeFile(join(outside, 'os-release'), 'ID=debian\nVERSION_ID=12\n');
    const absolute = await run({ 'etc/os-release': { link: join(outside, 'os-release') } });
    expect(absolute.ctx.host.os).toBeNull();
    const dotdot = await run({ 'etc/os-release': { link: `../../../../../../..${join(outside, 'os-release')}` } });
    expect(dotdot.ctx.host.os).toBeNull();
    const inside = await run({ 'etc/os-release': { link: '/usr/lib/os-release' }, 'usr/lib/os-release': 'ID=alpine\nVERSION_ID=3.18.4\n' });
    expect(inside.ctx.host.os?.ecosystem).toBe('Alpine:v3.18');
  });
});
