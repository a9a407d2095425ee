import { describe, expect, it } from 'vitest';
import { InventoryParseError } from './model.ts';
import { parseSpdxJson } from './spdx.ts';

// Shaped as `syft ubuntu:18.04 -o spdx-json` writes it (syft 0.9x, SPDX 2.3).
const SYFT_UBUNTU = JSON.stringify({
  spdxVersion: 'SPDX-2.3',
  dataLicense: 'CC0-1.0',
  SPDXID: 'SPDXRef-DOCUMENT',
  name: 'ubuntu-18.04',
  documentNamespace: 'https://anchore.com/syft/image/ubuntu-18.04-5d3c9b6e-8a9f-4c1e-b2d7-0f6a4e3c2b1a',
  creationInfo: {
    licenseListVersion: '3.22',
    creators: ['Organization: Anchore, Inc', 'Tool: syft-0.98.0'],
    created: '2023-11-20T10:20:11Z',
  },
  packages: [
    {
      name: 'bsdutils',
      SPDXID: 'SPDXRef-Package-deb-bsdutils-5b2f0d3c1e7a9b4d',
      versionInfo: '1:2.31.1-0.4ubuntu3.4',
      supplier: 'Person: Ubuntu Developers (ubuntu-devel-discuss@lists.ubuntu.com)',
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      sourceInfo: 'acquired package info from DPKG DB: /var/lib/dpkg/status, /usr/share/doc/bsdutils/copyright',
      licenseConcluded: 'NOASSERTION',
      licenseDeclared: 'BSD-4-Clause',
      copyrightText: 'NOASSERTION',
      externalRefs: [
        {
          referenceCategory: 'SECURITY',
          referenceType: 'cpe23Type',
          referenceLocator: 'cpe:2.3:a:bsdutils:bsdutils:1\\:2.31.1-0.4ubuntu3.4:*:*:*:*:*:*:*',
        },
        {
          referenceCategory: 'PACKAGE-MANAGER',
          referenceType: 'purl',
          referenceLocator:
            'pkg:deb/ubuntu/bsdutils@1:2.31.1-0.4ubuntu3.4?arch=amd64&upstream=util-linux%402.31.1-0.4ubuntu3.4&distro=ubuntu-18.04',
        },
      ],
    },
    {
      name: 'libssl1.1',
      SPDXID: 'SPDXRef-Package-deb-libssl1.1-0c4e2b7a9d1f3e5c',
      versionInfo: '1.1.1-1ubuntu2.1~18.04.4',
      supplier: 'Person: Ubuntu Developers (ubuntu-devel-discuss@lists.ubuntu.com)',
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      licenseConcluded: 'NOASSERTION',
      licenseDeclared: 'NOASSERTION',
      copyrightText: 'NOASSERTION',
      externalRefs: [
        {
          referenceCategory: 'PACKAGE-MANAGER',
          referenceType: 'purl',
          referenceLocator: 'pkg:deb/ubuntu/libssl1.1@1.1.1-1ubuntu2.1~18.04.4?arch=amd64&upstream=openssl&distro=ubuntu-18.04',
        },
      ],
    },
    {
      name: 'ubuntu',
      SPDXID: 'SPDXRef-OperatingSystem-4a8c0e1b2d3f5a6c',
      versionInfo: '18.04',
      supplier: 'NOASSERTION',
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      licenseConcluded: 'NOASSERTION',
      licenseDeclared: 'NOASSERTION',
      copyrightText: 'NOASSERTION',
      externalRefs: [
        {
          referenceCategory: 'SECURITY',
          referenceType: 'cpe23Type',
          referenceLocator: 'cpe:2.3:o:canonical:ubuntu_linux:18.04:*:*:*:*:*:*:*',
        },
      ],
      primaryPackagePurpose: 'OPERATING-SYSTEM',
      description: 'Ubuntu 18.04.6 LTS',
    },
    {
      name: 'ubuntu:18.04',
      SPDXID: 'SPDXRef-DocumentRoot-Image-ubuntu-18.04',
      versionInfo: 'sha256:f9a80a55f492e823bf5d51f1bd5f87ea3eed1cb31788686aa99a2fb61a27af6a',
      supplier: 'NOASSERTION',
      downloadLocation: 'NOASSERTION',
      primaryPackagePurpose: 'CONTAINER',
      checksums: [{ algorithm: 'SHA256', checksumValue: 'f9a80a55f492e823bf5d51f1bd5f87ea3eed1cb31788686aa99a2fb61a27af6a' }],
      externalRefs: [
        {
          referenceCategory: 'PACKAGE-MANAGER',
          referenceType: 'purl',
          referenceLocator: 'pkg:oci/ubuntu@sha256%3Af9a80a55f492e823?arch=amd64&tag=18.04',
        },
      ],
    },
  ],
  relationships: [
    {
      spdxElementId: 'SPDXRef-DocumentRoot-Image-ubuntu-18.04',
      relatedSpdxElement: 'SPDXRef-Package-deb-bsdutils-5b2f0d3c1e7a9b4d',
      relationshipType: 'CONTAINS',
    },
    { spdxElementId: 'SPDXRef-DOCUMENT', relatedSpdxElement: 'SPDXRef-DocumentRoot-Image-ubuntu-18.04', relationshipType: 'DESCRIBES' },
  ],
});

// SPDX 2.2 spelling (PACKAGE_MANAGER), e.g. from the GitHub dependency-graph export.
const GITHUB_22 = JSON.stringify({
  spdxVersion: 'SPDX-2.2',
  dataLicense: 'CC0-1.0',
  SPDXID: 'SPDXRef-DOCUMENT',
  name: 'com.github.acme/webapp',
  documentNamespace: 'https://spdx.org/spdxdocs/protobom/4b6d2e1c',
  documentDescribes: ['SPDXRef-com.github.acme-webapp'],
  creationInfo: { creators: ['Tool: protobom-v0.0.13', 'Tool: GitHub.com-Dependency-Graph'], created: '2024-03-01T12:00:00Z' },
  packages: [
    {
      SPDXID: 'SPDXRef-com.github.acme-webapp',
      name: 'com.github.acme/webapp',
      versionInfo: '',
      downloadLocation: 'git+https://github.com/acme/webapp',
      externalRefs: [{ referenceCategory: 'PACKAGE_MANAGER', referenceType: 'purl', referenceLocator: 'pkg:github/acme/webapp' }],
    },
    {
      SPDXID: 'SPDXRef-pip-Django-3.2.12',
      name: 'pip:Django',
      versionInfo: '3.2.12',
      downloadLocation: 'NOASSERTION',
      externalRefs: [{ referenceCategory: 'PACKAGE_MANAGER', referenceType: 'purl', referenceLocator: 'pkg:pypi/Django@3.2.12' }],
    },
    {
      SPDXID: 'SPDXRef-maven-log4j',
      name: 'maven:org.apache.logging.log4j:log4j-core',
      versionInfo: '2.14.1',
      downloadLocation: 'NOASSERTION',
      externalRefs: [
        { referenceCategory: 'PACKAGE_MANAGER', referenceType: 'purl', referenceLocator: 'pkg:maven/org.apache.logging.log4j/log4j-core' },
      ],
    },
    { SPDXID: 'SPDXRef-actions-checkout', name: 'actions:actions/checkout', versionInfo: '4.*.*', downloadLocation: 'NOASSERTION' },
    {
      SPDXID: 'SPDXRef-two-purls',
      name: 'two',
      versionInfo: '1.0.0',
      externalRefs: [
        { referenceCategory: 'PACKAGE_MANAGER', referenceType: 'purl', referenceLocator: 'pkg:generic/two@1.0.0' },
        { referenceCategory: 'PACKAGE_MANAGER', referenceType: 'purl', referenceLocator: 'pkg:cargo/two@1.0.0' },
      ],
    },
  ],
});

describe('parseSpdxJson', () => {
  it('syft image SBOM: deb packages, OS package gives the distro, document root skipped', () => {
    expect(parseSpdxJson(SYFT_UBUNTU, 'sbom.spdx.json')).toEqual({
      type: 'spdx-json',
      packages: [
        {
          ecosystem: 'Ubuntu',
          name: 'bsdutils',
          version: '1:2.31.1-0.4ubuntu3.4',
          source: { name: 'util-linux', version: '2.31.1-0.4ubuntu3.4' },
          arch: 'amd64',
          location: 'packages[0]',
        },
        {
          ecosystem: 'Ubuntu',
          name: 'libssl1.1',
          version: '1.1.1-1ubuntu2.1~18.04.4',
          source: { name: 'openssl', version: '1.1.1-1ubuntu2.1~18.04.4' },
          arch: 'amd64',
          location: 'packages[1]',
        },
      ],
      warnings: [],
      distro: { id: 'ubuntu', versionId: '18.04', evidence: 'OPERATING-SYSTEM package ubuntu 18.04 (packages[2])' },
    });
  });

  it('without an OS package, purl distro qualifiers give the distro', () => {
    const doc = JSON.parse(SYFT_UBUNTU) as { packages: unknown[] };
    doc.packages.splice(2, 1);
    expect(parseSpdxJson(JSON.stringify(doc), 'x.json').distro).toEqual({
      id: 'ubuntu',
      versionId: '18.04',
      evidence: 'purl distro qualifier ubuntu-18.04 (on 2 package(s))',
    });
  });

  it('SPDX 2.2 PACKAGE_MANAGER refs, versionInfo fallback, documentDescribes subject skipped', () => {
    const result = parseSpdxJson(GITHUB_22, 'deps.spdx.json');
    expect(result.packages).toEqual([
      { ecosystem: 'PyPI', name: 'django', version: '3.2.12', location: 'packages[1]' },
      { ecosystem: 'Maven', name: 'org.apache.logging.log4j:log4j-core', version: '2.14.1', location: 'packages[2]' },
      { ecosystem: 'crates.io', name: 'two', version: '1.0.0', location: 'packages[4]' },
    ]);
    expect(result.warnings).toEqual(['packages[3] "actions:actions/checkout": no purl external reference, skipped']);
    expect(result.distro).toBeUndefined();
  });

  it('other spdxVersions warn; no packages is empty', () => {
    expect(parseSpdxJson('{"spdxVersion":"SPDX-2.1","SPDXID":"SPDXRef-DOCUMENT"}', 'x.json')).toEqual({
      type: 'spdx-json',
      packages: [],
      warnings: ['spdxVersion "SPDX-2.1" is not SPDX-2.2 or SPDX-2.3; read as 2.3'],
    });
  });

  it('not SPDX JSON: InventoryParseError naming the file', () => {
    expect(() => parseSpdxJson('', 's.json')).toThrow(/^s\.json: empty file/);
    expect(() => parseSpdxJson('\u0089PNG\r\n\u001a\n\u0000\u0000', 's.json')).toThrow(/^s\.json: not a text file/);
    expect(() => parseSpdxJson('{"spdxVersion": ', 's.json')).toThrow(/^s\.json: not valid JSON/);
    expect(() => parseSpdxJson('SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n', 's.spdx')).toThrow(InventoryParseError);
    expect(() => parseSpdxJson('{"bomFormat":"CycloneDX","specVersion":"1.5"}', 'bom.json')).toThrow(
      /^bom\.json: not an SPDX 2\.x JSON document: no spdxVersion$/,
    );
    expect(() => parseSpdxJson('{"spdxVersion":"SPDX-3.0"}', 's.json')).toThrow(/spdxVersion is "SPDX-3\.0"/);
    expect(() => parseSpdxJson('"SPDX-2.3"', 's.json')).toThrow(/top level is not a JSON object/);
    expect(() => parseSpdxJson('{"spdxVersion":"SPDX-2.3","packages":{"a":1}}', 's.json')).toThrow(/^s\.json: .*packages is not an array/);
  });

  it('prototype keys and junk entries', () => {
    const result = parseSpdxJson(
      '{"spdxVersion":"SPDX-2.3","__proto__":{"polluted":true},"packages":[1,{"name":"a","externalRefs":"x"},' +
        '{"__proto__":{"externalRefs":[]},"name":"b","externalRefs":[{"referenceCategory":"SECURITY","referenceType":"purl","referenceLocator":"pkg:npm/b@1"}]},' +
        '{"name":"c","externalRefs":[{"referenceType":"purl","referenceLocator":"pkg:npm/c@2"}]},' +
        '{"name":"d","versionInfo":"NOASSERTION","externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"pkg:npm/d"}]}]}',
      'x.json',
    );
    expect(result.packages).toEqual([{ ecosystem: 'npm', name: 'c', version: '2', location: 'packages[3]' }]);
    expect(result.warnings).toEqual([
      'packages[0]: not an object, skipped',
      'packages[1] "a": no purl external reference, skipped',
      'packages[2] "b": no purl external reference, skipped',
      'packages[4] "d": no version in "pkg:npm/d", skipped',
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a 10 MB single line; 200,000 packages', () => {
    const longLine = JSON.stringify({
      spdxVersion: 'SPDX-2.3',
      packages: [
        {
          name: 'x',
          description: 'd'.repeat(10_000_000),
          externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: 'pkg:gem/x@1.0' }],
        },
      ],
    });
    expect(parseSpdxJson(longLine, 'long.json').packages).toEqual([
      { ecosystem: 'RubyGems', name: 'x', version: '1.0', location: 'packages[0]' },
    ]);
    const packages = Array.from({ length: 200_000 }, (_, i) => ({
      name: `p${i}`,
      SPDXID: `SPDXRef-Package-${i}`,
      versionInfo: '1.0.0',
      externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: `pkg:npm/p${i}@1.0.0` }],
    }));
    const big = parseSpdxJson(JSON.stringify({ spdxVersion: 'SPDX-2.3', packages }), 'big.json');
    expect(big.packages).toHaveLength(200_000);
    expect(big.packages[123_456]).toEqual({ ecosystem: 'npm', name: 'p123456', version: '1.0.0', location: 'packages[123456]' });
  });
});
