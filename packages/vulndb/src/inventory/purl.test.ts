import { describe, expect, it } from 'vitest';
import { distroFromQualifier, PurlError, parsePurl, purlToPackage } from './purl.ts';

const plain = (p: ReturnType<typeof parsePurl>) => ({ ...p, qualifiers: { ...p.qualifiers } });

describe('parsePurl', () => {
  it('spec examples', () => {
    expect(plain(parsePurl('pkg:maven/org.apache.xmlgraphics/batik-anim@1.9.1?packaging=sources'))).toEqual({
      type: 'maven',
      namespace: 'org.apache.xmlgraphics',
      name: 'batik-anim',
      version: '1.9.1',
      qualifiers: { packaging: 'sources' },
    });
    expect(plain(parsePurl('pkg:npm/%40angular/animation@12.3.1'))).toEqual({
      type: 'npm',
      namespace: '@angular',
      name: 'animation',
      version: '12.3.1',
      qualifiers: {},
    });
    expect(plain(parsePurl('pkg:golang/google.golang.org/genproto#googleapis/api/annotations'))).toEqual({
      type: 'golang',
      namespace: 'google.golang.org',
      name: 'genproto',
      qualifiers: {},
      subpath: 'googleapis/api/annotations',
    });
    expect(plain(parsePurl('pkg:deb/debian/curl@7.50.3-1?arch=i386&distro=jessie'))).toEqual({
      type: 'deb',
      namespace: 'debian',
      name: 'curl',
      version: '7.50.3-1',
      qualifiers: { arch: 'i386', distro: 'jessie' },
    });
    expect(plain(parsePurl('pkg:rpm/fedora/curl@7.50.3-1.fc25?arch=i386&distro=fedora-25'))).toMatchObject({
      namespace: 'fedora',
      version: '7.50.3-1.fc25',
      qualifiers: { arch: 'i386', distro: 'fedora-25' },
    });
  });

  it('normalises: type and qualifier keys lowercase, pypi names, percent-decoding, empty values dropped', () => {
    const p = parsePurl('PKG:PyPI/Django_Rest@1.11.1?Repository_URL=https%3A%2F%2Fpypi.org&empty=#/./a/../b/');
    expect(plain(p)).toEqual({
      type: 'pypi',
      name: 'django-rest',
      version: '1.11.1',
      qualifiers: { repository_url: 'https://pypi.org' },
      subpath: 'a/b',
    });
    expect(parsePurl('pkg://npm/@babel/core@7.0.0').namespace).toBe('@babel');
    expect(parsePurl('pkg:deb/ubuntu/bsdutils@1%3A2.31.1-0.4ubuntu3.4').version).toBe('1:2.31.1-0.4ubuntu3.4');
    expect(parsePurl('pkg:generic/name%20with%20space').name).toBe('name with space');
    expect(parsePurl('pkg:npm/foo@').version).toBeUndefined();
  });

  it('invalid purls throw PurlError', () => {
    const bad = [
      '',
      'npm/foo@1',
      'http://npm/foo',
      'pkg:',
      'pkg:npm',
      'pkg:npm/',
      'pkg:1npm/foo',
      'pkg:n pm/foo',
      'pkg:npm/foo@1?novalue',
      'pkg:npm/foo@1?a=1&a=2',
      'pkg:npm/foo@1?1bad=x',
      'pkg:npm/%E0%A4%A',
      'pkg:npm/foo@%',
    ];
    for (const purl of bad) expect(() => parsePurl(purl), purl).toThrow(PurlError);
    expect(() => parsePurl('pkg:npm/foo@1?a=1&a=2')).toThrow(/qualifier a given twice/);
  });

  it('__proto__ qualifier is data', () => {
    const p = parsePurl('pkg:npm/x@1?__proto__=polluted&constructor=c');
    expect(Object.entries(p.qualifiers)).toEqual([
      ['__proto__', 'polluted'],
      ['constructor', 'c'],
    ]);
    expect(Object.getPrototypeOf(p.qualifiers)).toBeNull();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a 10 MB purl parses in linear time', () => {
    const p = parsePurl(`pkg:npm/${'a'.repeat(10_000_000)}@1.0.0?x=${'%41'.repeat(100_000)}`);
    expect(p.name).toHaveLength(10_000_000);
    expect(p.qualifiers.x).toHaveLength(100_000);
  });
});

describe('purlToPackage', () => {
  it('language ecosystems', () => {
    expect(purlToPackage('pkg:npm/%40babel/core@7.23.2')).toEqual({ ecosystem: 'npm', name: '@babel/core', version: '7.23.2' });
    expect(purlToPackage('pkg:npm/lodash@4.17.21')).toEqual({ ecosystem: 'npm', name: 'lodash', version: '4.17.21' });
    expect(purlToPackage('pkg:pypi/Flask.Cors@3.0.10')).toEqual({ ecosystem: 'PyPI', name: 'flask-cors', version: '3.0.10' });
    expect(purlToPackage('pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar')).toEqual({
      ecosystem: 'Maven',
      name: 'org.apache.logging.log4j:log4j-core',
      version: '2.14.1',
    });
    expect(purlToPackage('pkg:golang/github.com/gin-gonic/gin@v1.9.1')).toEqual({
      ecosystem: 'Go',
      name: 'github.com/gin-gonic/gin',
      version: 'v1.9.1',
    });
    expect(purlToPackage('pkg:cargo/serde@1.0.190')).toEqual({ ecosystem: 'crates.io', name: 'serde', version: '1.0.190' });
    expect(purlToPackage('pkg:gem/rails@7.0.4')).toEqual({ ecosystem: 'RubyGems', name: 'rails', version: '7.0.4' });
    expect(purlToPackage('pkg:composer/laravel/framework@v10.0.0')).toEqual({
      ecosystem: 'Packagist',
      name: 'laravel/framework',
      version: 'v10.0.0',
    });
    expect(purlToPackage('pkg:nuget/Newtonsoft.Json@13.0.1')).toEqual({ ecosystem: 'NuGet', name: 'Newtonsoft.Json', version: '13.0.1' });
    expect(purlToPackage('pkg:hex/phoenix@1.7.0')).toEqual({ ecosystem: 'Hex', name: 'phoenix', version: '1.7.0' });
    expect(purlToPackage('pkg:pub/http@0.13.5')).toEqual({ ecosystem: 'Pub', name: 'http', version: '0.13.5' });
  });

  it('OS packages: distro, upstream source, arch, rpm epoch', () => {
    expect(
      purlToPackage(
        'pkg:deb/ubuntu/bsdutils@1:2.31.1-0.4ubuntu3.4?arch=amd64&upstream=util-linux%402.31.1-0.4ubuntu3.4&distro=ubuntu-18.04',
      ),
    ).toEqual({
      ecosystem: 'Ubuntu',
      name: 'bsdutils',
      version: '1:2.31.1-0.4ubuntu3.4',
      source: { name: 'util-linux', version: '2.31.1-0.4ubuntu3.4' },
      arch: 'amd64',
      distro: 'ubuntu-18.04',
    });
    expect(purlToPackage('pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&upstream=openssl&distro=debian-12')).toEqual({
      ecosystem: 'Debian',
      name: 'libssl3',
      version: '3.0.11-1~deb12u2',
      source: { name: 'openssl', version: '3.0.11-1~deb12u2' },
      arch: 'amd64',
      distro: 'debian-12',
    });
    expect(purlToPackage('pkg:apk/alpine/libcrypto1.1@1.1.1q-r0?arch=x86_64&upstream=openssl&distro=alpine-3.16.2')).toEqual({
      ecosystem: 'Alpine',
      name: 'libcrypto1.1',
      version: '1.1.1q-r0',
      source: { name: 'openssl', version: '1.1.1q-r0' },
      arch: 'x86_64',
      distro: 'alpine-3.16.2',
    });
    expect(
      purlToPackage(
        'pkg:rpm/redhat/openssl-libs@1.1.1k-9.el8_7?arch=x86_64&epoch=1&upstream=openssl-1.1.1k-9.el8_7.src.rpm&distro=rhel-8.7',
      ),
    ).toEqual({
      ecosystem: 'Red Hat',
      name: 'openssl-libs',
      version: '1:1.1.1k-9.el8_7',
      source: { name: 'openssl', version: '1.1.1k-9.el8_7' },
      arch: 'x86_64',
      distro: 'rhel-8.7',
    });
    expect(purlToPackage('pkg:rpm/rocky/bash@4.4.20-4.el8_6?arch=x86_64')?.ecosystem).toBe('Rocky Linux');
    expect(purlToPackage('pkg:rpm/rocky-linux/bash@4.4.20-4.el8_6')?.ecosystem).toBe('Rocky Linux');
    expect(purlToPackage('pkg:rpm/almalinux/bash@5.1.8-6.el9_1')?.ecosystem).toBe('AlmaLinux');
    expect(purlToPackage('pkg:rpm/opensuse/bash@4.4-150400.27.3.2')?.ecosystem).toBe('openSUSE');
    expect(purlToPackage('pkg:rpm/redhat/bash@4.4.20-4.el8?epoch=0')?.version).toBe('0:4.4.20-4.el8');
  });

  it('null for unmapped types and vendors, or a missing version', () => {
    for (const purl of [
      'pkg:npm/lodash',
      'pkg:generic/openssl@3.0.0',
      'pkg:github/package-url/purl-spec@244fd47e07d1004',
      'pkg:rpm/fedora/curl@7.50.3-1.fc25',
      'pkg:rpm/centos/curl@7.29.0-59.el7',
      'pkg:apk/wolfi/curl@8.4.0-r0',
      'pkg:deb/kali/curl@7.88.1-10',
      'pkg:maven/log4j-core@2.14.1',
      'pkg:composer/framework@1.0',
      'pkg:rpm/__proto__/x@1',
      'pkg:toString/x@1',
    ]) {
      expect(purlToPackage(purl), purl).toBeNull();
    }
    expect(() => purlToPackage('not a purl')).toThrow(PurlError);
  });
});

describe('distroFromQualifier', () => {
  it('syft distro qualifiers', () => {
    expect(distroFromQualifier('ubuntu-18.04')).toEqual({ id: 'ubuntu', versionId: '18.04' });
    expect(distroFromQualifier('debian-12')).toEqual({ id: 'debian', versionId: '12' });
    expect(distroFromQualifier('alpine-3.16.2')).toEqual({ id: 'alpine', versionId: '3.16.2' });
    expect(distroFromQualifier('opensuse-leap-15.5')).toEqual({ id: 'opensuse-leap', versionId: '15.5' });
    expect(distroFromQualifier('bionic')).toBeUndefined();
    expect(distroFromQualifier('debian-')).toBeUndefined();
  });
});
