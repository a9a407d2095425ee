import { mkdtemp, truncate, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeRoot } from '../../test/fake-root.ts';
import { accountsCollector } from './accounts.ts';
import type { Collector } from './context.ts';
import { firewallCollector, hasIptablesRules, hasNftRules } from './firewall.ts';
import { createCollectContext } from './index.ts';
import { packageAgeCollector } from './package-age.ts';
import { rebootCollector } from './reboot.ts';
import { updatesCollector } from './updates.ts';

const temp = () => mkdtemp(join(tmpdir(), 'vigil-check-'));

async function run(
  collector: Collector,
  files: Parameters<typeof writeRoot>[1],
  setup?: (ctx: ReturnType<typeof createCollectContext>) => void,
) {
  const ctx = createCollectContext({ root: await writeRoot(await temp(), files), now: new Date('2026-11-22T12:00:00Z') });
  setup?.(ctx);
  const output = await collector.run(ctx);
  return { ctx, output, fact: output.facts?.[0] };
}

const DEBIAN_NFT =
  '#!/usr/sbin/nft -f\n\nflush ruleset\n\ntable inet filter {\n\tchain input {\n\t\ttype filter hook input priority 0;\n\t}\n\tchain forward {\n\t\ttype filter hook forward priority 0;\n\t}\n}\n';
const REAL_NFT =
  'table inet filter {\n  chain input {\n    type filter hook input priority 0; policy drop;\n    ct state established,related accept\n    tcp dport 22 accept\n  }\n}\n';

describe('firewall collector', () => {
  it('finds ufw enabled, firewalld enabled, or loaded nftables/iptables rules', async () => {
    expect((await run(firewallCollector, { 'etc/ufw/ufw.conf': 'ENABLED=yes\n' })).fact).toMatchObject({
      severity: 'NONE',
      evidence: ['/etc/ufw/ufw.conf:1'],
    });
    const firewalld = await run(firewallCollector, {
      'etc/systemd/system/multi-user.target.wants/firewalld.service': { link: '/usr/lib/systemd/system/firewalld.service' },
    });
    expect(firewalld.fact).toMatchObject({ severity: 'NONE', observed: 'firewalld enabled' });
    const nft = await run(firewallCollector, {
      'etc/nftables.conf': REAL_NFT,
      'etc/systemd/system/sysinit.target.wants/nftables.service': { link: '/lib/systemd/system/nftables.service' },
    });
    expect(nft.fact).toMatchObject({ severity: 'NONE', observed: 'rules in /etc/nftables.conf loaded by nftables.service' });
  });

  it('is MEDIUM with ufw disabled, Debian’s empty nftables.conf, or rules no unit loads', async () => {
    const none = await run(firewallCollector, {
      'etc/ufw/ufw.conf': 'ENABLED=no\n',
      'etc/nftables.conf': DEBIAN_NFT,
      'etc/iptables/rules.v4': '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n',
    });
    expect(none.fact).toMatchObject({ id: 'firewall.active', severity: 'MEDIUM' });
    expect(none.fact?.observed).toContain('rules in /etc/iptables/rules.v4 but no enabled unit loads them');
    expect((await run(firewallCollector, {})).fact?.severity).toBe('MEDIUM');
  });

  it('tells real rules from stock files', () => {
    expect(hasNftRules(DEBIAN_NFT)).toBe(false);
    expect(hasNftRules(REAL_NFT)).toBe(true);
    expect(hasIptablesRules('*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n')).toBe(false);
    expect(hasIptablesRules('*filter\n:INPUT DROP [0:0]\nCOMMIT\n')).toBe(true);
  });
});

describe('updates collector', () => {
  const dpkg = (ctx: ReturnType<typeof createCollectContext>) => ctx.osPackageNames.add('dpkg').add('unattended-upgrades');

  it('passes when unattended-upgrades is installed and enabled; the last apt.conf.d assignment wins', async () => {
    const on = await run(updatesCollector, { 'etc/apt/apt.conf.d/20auto-upgrades': 'APT::Periodic::Unattended-Upgrade "1";\n' }, dpkg);
    expect(on.fact).toMatchObject({ severity: 'NONE', evidence: ['/etc/apt/apt.conf.d/20auto-upgrades:1'] });
    const off = await run(
      updatesCollector,
      {
        'etc/apt/apt.conf.d/20auto-upgrades': 'APT::Periodic::Unattended-Upgrade "1";\n',
        'etc/apt/apt.conf.d/99local': '// off\nAPT::Periodic::Unattended-Upgrade "0";\n',
      },
      dpkg,
    );
    expect(off.fact).toMatchObject({ severity: 'LOW', evidence: ['/etc/apt/apt.conf.d/99local:2'] });
    const ignoredBackup = await run(
      updatesCollector,
      {
        'etc/apt/apt.conf.d/20auto-upgrades': 'APT::Periodic::Unattended-Upgrade "1";\n',
        'etc/apt/apt.conf.d/50off.dpkg-old': 'APT::Periodic::Unattended-Upgrade "0";\n',
      },
      dpkg,
    );
    expect(ignoredBackup.fact?.severity).toBe('NONE');
    const mainFileLast = await run(
      updatesCollector,
      {
        'etc/apt/apt.conf.d/20auto-upgrades': 'APT::Periodic::Unattended-Upgrade "1";\n',
        'etc/apt/apt.conf': 'APT::Periodic::Unattended-Upgrade "0";\n',
      },
      dpkg,
    );
    expect(mainFileLast.fact).toMatchObject({ severity: 'LOW', evidence: ['/etc/apt/apt.conf:1'] });
  });

  it('is LOW when unattended-upgrades is not installed, and checks dnf-automatic on RHEL', async () => {
    const missing = await run(
      updatesCollector,
      { 'etc/apt/apt.conf.d/20auto-upgrades': 'APT::Periodic::Unattended-Upgrade "1";\n' },
      (ctx) => ctx.osPackageNames.add('dpkg'),
    );
    expect(missing.fact).toMatchObject({ severity: 'LOW', observed: expect.stringContaining('not installed') });
    const rocky = (ctx: ReturnType<typeof createCollectContext>) => {
      ctx.host.os = { id: 'rocky', versionId: '9.3', prettyName: null, ecosystem: 'Rocky Linux:9' };
    };
    const timer = {
      'etc/systemd/system/timers.target.wants/dnf-automatic-install.timer': { link: '/usr/lib/systemd/system/dnf-automatic-install.timer' },
    };
    expect((await run(updatesCollector, timer, rocky)).fact?.severity).toBe('NONE');
    expect((await run(updatesCollector, {}, rocky)).fact).toMatchObject({
      severity: 'LOW',
      observed: expect.stringContaining('no dnf-automatic timer'),
    });
  });

  it('says unknown on Alpine', async () => {
    const alpine = await run(updatesCollector, {}, (ctx) => {
      ctx.host.os = { id: 'alpine', versionId: '3.19.1', prettyName: null, ecosystem: 'Alpine:v3.19' };
    });
    expect(alpine.output).toMatchObject({ status: 'skipped', message: expect.stringContaining('unknown') });
  });
});

describe('reboot collector', () => {
  it('reports a pending reboot with its packages, through the /var/run link', async () => {
    const { ctx, fact } = await run(rebootCollector, {
      'run/reboot-required': '*** System restart required ***\n',
      'run/reboot-required.pkgs': 'linux-image-6.1.0-18-amd64\nlibc6\nlibc6\n$(rm -rf /)\n',
      'var/run': { link: '/run' },
    });
    expect(fact).toMatchObject({
      severity: 'MEDIUM',
      observed: 'reboot required for libc6, linux-image-6.1.0-18-amd64',
      evidence: ['/run/reboot-required'],
    });
    expect(ctx.host.rebootRequired).toBe(true);
  });

  it('says no on Debian without the flag, and unknown elsewhere', async () => {
    const debian = await run(rebootCollector, {}, (ctx) => ctx.osPackageNames.add('dpkg'));
    expect([debian.fact?.severity, debian.ctx.host.rebootRequired]).toEqual(['NONE', false]);
    const other = await run(rebootCollector, {});
    expect([other.output.status, other.ctx.host.rebootRequired]).toEqual(['skipped', null]);
  });
});

describe('accounts collector', () => {
  it('reports each non-root UID 0 account, hostile names escaped', async () => {
    const { output } = await run(accountsCollector, {
      'etc/passwd':
        'root:x:0:0:root:/root:/bin/bash\nuser:x:1000:1000::/home/user:/bin/bash\ntoor:x:00:0::/root:/bin/sh\nev\u0001il:x:0:0::/:/bin/sh\nbroken line\n',
    });
    expect(output.facts).toEqual([
      { id: 'accounts.uid0', severity: 'HIGH', subject: 'toor', observed: 'account toor has UID 0', evidence: ['/etc/passwd:3'] },
      { id: 'accounts.uid0', severity: 'HIGH', subject: 'ev\\x01il', observed: 'account ev\\x01il has UID 0', evidence: ['/etc/passwd:4'] },
    ]);
  });

  it('passes with only root, is skipped without passwd, and refuses an oversized one', async () => {
    expect((await run(accountsCollector, { 'etc/passwd': 'root:x:0:0:root:/root:/bin/bash\n' })).fact?.severity).toBe('NONE');
    expect((await run(accountsCollector, {})).output.status).toBe('skipped');
    const root = await writeRoot(await temp(), { 'etc/passwd': '' });
    await truncate(join(root, 'etc/passwd'), 8 * 1024 * 1024);
    await expect(accountsCollector.run(createCollectContext({ root }))).rejects.toThrow(/passwd/);
  });
});

describe('package age collector', () => {
  async function aged(days: number) {
    const root = await writeRoot(await temp(), { 'var/lib/dpkg/status': 'Package: a\n' });
    const mtime = new Date(Date.parse('2026-11-22T12:00:00Z') - days * 86_400_000);
    await utimes(join(root, 'var/lib/dpkg/status'), mtime, mtime);
    const ctx = createCollectContext({ root, now: new Date('2026-11-22T12:00:00Z') });
    return { ctx, fact: (await packageAgeCollector.run(ctx)).facts?.[0] };
  }

  it('grades the time since the package database changed and records it on the host', async () => {
    expect((await aged(3)).fact).toMatchObject({
      severity: 'NONE',
      observed: 'package database last changed on 2026-11-19',
      evidence: ['/var/lib/dpkg/status'],
    });
    expect((await aged(45)).fact?.severity).toBe('LOW');
    const old = await aged(120);
    expect(old.fact?.severity).toBe('MEDIUM');
    expect(old.ctx.host.packagesUpdatedAt).toBe('2026-07-25T12:00:00.000Z');
  });

  it('is skipped without a package database', async () => {
    expect((await run(packageAgeCollector, {})).output.status).toBe('skipped');
  });
});
