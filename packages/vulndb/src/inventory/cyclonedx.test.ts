import { describe, expect, it } from 'vitest';
import { parseCycloneDx } from './cyclonedx.ts';
import { InventoryParseError } from './model.ts';

// Shaped as `syft alpine:3.16 -o cyclonedx-json` writes it (syft 0.9x, CycloneDX 1.5).
const SYFT_ALPINE = JSON.stringify({
  $schema: 'http://cyclonedx.org/schema/bom-1.5.schema.json',
  bomFormat: 'CycloneDX',
  specVersion: '1.5',
  serialNumber: 'urn:uuid:0b5e4a9d-6a5c-4e6a-9b7e-2f1f0a4b8c11',
  version: 1,
  metadata: {
    timestamp: '2023-11-20T10:15:42Z',
    tools: { components: [{ type: 'application', author: 'anchore', name: 'syft', version: '0.98.0' }] },
    component: {
      'bom-ref': 'e2b1c1ad2a3c4f2f',
      type: 'container',
      name: 'alpine',
      version: 'sha256:9c6f0724472873bb50a2ae67a9e7adcb57673a183cea8b06eb778dca859181b5',
      purl: 'pkg:oci/alpine@sha256%3A9c6f0724472873bb50a2ae67a9e7adcb57673a183cea8b06eb778dca859181b5?tag=3.16',
    },
  },
  components: [
    {
      'bom-ref': 'pkg:apk/alpine/busybox@1.35.0-r17?arch=x86_64&distro=alpine-3.16.2&package-id=4e1ad5c2a8b8c2a4',
      type: 'library',
      publisher: 'Sören Tempel <soeren+alpine@soeren-tempel.net>',
      name: 'busybox',
      version: '1.35.0-r17',
      description: 'Size optimized toolbox of many common UNIX utilities',
      licenses: [{ license: { id: 'GPL-2.0-only' } }],
      cpe: 'cpe:2.3:a:busybox:busybox:1.35.0-r17:*:*:*:*:*:*:*',
      purl: 'pkg:apk/alpine/busybox@1.35.0-r17?arch=x86_64&distro=alpine-3.16.2',
      externalReferences: [{ url: 'https://git.alpinelinux.org/aports', type: 'distribution' }],
      properties: [
        { name: 'syft:package:foundBy', value: 'apk-db-cataloger' },
        { name: 'syft:package:type', value: 'apk' },
        { name: 'syft:metadata:originPackage', value: 'busybox' },
      ],
    },
    {
      'bom-ref': 'pkg:apk/alpine/libcrypto1.1@1.1.1q-r0?arch=x86_64&upstream=openssl&distro=alpine-3.16.2&package-id=3c2b4b9e3a2f6d1e',
      type: 'library',
      name: 'libcrypto1.1',
      version: '1.1.1q-r0',
      cpe: 'cpe:2.3:a:libcrypto1.1:libcrypto1.1:1.1.1q-r0:*:*:*:*:*:*:*',
      purl: 'pkg:apk/alpine/libcrypto1.1@1.1.1q-r0?arch=x86_64&upstream=openssl&distro=alpine-3.16.2',
      properties: [{ name: 'syft:metadata:originPackage', value: 'openssl' }],
    },
    {
      'bom-ref': 'os:alpine@3.16.2',
      type: 'operating-system',
      name: 'alpine',
      version: '3.16.2',
      description: 'Alpine Linux v3.16',
      swid: { tagId: 'alpine', name: 'alpine', version: '3.16.2' },
      externalReferences: [{ url: 'https://gitlab.alpinelinux.org/alpine/aports/-/issues', type: 'issue-tracker' }],
      properties: [
        { name: 'syft:distro:id', value: 'alpine' },
        { name: 'syft:distro:prettyName', value: 'Alpine Linux v3.16' },
        { name: 'syft:distro:versionID', value: '3.16.2' },
      ],
    },
    { 'bom-ref': 'a1f0e2c9d8b7a6f5', type: 'file', name: '/bin/busybox', hashes: [{ alg: 'SHA-1', content: '9f3a1c2b' }] },
  ],
});

// Shaped as cdxgen writes a Node project (CycloneDX 1.6, nested components for a bundled package).
const CDXGEN_NPM = JSON.stringify({
  bomFormat: 'CycloneDX',
  specVersion: '1.6',
  serialNumber: 'urn:uuid:8a7c6e11-3f0d-4b8e-a0e4-95a1d7f3c2aa',
  version: 1,
  metadata: {
    timestamp: '2024-06-01T08:00:00Z',
    tools: {
      components: [
        { group: '@cyclonedx', name: 'cdxgen', version: '10.5.2', purl: 'pkg:npm/%40cyclonedx/cdxgen@10.5.2', type: 'application' },
      ],
    },
    component: {
      group: '',
      name: 'my-app',
      version: '1.0.0',
      type: 'application',
      purl: 'pkg:npm/my-app@1.0.0',
      'bom-ref': 'pkg:npm/my-app@1.0.0',
    },
  },
  components: [
    {
      group: '@babel',
      name: 'core',
      version: '7.23.2',
      scope: 'required',
      purl: 'pkg:npm/%40babel/core@7.23.2',
      type: 'library',
      'bom-ref': 'pkg:npm/@babel/core@7.23.2',
      components: [{ name: 'json5', version: '2.2.3', purl: 'pkg:npm/json5@2.2.3', type: 'library', 'bom-ref': 'pkg:npm/json5@2.2.3' }],
    },
    { name: 'lodash', version: '4.17.20', purl: 'pkg:npm/lodash', type: 'library', 'bom-ref': 'pkg:npm/lodash@4.17.20' },
    { name: 'internal-tool', version: '0.1.0', type: 'library', 'bom-ref': 'internal-tool@0.1.0' },
    { name: 'zlib', version: '1.3', purl: 'pkg:generic/zlib@1.3', type: 'library', 'bom-ref': 'pkg:generic/zlib@1.3' },
    { name: 'bad', version: '1', purl: 'pkg:npm/%zz@1', type: 'library' },
  ],
});

describe('parseCycloneDx', () => {
  it('syft image SBOM: apk packages, OS component gives the distro, files and subject skipped', () => {
    const result = parseCycloneDx(SYFT_ALPINE, 'sbom.cdx.json');
    expect(result).toEqual({
      type: 'cyclonedx-json',
      packages: [
        { ecosystem: 'Alpine', name: 'busybox', version: '1.35.0-r17', arch: 'x86_64', location: 'components[0]' },
        {
          ecosystem: 'Alpine',
          name: 'libcrypto1.1',
          version: '1.1.1q-r0',
          arch: 'x86_64',
          source: { name: 'openssl', version: '1.1.1q-r0' },
          location: 'components[1]',
        },
      ],
      warnings: [],
      distro: { id: 'alpine', versionId: '3.16.2', evidence: 'operating-system component alpine 3.16.2 (components[2])' },
    });
  });

  it('without an OS component, purl distro qualifiers give the distro', () => {
    const doc = JSON.parse(SYFT_ALPINE) as { components: unknown[] };
    doc.components.splice(2, 1);
    expect(parseCycloneDx(JSON.stringify(doc), 'x.json').distro).toEqual({
      id: 'alpine',
      versionId: '3.16.2',
      evidence: 'purl distro qualifier alpine-3.16.2 (on 2 package(s))',
    });
  });

  it('cdxgen project SBOM: nested components, version from the component, warnings for the rest', () => {
    const result = parseCycloneDx(CDXGEN_NPM, 'bom.json');
    expect(result.packages).toEqual([
      { ecosystem: 'npm', name: '@babel/core', version: '7.23.2', location: 'components[0]' },
      { ecosystem: 'npm', name: 'json5', version: '2.2.3', location: 'components[0].components[0]' },
      { ecosystem: 'npm', name: 'lodash', version: '4.17.20', location: 'components[1]' },
    ]);
    expect(result.warnings).toEqual([
      'components[2] "internal-tool": no purl, skipped',
      'components[3] "zlib": "pkg:generic/zlib@1.3" does not map to an OSV ecosystem (type or vendor not covered, or a required namespace missing), skipped',
      'components[4] "bad": bad percent-encoding in the name in "pkg:npm/%zz@1", skipped',
    ]);
    expect(result.distro).toBeUndefined();
  });

  it('spec versions 1.2–1.6 read silently, others with a warning; no components is empty', () => {
    for (const v of ['1.2', '1.3', '1.4', '1.5', '1.6']) {
      expect(parseCycloneDx(`{"bomFormat":"CycloneDX","specVersion":"${v}","version":1}`, 'x.json')).toEqual({
        type: 'cyclonedx-json',
        packages: [],
        warnings: [],
      });
    }
    expect(parseCycloneDx('{"bomFormat":"CycloneDX","specVersion":"2.0","components":[]}', 'x.json').warnings).toEqual([
      'specVersion "2.0" is not 1.2–1.6; read as 1.6',
    ]);
  });

  it('not CycloneDX: InventoryParseError naming the file', () => {
    expect(() => parseCycloneDx('', 'bom.json')).toThrow(/^bom\.json: empty file/);
    expect(() => parseCycloneDx('\u0000\u0001\u0002\u0003garbage', 'bom.json')).toThrow(/^bom\.json: not a text file/);
    expect(() => parseCycloneDx('{"bomFormat": "CycloneDX", ', 'bom.json')).toThrow(/^bom\.json: not valid JSON/);
    expect(() => parseCycloneDx('<bom xmlns="http://cyclonedx.org/schema/bom/1.5"/>', 'bom.xml')).toThrow(InventoryParseError);
    expect(() => parseCycloneDx('{"spdxVersion":"SPDX-2.3","packages":[]}', 'sbom.json')).toThrow(
      /^sbom\.json: not a CycloneDX JSON SBOM: no bomFormat, not "CycloneDX"$/,
    );
    expect(() => parseCycloneDx('[1,2]', 'a.json')).toThrow(/top level is not a JSON object/);
    expect(() => parseCycloneDx('{"bomFormat":"CycloneDX","components":{}}', 'a.json')).toThrow(/^a\.json: .*components is not an array/);
  });

  it('prototype keys and junk entries', () => {
    const result = parseCycloneDx(
      '{"bomFormat":"CycloneDX","specVersion":"1.5","__proto__":{"polluted":true},"components":[7,null,' +
        '{"__proto__":{"purl":"pkg:npm/evil@1"},"name":"x"},{"name":"y","purl":42},{"name":"z","purl":"pkg:npm/z@1","components":"no"}]}',
      'x.json',
    );
    expect(result.packages).toEqual([{ ecosystem: 'npm', name: 'z', version: '1', location: 'components[4]' }]);
    expect(result.warnings).toEqual([
      'components[0]: not an object, skipped',
      'components[1]: not an object, skipped',
      'components[2] "x": no purl, skipped',
      'components[3] "y": purl is not a string, skipped',
      'components[4]: components is not an array, ignored',
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('deep nesting does not exhaust the stack; a 10 MB single line; 200,000 components', () => {
    const depth = 100_000;
    const deepText = `{"bomFormat":"CycloneDX","specVersion":"1.5","components":[${'{"type":"file","components":['.repeat(depth)}{"name":"leaf","purl":"pkg:cargo/leaf@1.0.0"}${']}'.repeat(depth)}]}`;
    const deep = parseCycloneDx(deepText, 'deep.json');
    expect(deep.packages.map((p) => p.name)).toEqual(['leaf']);

    const longLine = JSON.stringify({
      bomFormat: 'CycloneDX',
      specVersion: '1.5',
      components: [{ name: 'x', purl: `pkg:npm/${'a'.repeat(10_000_000)}@1` }],
    });
    expect(parseCycloneDx(longLine, 'long.json').packages[0]?.name).toHaveLength(10_000_000);

    const components = Array.from({ length: 200_000 }, (_, i) => ({
      type: 'library',
      name: `p${i}`,
      version: '1.0.0',
      purl: `pkg:npm/p${i}@1.0.0`,
    }));
    const big = parseCycloneDx(JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', components }), 'big.json');
    expect(big.packages).toHaveLength(200_000);
    expect(big.packages[199_999]).toEqual({ ecosystem: 'npm', name: 'p199999', version: '1.0.0', location: 'components[199999]' });
  });
});
