import { describe, expect, it } from 'vitest';
import type { InstalledPackage } from '../inventory/model.ts';
import { DistroOptionError, describeDistroEcosystem, detectAlpineRelease, ecosystemForDistro, parseDistroOption } from './ecosystem.ts';

const eco = (id: string, versionId?: string, extra: { version?: string; idLike?: string } = {}) =>
  ecosystemForDistro({ id, versionId, ...extra })?.ecosystem ?? null;

describe('ecosystemForDistro', () => {
  it('Ubuntu: LTS from VERSION or from the even-year .04 rule', () => {
    expect(ecosystemForDistro({ id: 'ubuntu', versionId: '18.04', version: '18.04.6 LTS (Bionic Beaver)' })).toEqual({
      ecosystem: 'Ubuntu:18.04:LTS',
      evidence: 'ID=ubuntu VERSION_ID=18.04 (VERSION says LTS)',
    });
    expect(ecosystemForDistro({ id: 'ubuntu', versionId: '22.04' })).toEqual({
      ecosystem: 'Ubuntu:22.04:LTS',
      evidence: 'ID=ubuntu VERSION_ID=22.04 (an even-year .04 release is LTS)',
    });
    expect(eco('ubuntu', '23.10', { version: '23.10 (Mantic Minotaur)' })).toBe('Ubuntu:23.10');
    expect(eco('ubuntu', '23.04')).toBe('Ubuntu:23.04');
    expect(eco('Ubuntu', '24.04')).toBe('Ubuntu:24.04:LTS');
    expect(eco('ubuntu', '18.04.6')).toBeNull();
    expect(eco('ubuntu')).toBeNull();
  });

  it('Debian, Alpine, the RHEL family, SUSE', () => {
    expect(eco('debian', '12')).toBe('Debian:12');
    expect(eco('debian', '11', { version: '11 (bullseye)' })).toBe('Debian:11');
    expect(eco('alpine', '3.16.2')).toBe('Alpine:v3.16');
    expect(eco('alpine', '3.20')).toBe('Alpine:v3.20');
    expect(eco('rocky', '8.9')).toBe('Rocky Linux:8');
    expect(eco('almalinux', '9.2')).toBe('AlmaLinux:9');
    expect(eco('rhel', '8.10')).toBe('Red Hat:enterprise_linux:8');
    expect(eco('opensuse-leap', '15.5')).toBe('openSUSE:Leap 15.5');
    expect(eco('opensuse-tumbleweed', '20240801')).toBe('openSUSE:Tumbleweed');
    expect(eco('sles', '15.5')).toBe('SUSE:Linux Enterprise Server 15 SP5');
    expect(eco('sles', '15')).toBe('SUSE:Linux Enterprise Server 15');
  });

  it('no answer, with a reason, rather than a guess', () => {
    expect(describeDistroEcosystem({ id: 'debian' })).toEqual({
      ecosystem: null,
      reason: 'ID=debian: no VERSION_ID (Debian testing or sid): there is no release ecosystem for it in OSV',
    });
    const mint = describeDistroEcosystem({ id: 'linuxmint', versionId: '21.2', idLike: 'ubuntu debian' });
    expect(mint.ecosystem).toBeNull();
    expect(mint.ecosystem === null && mint.reason).toContain('ID_LIKE=ubuntu debian');
    expect(eco('linuxmint', '21.2', { idLike: 'ubuntu' })).toBeNull();
    expect(eco('fedora', '39')).toBeNull();
    expect(eco('alpine', '3.19_alpha20231219')).toBeNull();
    expect(eco('rocky', '')).toBeNull();
    expect(eco('__proto__', '1')).toBeNull();
  });
});

describe('parseDistroOption', () => {
  it('ID:VERSION forms, case-insensitive', () => {
    expect(parseDistroOption('ubuntu:18.04')).toBe('Ubuntu:18.04:LTS');
    expect(parseDistroOption('UBUNTU:23.10')).toBe('Ubuntu:23.10');
    expect(parseDistroOption('debian:12')).toBe('Debian:12');
    expect(parseDistroOption('alpine:3.16')).toBe('Alpine:v3.16');
    expect(parseDistroOption('alpine:3.16.2')).toBe('Alpine:v3.16');
    expect(parseDistroOption('rocky:8')).toBe('Rocky Linux:8');
    expect(parseDistroOption(' Rocky:8.9 ')).toBe('Rocky Linux:8');
    expect(parseDistroOption('almalinux:9')).toBe('AlmaLinux:9');
    expect(parseDistroOption('rhel:9')).toBe('Red Hat:enterprise_linux:9');
    expect(parseDistroOption('opensuse-leap:15.5')).toBe('openSUSE:Leap 15.5');
  });

  it('OSV forms', () => {
    expect(parseDistroOption('Ubuntu:18.04:LTS')).toBe('Ubuntu:18.04:LTS');
    expect(parseDistroOption('ubuntu:16.04:lts')).toBe('Ubuntu:16.04:LTS');
    expect(parseDistroOption('Alpine:v3.16')).toBe('Alpine:v3.16');
    expect(parseDistroOption('Rocky Linux:8')).toBe('Rocky Linux:8');
    expect(parseDistroOption('AlmaLinux:8')).toBe('AlmaLinux:8');
    expect(parseDistroOption('Red Hat:enterprise_linux:8')).toBe('Red Hat:enterprise_linux:8');
    expect(parseDistroOption('openSUSE:Leap 15.5')).toBe('openSUSE:Leap 15.5');
    expect(parseDistroOption('openSUSE:Tumbleweed')).toBe('openSUSE:Tumbleweed');
    expect(parseDistroOption('SUSE:Linux Enterprise Server 15 SP5')).toBe('SUSE:Linux Enterprise Server 15 SP5');
  });

  it('invalid values throw DistroOptionError listing the accepted forms', () => {
    for (const bad of [
      '',
      'ubuntu',
      'ubuntu:',
      ':18.04',
      'ubuntu:bionic',
      'debian:sid',
      'fedora:39',
      'mint:21',
      'x'.repeat(1000),
      'ubuntu:18.04:x',
    ]) {
      expect(() => parseDistroOption(bad), bad).toThrow(DistroOptionError);
    }
    try {
      parseDistroOption('fedora:39');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(DistroOptionError);
      const e = error as DistroOptionError;
      expect(e.message).toMatch(/^--distro "fedora:39": ID=fedora VERSION_ID=39: no Fedora ecosystem/);
      expect(e.message).toContain('accepted forms: ubuntu:18.04, debian:12, alpine:3.16, rocky:8');
      expect(e.accepted).toContain('Alpine:v3.16');
    }
  });
});

describe('detectAlpineRelease', () => {
  const apk = (name: string, version: string): InstalledPackage => ({ ecosystem: 'Alpine', name, version });
  it('reads alpine-release, ignores alpine-baselayout', () => {
    expect(
      detectAlpineRelease([apk('musl', '1.2.3-r0'), apk('alpine-baselayout', '3.2.0-r22'), apk('alpine-release', '3.16.2-r0')]),
    ).toEqual({
      ecosystem: 'Alpine:v3.16',
      evidence: 'package alpine-release 3.16.2-r0',
    });
    expect(detectAlpineRelease([apk('alpine-baselayout', '3.2.0-r22')])).toBeNull();
    expect(detectAlpineRelease([apk('alpine-release', 'garbage')])).toBeNull();
    expect(detectAlpineRelease([{ ecosystem: 'npm', name: 'alpine-release', version: '3.16.2-r0' }])).toBeNull();
    expect(detectAlpineRelease([])).toBeNull();
  });
});
