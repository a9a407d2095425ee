import { copyFile, mkdir, mkdtemp, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, NODEGOAT_LOCK, writeRoot } from '../../test/fake-root.ts';
import { createCollectContext } from './index.ts';
import { LOCKFILE_LIMITS, lockfilesCollector } from './lockfiles.ts';

const temp = () => mkdtemp(join(tmpdir(), 'vigil-lock-'));
const COMPOSER = join(FIXTURES, 'inventories/bookstack-2024.composer.lock');

async function copyInto(root: string, rel: string, fixture: string): Promise<void> {
  await mkdir(join(root, rel, '..'), { recursive: true });
  await copyFile(fixture, join(root, rel));
}

describe('lockfiles collector', () => {
  it('finds lockfiles below the configured paths and reports each package at its lockfile, as the machine names it', async () => {
    const root = await temp();
    await copyInto(root, 'srv/shop/package-lock.json', NODEGOAT_LOCK);
    await copyInto(root, 'srv/wiki/app/composer.lock', COMPOSER);
    const { packages = [], message } = await lockfilesCollector.run(createCollectContext({ root, lockfilePaths: ['/srv'] }));
    expect(message).toContain('2 lockfile(s) read');
    expect(packages.find((p) => p.name === 'lodash' && p.version === '4.17.11')).toEqual({
      ecosystem: 'npm',
      name: 'lodash',
      version: '4.17.11',
      // Four other lodash versions are nested in this lockfile: each says where it is.
      location: '/srv/shop/package-lock.json:node_modules/lodash',
      dev: true,
    });
    expect(packages.find((p) => p.name === 'marked')).toEqual({
      ecosystem: 'npm',
      name: 'marked',
      version: '0.3.5',
      location: '/srv/shop/package-lock.json',
    });
    expect(packages.some((p) => p.ecosystem === 'Packagist' && p.location === '/srv/wiki/app/composer.lock')).toBe(true);
    expect(packages.every((p) => !p.location?.includes(root))).toBe(true);
    // One entry per (package, version, lockfile), however many times the lockfile lists it.
    const keys = packages.map((p) => `${p.ecosystem} ${p.name} ${p.version} ${p.location}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('gives each version of a name its own location, so the server never sees one package twice', async () => {
    const root = await temp();
    await copyInto(root, 'srv/shop/package-lock.json', NODEGOAT_LOCK);
    const { packages = [] } = await lockfilesCollector.run(createCollectContext({ root, lockfilePaths: ['/srv'] }));
    // The server's identity of a package: (ecosystem, name, arch, location).
    const identities = packages.map((p) => `${p.ecosystem} ${p.name} ${p.location}`);
    expect(new Set(identities).size).toBe(identities.length);
    // nodegoat nests ansi-regex 2.0.0, 2.1.1 and 3.0.0: each is listed where npm installs it.
    const ansi = packages.filter((p) => p.name === 'ansi-regex').map((p) => [p.version, p.location]);
    expect(ansi).toEqual(
      expect.arrayContaining([
        ['2.1.1', '/srv/shop/package-lock.json:node_modules/ansi-regex'],
        ['3.0.0', expect.stringMatching(/^\/srv\/shop\/package-lock\.json:node_modules\/[a-z-]+\/node_modules\/ansi-regex$/)],
      ]),
    );
    expect(ansi).toHaveLength(3);
    expect(packages.filter((p) => p.name === 'lodash')).toHaveLength(5);
  });

  it('skips node_modules, vendor and .git, and stops at the depth limit', async () => {
    const root = await temp();
    await copyInto(root, 'srv/app/node_modules/dep/package-lock.json', NODEGOAT_LOCK);
    await copyInto(root, 'srv/app/vendor/x/composer.lock', COMPOSER);
    await copyInto(root, 'srv/app/.git/package-lock.json', NODEGOAT_LOCK);
    const deep = `srv/${Array.from({ length: LOCKFILE_LIMITS.depth + 1 }, (_, i) => `d${i}`).join('/')}/package-lock.json`;
    await copyInto(root, deep, NODEGOAT_LOCK);
    const output = await lockfilesCollector.run(createCollectContext({ root, lockfilePaths: ['/srv'] }));
    expect(output.packages).toEqual([]);
  });

  it('never follows a symlink out of the root', async () => {
    const outside = await temp();
    await copyInto(outside, 'app/package-lock.json', NODEGOAT_LOCK);
    const root = await writeRoot(await temp(), {
      'srv/escape': { link: join(outside, 'app') },
      'srv/file-link/package-lock.json': { link: join(outside, 'app/package-lock.json') },
    });
    const viaChild = await lockfilesCollector.run(createCollectContext({ root, lockfilePaths: ['/srv'] }));
    expect(viaChild.packages).toEqual([]);
    // A configured path that is itself an absolute link resolves inside the root (where it does not exist).
    const linked = await writeRoot(await temp(), { srv: { link: join(outside, 'app') } });
    const viaConfigured = await lockfilesCollector.run(createCollectContext({ root: linked, lockfilePaths: ['/srv'] }));
    expect(viaConfigured).toMatchObject({ packages: [], message: expect.stringContaining('/srv: not a directory') });
  });

  it('notes malformed and oversized lockfiles and still reads the others', async () => {
    const root = await writeRoot(await temp(), {
      'srv/broken/package-lock.json': '{"lockfileVersion": 2, "packages": ',
      'srv/big/yarn.lock': '',
      'srv/hostile/package-lock.json': JSON.stringify({
        lockfileVersion: 3,
        packages: { 'node_modules/evil\nname': { version: '1.0.0' } },
      }),
    });
    await truncate(join(root, 'srv/big/yarn.lock'), LOCKFILE_LIMITS.bytes + 1);
    await copyInto(root, 'srv/good/package-lock.json', NODEGOAT_LOCK);
    const { packages = [], message = '' } = await lockfilesCollector.run(createCollectContext({ root, lockfilePaths: ['/srv'] }));
    expect(message).toContain('/srv/broken/package-lock.json');
    expect(message).toMatch(/\/srv\/big\/yarn\.lock: \d+ bytes, over/);
    expect(packages.some((p) => p.location === '/srv/good/package-lock.json')).toBe(true);
  });

  it('is skipped when no path is configured', async () => {
    expect(await lockfilesCollector.run(createCollectContext({ root: await temp() }))).toMatchObject({ status: 'skipped' });
  });
});
