import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { inventoryDigest, inventorySchema, PROTOCOL_LIMITS } from '@vigil/protocol';
import { describe, expect, it } from 'vitest';
import { buildFakeRoot, upgradeDpkgPackage, writeRoot } from '../../test/fake-root.ts';
import { COLLECTORS, collectInventory } from './index.ts';

const NOW = new Date('2026-11-22T12:00:00Z');

async function fakeRoot(options?: Parameters<typeof buildFakeRoot>[1]) {
  return buildFakeRoot(await mkdtemp(join(tmpdir(), 'vigil-root-')), options);
}

describe('collectInventory on a fake Ubuntu 18.04 server', () => {
  it('returns a schema-valid inventory with the host, packages, WordPress, services and risky facts', async () => {
    const root = await fakeRoot();
    const inventory = await collectInventory({ ...root, agentVersion: '0.1.0', now: NOW });
    expect(inventorySchema.safeParse(inventory).success).toBe(true);
    expect(inventory.host).toEqual({
      hostname: 'web-01',
      machineId: '3f2a9c1d5e6b4a7c8d9e0f1a2b3c4d5e',
      arch: 'amd64',
      kernel: { release: '4.15.0-66-generic', version: '#75-Ubuntu SMP Tue Oct 1 05:24:09 UTC 2019' },
      os: { id: 'ubuntu', versionId: '18.04', prettyName: 'Ubuntu 18.04.3 LTS', ecosystem: 'Ubuntu:18.04:LTS' },
      packagesUpdatedAt: '2019-11-15T10:00:00.000Z',
      rebootRequired: true,
    });
    expect(inventory.packages.filter((p) => p.ecosystem === 'Ubuntu')).toHaveLength(2237);
    expect(inventory.packages.some((p) => p.ecosystem === 'npm' && p.location === '/srv/app/package-lock.json')).toBe(true);
    expect(inventory.wordpress).toHaveLength(1);
    expect(inventory.wordpress[0]).toMatchObject({ path: '/var/www/site', coreVersion: '4.9.8' });
    expect(inventory.wordpress[0]?.plugins.map((p) => p.slug).sort()).toEqual(['akismet', 'contact-form-7', 'loader', 'wp-file-manager']);

    const severity = (id: string, subject?: string) => inventory.configFacts.find((f) => f.id === id && f.subject === subject)?.severity;
    expect(severity('ssh.permit_root_login')).toBe('HIGH');
    expect(severity('ssh.password_authentication')).toBe('MEDIUM');
    expect(severity('ssh.permit_empty_passwords')).toBe('NONE');
    expect(severity('firewall.active')).toBe('MEDIUM');
    expect(severity('updates.automatic_security')).toBe('NONE');
    expect(severity('system.reboot_required')).toBe('MEDIUM');
    expect(severity('accounts.uid0', 'toor')).toBe('HIGH');
    expect(severity('files.world_writable_path', '/usr/local/bin/backup.sh')).toBe('HIGH');
    expect(severity('network.listening_public')).toBe('NONE');
    expect(severity('network.risky_service_public', 'tcp/6379')).toBe('MEDIUM');
    expect(severity('packages.last_update')).toBe('MEDIUM');
    expect(inventory.services).toContainEqual({ protocol: 'tcp6', address: '::', port: 80 });

    expect(inventory.collectors.map((c) => c.name)).toEqual(COLLECTORS.map((c) => c.name));
    expect(inventory.collectors.filter((c) => c.status === 'error')).toEqual([]);
    expect(inventory.collectors.find((c) => c.name === 'rpm')?.status).toBe('skipped');
    // Paths are the machine's, never the directory the root was built in.
    expect(JSON.stringify(inventory)).not.toContain(root.root);
  });

  it('reports a broken collector as an error and still runs the others', async () => {
    const root = await fakeRoot();
    await writeFile(join(root.root, 'var/lib/dpkg/status'), Buffer.from('\u0000\u0000\u0001binary\u0000'.repeat(100)));
    const inventory = await collectInventory({ ...root, agentVersion: '0.1.0', now: NOW });
    expect(inventorySchema.safeParse(inventory).success).toBe(true);
    const dpkg = inventory.collectors.find((c) => c.name === 'dpkg');
    expect(dpkg).toMatchObject({ status: 'error', items: 0, message: expect.stringContaining('/var/lib/dpkg/status') });
    expect(dpkg?.message).not.toContain(root.root);
    expect(inventory.packages.some((p) => p.ecosystem === 'Ubuntu')).toBe(false);
    expect(inventory.packages.some((p) => p.ecosystem === 'WordPress')).toBe(true);
    expect(inventory.configFacts.some((f) => f.id === 'ssh.permit_root_login')).toBe(true);
    expect(inventory.collectors.filter((c) => c.status === 'error').map((c) => c.name)).toEqual(['dpkg']);
  });

  it('is deterministic: the same root twice gives the same digest; an upgrade changes it', async () => {
    const root = await fakeRoot();
    const first = await collectInventory({ ...root, agentVersion: '0.1.0', now: NOW });
    const second = await collectInventory({ ...root, agentVersion: '0.1.0', now: new Date(NOW.getTime() + 3_600_000) });
    expect(inventoryDigest(second)).toBe(inventoryDigest(first));

    expect(await upgradeDpkgPackage(root.root, 'sudo', '1.8.21p2-3ubuntu1.4')).toBe('1.8.21p2-3ubuntu1.1');
    const third = await collectInventory({ ...root, agentVersion: '0.1.0', now: NOW });
    expect(third.packages.find((p) => p.name === 'sudo')).toMatchObject({
      version: '1.8.21p2-3ubuntu1.4',
      source: { name: 'sudo', version: '1.8.21p2-3ubuntu1.4' },
    });
    expect(inventoryDigest(third)).not.toBe(inventoryDigest(first));
    await expect(upgradeDpkgPackage(root.root, 'no-such-package', '1')).rejects.toThrow(/not in/);
  });

  it('gzips the 2237-package bionic inventory well under the 1 MB body limit', async () => {
    const root = await fakeRoot({ lockfiles: false, wordpress: false });
    const inventory = await collectInventory({ ...root, agentVersion: '0.1.0', now: NOW });
    const gzipped = gzipSync(JSON.stringify(inventory)).length;
    expect(inventory.packages).toHaveLength(2237);
    expect(gzipped).toBeLessThan(PROTOCOL_LIMITS.bodyBytes / 4);
  });

  // A collector stuck on a file system that stopped answering must not stop the inventory.
  it('reports a collector that does not finish as timed out, and still returns the inventory', async () => {
    const root = await writeRoot(await mkdtemp(join(tmpdir(), 'vigil-root-')), {
      'etc/os-release': 'ID=rocky\nVERSION_ID="8.9"\n',
      'var/lib/rpm/rpmdb.sqlite': 'SQLite format 3\u0000',
      'etc/ssh/sshd_config': 'PermitRootLogin yes\n',
    });
    const inventory = await collectInventory({
      root,
      agentVersion: '0.1.0',
      now: NOW,
      // rpm that never answers, standing for any read that never returns.
      runCommand: () => new Promise(() => {}),
      collectorTimeoutMs: 300,
    });
    expect(inventorySchema.safeParse(inventory).success).toBe(true);
    expect(inventory.collectors.find((c) => c.name === 'rpm')).toMatchObject({
      status: 'error',
      message: expect.stringMatching(/timed out/),
    });
    expect(inventory.collectors.map((c) => c.name)).toEqual(COLLECTORS.map((c) => c.name));
    expect(inventory.configFacts.some((f) => f.id === 'ssh.permit_root_login')).toBe(true);
  });

  it('refuses a root that is not a directory', async () => {
    await expect(collectInventory({ root: join(tmpdir(), 'vigil-no-such-root'), agentVersion: '0.1.0' })).rejects.toThrow(
      /is not a directory/,
    );
  });

  it('leaves out items the protocol would refuse and says so', async () => {
    const root = await fakeRoot({ lockfiles: false, wordpress: false });
    const longVersion = 'x'.repeat(200);
    await writeRoot(root.root, {
      'srv/package-lock.json': JSON.stringify({
        lockfileVersion: 3,
        packages: { 'node_modules/ok': { version: '1.0.0' }, 'node_modules/long': { version: longVersion } },
      }),
    });
    const inventory = await collectInventory({ ...root, lockfilePaths: ['/srv'], agentVersion: '0.1.0', now: NOW });
    expect(inventorySchema.safeParse(inventory).success).toBe(true);
    expect(inventory.packages.some((p) => p.name === 'ok')).toBe(true);
    expect(inventory.packages.some((p) => p.name === 'long')).toBe(false);
    expect(inventory.collectors.find((c) => c.name === 'lockfiles')?.message).toContain('1 item(s) left out');
  });
});
