import { copyFile, mkdir, mkdtemp, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIONIC_STATUS, FIXTURES, writeRoot } from '../../test/fake-root.ts';
import { apkCollector } from './apk.ts';
import { dpkgCollector } from './dpkg.ts';
import { createCollectContext } from './index.ts';
import { osCollector } from './os.ts';

const temp = () => mkdtemp(join(tmpdir(), 'vigil-pkg-'));
const ALPINE = join(FIXTURES, 'inventories/alpine/alpine-3.16-syft-multiple-2.apk-installed');

async function withFile(rel: string, fixture: string, files: Parameters<typeof writeRoot>[1] = {}): Promise<string> {
  const root = await writeRoot(await temp(), files);
  await mkdir(join(root, rel, '..'), { recursive: true });
  await copyFile(fixture, join(root, rel));
  return root;
}

describe('dpkg collector', () => {
  it('reads the bionic database: source packages, source versions, architecture; release from os-release', async () => {
    const root = await withFile('var/lib/dpkg/status', BIONIC_STATUS, { 'etc/os-release': 'ID=ubuntu\nVERSION_ID="18.04"\n' });
    const ctx = createCollectContext({ root });
    await osCollector.run(ctx);
    const { packages = [] } = await dpkgCollector.run(ctx);
    expect(packages).toHaveLength(2237);
    expect(packages.find((p) => p.name === 'bsdutils')).toEqual({
      ecosystem: 'Ubuntu',
      name: 'bsdutils',
      version: '1:2.31.1-0.4ubuntu3.4',
      source: { name: 'util-linux', version: '2.31.1-0.4ubuntu3.4' },
      arch: 'amd64',
    });
    // Line numbers move whenever a package is installed: not reported.
    expect(packages.every((p) => p.location === undefined)).toBe(true);
    expect(ctx.host.arch).toBe('amd64');
    expect(ctx.osPackageNames.has('unattended-upgrades')).toBe(true);
  });

  it('tells Ubuntu 18.04 from the packages when there is no os-release', async () => {
    const root = await withFile('var/lib/dpkg/status', BIONIC_STATUS);
    const ctx = createCollectContext({ root });
    const output = await dpkgCollector.run(ctx);
    expect(ctx.host.os).toEqual({ id: 'ubuntu', versionId: '18.04', prettyName: null, ecosystem: 'Ubuntu:18.04:LTS' });
    expect(output.packages?.[0]?.ecosystem).toBe('Ubuntu');
    expect(output.message).toContain('release detected from the package database');
  });

  it('is skipped without a database and throws on one that is not a dpkg status file', async () => {
    expect((await dpkgCollector.run(createCollectContext({ root: await temp() }))).status).toBe('skipped');
    const binary = await writeRoot(await temp(), { 'var/lib/dpkg/status': Buffer.from('\u0000\u0001ELF\u0000\u0000garbage'.repeat(50)) });
    await expect(dpkgCollector.run(createCollectContext({ root: binary }))).rejects.toThrow(/status/);
    const prose = await writeRoot(await temp(), { 'var/lib/dpkg/status': 'hello\nthis is not\na database\n' });
    await expect(dpkgCollector.run(createCollectContext({ root: prose }))).rejects.toThrow();
  });

  it('refuses an oversized database without reading it', async () => {
    const root = await writeRoot(await temp(), { 'var/lib/dpkg/status': '' });
    await truncate(join(root, 'var/lib/dpkg/status'), 200 * 1024 * 1024);
    await expect(dpkgCollector.run(createCollectContext({ root }))).rejects.toThrow(/more than the \d+ bytes allowed/);
  });

  it('skips hostile paragraphs and keeps the rest', async () => {
    const status = [
      'Package: good\nStatus: install ok installed\nVersion: 1.0-1\nArchitecture: amd64\n',
      'Package: has space\nStatus: install ok installed\nVersion: 1.0\n',
      'Package: removed\nStatus: deinstall ok config-files\nVersion: 2.0\n',
    ].join('\n');
    const root = await writeRoot(await temp(), { 'var/lib/dpkg/status': status, 'etc/os-release': 'ID=debian\nVERSION_ID=12\n' });
    const ctx = createCollectContext({ root });
    await osCollector.run(ctx);
    const output = await dpkgCollector.run(ctx);
    expect(output.packages?.map((p) => `${p.ecosystem} ${p.name}`)).toEqual(['Debian good']);
    expect(output.message).toContain('1 entries skipped');
  });
});

describe('apk collector', () => {
  it('reads Alpine packages with their origin as source', async () => {
    const root = await withFile('lib/apk/db/installed', ALPINE, { 'etc/os-release': 'ID=alpine\nVERSION_ID=3.16.2\n' });
    const ctx = createCollectContext({ root });
    await osCollector.run(ctx);
    const { packages = [] } = await apkCollector.run(ctx);
    expect(packages).toHaveLength(14);
    expect(packages.find((p) => p.name === 'apk-tools')).toEqual({
      ecosystem: 'Alpine',
      name: 'apk-tools',
      version: '2.12.9-r3',
      source: { name: 'apk-tools', version: '2.12.9-r3' },
      arch: 'x86_64',
    });
    expect(ctx.host.arch).toBe('x86_64');
    expect(ctx.host.os?.ecosystem).toBe('Alpine:v3.16');
  });

  it('is skipped without a database and throws on binary data', async () => {
    expect((await apkCollector.run(createCollectContext({ root: await temp() }))).status).toBe('skipped');
    const root = await writeRoot(await temp(), { 'lib/apk/db/installed': Buffer.from([0, 1, 2, 3, 0xff, 0xfe, 0, 0]) });
    await expect(apkCollector.run(createCollectContext({ root }))).rejects.toThrow();
  });
});
