import { describe, expect, it } from 'vitest';
import { InventoryParseError } from './model.ts';
import { MAX_LOCATION, parsePnpmLock } from './pnpm-lock.ts';

// pnpm 7: lockfileVersion 5.4, `/name/version_peers` keys, a `dev` field on every package.
const V5 = `lockfileVersion: 5.4

specifiers:
  '@babel/core': ^7.20.12
  is-even: github:jonschlinkert/is-even
  lodash: ^4.17.21
  my-utils: link:../my-utils
  react: ^18.2.0
  react-dom: ^18.2.0
  styled-jsx: 5.1.1
  typescript: ^4.9.5

dependencies:
  is-even: github.com/jonschlinkert/is-even/7e2ad4bd9c94f5e1a7a8d5ee1f0cca3e4e2b0b9b
  lodash: 4.17.21
  my-utils: link:../my-utils
  react: 18.2.0
  react-dom: 18.2.0_react@18.2.0
  styled-jsx: 5.1.1_react@18.2.0

devDependencies:
  '@babel/core': 7.20.12
  typescript: 4.9.5

packages:

  /@babel/core/7.20.12:
    resolution: {integrity: sha512-XsMfHovsUYHFMdrIHkZphTN/2Hzzi78R08NuHfDBehym2VsPDL6Zn/JAD/JQdnRvbSsbQc4mVaU1m6JgtTEElg==}
    engines: {node: '>=6.9.0'}
    dependencies:
      js-tokens: 4.0.0
    transitivePeerDependencies:
      - supports-color
    dev: true

  /js-tokens/4.0.0:
    resolution: {integrity: sha512-RdJUflcE3cUzKiMqQgsCu06FHu9+SHpBmkW0mBVhs3Q+KAJjsNCeQBuDNSVEp6zoLvQ70NJUJWoZPjzB4pN5sg==}

  /lodash/4.17.21:
    resolution: {integrity: sha512-v2kDEe57lecTulaDIuNTPy3Ry4gLGJ6Z1O3vE1krgXZNrsQ+LFTGHVxVjcXPs17LhbZVGedAJv8XZ1tvj5FvSg==}
    dev: false

  /loose-envify/1.4.0:
    resolution: {integrity: sha512-lyuxPGr/Wfhrlem2CL/UcnUc1zcqKAImBDzukY7Y5F/yQiNdko6+fRLevlw1HgMySw7f611UIY408EtxRSoK3Q==}
    hasBin: true
    dependencies:
      js-tokens: 4.0.0
    dev: false

  /react-dom/18.2.0_react@18.2.0:
    resolution: {integrity: sha512-6IMTriUmvsjHUjNtEDudZfuDQUoWXVxKHhlEGSk81n4YFS+r/Kl99wXiwlVXtPBtJenozv2P+hxDsw9eA7Xo6g==}
    peerDependencies:
      react: ^18.2.0
    dependencies:
      loose-envify: 1.4.0
      react: 18.2.0
      scheduler: 0.23.0
    dev: false

  /react/18.2.0:
    resolution: {integrity: sha512-/3IjMdb2L9QbBdWiW5e3P2/npwMBaU9mHCSCUzNln0ZCYbcfTsGbTJrU/kGemdH2IWmB2ioZ+zkxtmq6g09fGQ==}
    engines: {node: '>=0.10.0'}
    dependencies:
      loose-envify: 1.4.0
    dev: false

  /scheduler/0.23.0:
    resolution: {integrity: sha512-CtuThmgHNg7zIZWAXi3AsyIzA3n4xx7aNyjwC2VJldO2LMVDhFK+63xGqq6CsJH4rTAt6/M+N4GhZiDYPx9eUw==}
    dependencies:
      loose-envify: 1.4.0
    dev: false

  /styled-jsx/5.1.1_@babel+core@7.20.12+react@18.2.0:
    resolution: {integrity: sha512-pW7uC1l4mBZ8ugbiZrcIsiIvVx1UmTfw7UkC3Um2tmfUq9Bhk8IiyEIPl6F8agHgjzku6j0xQEZbfA5uSgSaCw==}
    engines: {node: '>= 12.0.0'}
    peerDependencies:
      '@babel/core': '*'
      react: '>= 16.8.0 || 17.x.x || ^18.0.0-0'
    dependencies:
      '@babel/core': 7.20.12
      react: 18.2.0
    dev: true

  /styled-jsx/5.1.1_react@18.2.0:
    resolution: {integrity: sha512-pW7uC1l4mBZ8ugbiZrcIsiIvVx1UmTfw7UkC3Um2tmfUq9Bhk8IiyEIPl6F8agHgjzku6j0xQEZbfA5uSgSaCw==}
    engines: {node: '>= 12.0.0'}
    peerDependencies:
      react: '>= 16.8.0 || 17.x.x || ^18.0.0-0'
    dependencies:
      react: 18.2.0
    dev: false

  /typescript/4.9.5:
    resolution: {integrity: sha512-1FXk9E2Hm+QzZQ7z+McJiHL4NW1F2EzMu9Nq9i3zAaGqibafqYwCVU6WyWAuyQRRzOlxou8xZSyXLEN8oKj24g==}
    engines: {node: '>=4.2.0'}
    hasBin: true
    dev: true

  github.com/jonschlinkert/is-even/7e2ad4bd9c94f5e1a7a8d5ee1f0cca3e4e2b0b9b:
    resolution: {tarball: https://codeload.github.com/jonschlinkert/is-even/tar.gz/7e2ad4bd9c94f5e1a7a8d5ee1f0cca3e4e2b0b9b}
    name: is-even
    version: 1.0.0
    dev: false
`;

// pnpm 8: lockfileVersion '6.0', `/name@version(peers)` keys.
const V6 = `lockfileVersion: '6.0'

settings:
  autoInstallPeers: true
  excludeLinksFromLockfile: false

dependencies:
  react-dom:
    specifier: ^18.2.0
    version: 18.2.0(react@18.2.0)
  vendored:
    specifier: file:vendor/vendored
    version: file:vendor/vendored

devDependencies:
  '@types/react':
    specifier: ^18.2.48
    version: 18.2.48

packages:

  /@types/prop-types@15.7.11:
    resolution: {integrity: sha512-ga8y9v9uyeiLdpKddhxYQkjNDrfvVBpuFyhs+gaJGuHh8WoLODgpIyJX3eapIMPsGDKFMW0fS8V3OODcn+h4SaXvEsg==}
    dev: true

  /@types/react@18.2.48:
    resolution: {integrity: sha512-qboRCl6Ie70DQQG9hhNREz81jqC1cs9EVNcjQ1AU+jH6NFfSAhVVbrrY/+nSF+Bsk4AOwm9Qa61InvMCyV+H3w==}
    dependencies:
      '@types/prop-types': 15.7.11
      '@types/scheduler': 0.16.8
      csstype: 3.1.3
    dev: true

  /@types/scheduler@0.16.8:
    resolution: {integrity: sha512-WZLiwShhwLRmeV6zH+GkbOFT6Z6VklCItrDioxUnv+u4Ll+8vKeFySoFyK/0ctcRpOmwAicELfmys1sDc/Rw+A==}
    dev: true

  /csstype@3.1.3:
    resolution: {integrity: sha512-M1uQkMl8rQK/szD0LNhtqxIPLpimGm8sOBwU7lLnCpSbTyY3yeU1Vc7l4KT5zT4s/yOxHH5O7tIuuLOCnLADRw==}
    dev: true

  /js-tokens@4.0.0:
    resolution: {integrity: sha512-RdJUflcE3cUzKiMqQgsCu06FHu9+SHpBmkW0mBVhs3Q+KAJjsNCeQBuDNSVEp6zoLvQ70NJUJWoZPjzB4pN5sg==}
    dev: false

  /loose-envify@1.4.0:
    resolution: {integrity: sha512-lyuxPGr/Wfhrlem2CL/UcnUc1zcqKAImBDzukY7Y5F/yQiNdko6+fRLevlw1HgMySw7f611UIY408EtxRSoK3Q==}
    hasBin: true
    dependencies:
      js-tokens: 4.0.0
    dev: false

  /react-dom@18.2.0(react@18.2.0):
    resolution: {integrity: sha512-6IMTriUmvsjHUjNtEDudZfuDQUoWXVxKHhlEGSk81n4YFS+r/Kl99wXiwlVXtPBtJenozv2P+hxDsw9eA7Xo6g==}
    peerDependencies:
      react: ^18.2.0
    dependencies:
      loose-envify: 1.4.0
      react: 18.2.0
      scheduler: 0.23.0
    dev: false

  /react@18.2.0:
    resolution: {integrity: sha512-/3IjMdb2L9QbBdWiW5e3P2/npwMBaU9mHCSCUzNln0ZCYbcfTsGbTJrU/kGemdH2IWmB2ioZ+zkxtmq6g09fGQ==}
    engines: {node: '>=0.10.0'}
    dependencies:
      loose-envify: 1.4.0
    dev: false

  /scheduler@0.23.0:
    resolution: {integrity: sha512-CtuThmgHNg7zIZWAXi3AsyIzA3n4xx7aNyjwC2VJldO2LMVDhFK+63xGqq6CsJH4rTAt6/M+N4GhZiDYPx9eUw==}
    dependencies:
      loose-envify: 1.4.0
    dev: false

  file:vendor/vendored:
    resolution: {directory: vendor/vendored, type: directory}
    name: vendored
    version: 1.0.0
    dev: false
`;

// pnpm 9: lockfileVersion '9.0', `packages` without peers, `snapshots` with them, no dev field.
const V9 = `lockfileVersion: '9.0'

settings:
  autoInstallPeers: true
  excludeLinksFromLockfile: false

importers:

  .:
    dependencies:
      '@acme/private-pkg':
        specifier: ^2.0.0
        version: 2.0.0
      is-even:
        specifier: github:jonschlinkert/is-even
        version: https://codeload.github.com/jonschlinkert/is-even/tar.gz/7e2ad4bd9c94f5e1a7a8d5ee1f0cca3e4e2b0b9b
      left-pad:
        specifier: git+https://git.example.com/left-pad.git#v1.3.0
        version: git+https://git.example.com/left-pad.git#5f1b9b5e6dd1c6b6a8c4c7d3b8e8e6e8b7c6a5f4
      my-utils:
        specifier: link:../my-utils
        version: link:../my-utils
      react-dom:
        specifier: ^18.3.1
        version: 18.3.1(react@18.3.1)
      string-width-cjs:
        specifier: npm:string-width@^4.2.0
        version: string-width@4.2.3
    devDependencies:
      js-tokens:
        specifier: ^4.0.0
        version: 4.0.0
      typescript:
        specifier: ^5.4.5
        version: 5.4.5

  packages/ui:
    dependencies:
      react:
        specifier: ^18.3.1
        version: 18.3.1
    devDependencies:
      '@types/react':
        specifier: ^18.3.3
        version: 18.3.3

packages:

  '@acme/private-pkg@2.0.0':
    resolution: {integrity: sha512-7Yp2m7b1cHk0XbQm5nD1b2bR3tJ0h5Zl1uDkBq6Yl5H5S2m0qQnV8cQb3k4uC9rX2pP4zXW1yQy8b8aU1cYx0w==, tarball: https://npm.pkg.github.com/download/@acme/private-pkg/2.0.0/8c1e4b1a2f}

  '@types/prop-types@15.7.12':
    resolution: {integrity: sha512-5zvhXYtRNRluoE/jAp4GVsSduVUzNWKkOZrCDBWYtE7biZywwdC2AcEzg+cSMLFRfVgeAFqpfNabiPjxFddV1Q==}

  '@types/react@18.3.3':
    resolution: {integrity: sha512-hti/R0pS0q1/xx+TsI73XIqk26eBsISZ2R0wUijXIngRK9R/e7Xw/cXVxQK7R5JjW+SV4zGcn5hXjudkN/pLIw==}

  csstype@3.1.3:
    resolution: {integrity: sha512-M1uQkMl8rQK/szD0LNhtqxIPLpimGm8sOBwU7lLnCpSbTyY3yeU1Vc7l4KT5zT4s/yOxHH5O7tIuuLOCnLADRw==}

  emoji-regex@8.0.0:
    resolution: {integrity: sha512-MSjYzcWNOA0ewAHpz0MxpYFvwg6yjy1NG3xteoqz644VCo/RPgnr1/GGt+ic3iJTzQ8Eu3TdM14SawnVUmGE6A==}

  is-even@https://codeload.github.com/jonschlinkert/is-even/tar.gz/7e2ad4bd9c94f5e1a7a8d5ee1f0cca3e4e2b0b9b:
    resolution: {tarball: https://codeload.github.com/jonschlinkert/is-even/tar.gz/7e2ad4bd9c94f5e1a7a8d5ee1f0cca3e4e2b0b9b}
    version: 1.0.0

  js-tokens@4.0.0:
    resolution: {integrity: sha512-RdJUflcE3cUzKiMqQgsCu06FHu9+SHpBmkW0mBVhs3Q+KAJjsNCeQBuDNSVEp6zoLvQ70NJUJWoZPjzB4pN5sg==}

  left-pad@git+https://git.example.com/left-pad.git#5f1b9b5e6dd1c6b6a8c4c7d3b8e8e6e8b7c6a5f4:
    resolution: {commit: 5f1b9b5e6dd1c6b6a8c4c7d3b8e8e6e8b7c6a5f4, repo: https://git.example.com/left-pad.git, type: git}
    version: 1.3.0

  loose-envify@1.4.0:
    resolution: {integrity: sha512-lyuxPGr/Wfhrlem2CL/UcnUc1zcqKAImBDzukY7Y5F/yQiNdko6+fRLevlw1HgMySw7f611UIY408EtxRSoK3Q==}
    hasBin: true

  orphan@1.0.0:
    resolution: {integrity: sha512-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==}

  react-dom@18.3.1:
    resolution: {integrity: sha512-5m4nQKp+rZRb09LNH59GM4BxTh9251/ylbKIbpe7TpGxfJ+9kv6BLkLBXIjjspbgbnIBNqlI23tRnTWT0snUIw==}
    peerDependencies:
      react: ^18.3.1

  react@18.3.1:
    resolution: {integrity: sha512-wS+hAgJShR0KhEvPJArfuPVN1+Hz1t0Y6n5jLrGQbkb4urgPE/0Rve+1kMB1v/oWgHgm4WIcV+i7F2pTVj+2iQ==}
    engines: {node: '>=0.10.0'}

  scheduler@0.23.2:
    resolution: {integrity: sha512-UOShsPwz7NrMUqhR6t0hWjFduvOzbtv7toDH1/hIrfRNIDBnnBWd0CwJTGvTpngVlmwGCdP9/Zl/tVrDqcuYzQ==}

  string-width@4.2.3:
    resolution: {integrity: sha512-wKyQRQpjJ0sIp62ErSZdGsjMJWsap5oRNihHhu6G7JVO/9jIB6UyevL+tXuOqrng8j/cxKTWyWUwvSTriiZz/g==}
    engines: {node: '>=8'}

  typescript@5.4.5:
    resolution: {integrity: sha512-vcI4UpRgg81oIRUFwR0WSIHKt11nJ7SAVlYNIu+QpqeyXP+gpQJy/Z4+F0aGxSE4MqwjyXvW/TzgkLAx2AGHwQ==}
    engines: {node: '>=14.17'}
    hasBin: true

snapshots:

  '@acme/private-pkg@2.0.0': {}

  '@types/prop-types@15.7.12': {}

  '@types/react@18.3.3':
    dependencies:
      '@types/prop-types': 15.7.12
      csstype: 3.1.3

  csstype@3.1.3: {}

  emoji-regex@8.0.0: {}

  is-even@https://codeload.github.com/jonschlinkert/is-even/tar.gz/7e2ad4bd9c94f5e1a7a8d5ee1f0cca3e4e2b0b9b: {}

  js-tokens@4.0.0: {}

  left-pad@git+https://git.example.com/left-pad.git#5f1b9b5e6dd1c6b6a8c4c7d3b8e8e6e8b7c6a5f4: {}

  loose-envify@1.4.0:
    dependencies:
      js-tokens: 4.0.0

  orphan@1.0.0: {}

  react-dom@18.3.1(react@18.3.1):
    dependencies:
      loose-envify: 1.4.0
      react: 18.3.1
      scheduler: 0.23.2

  react@18.3.1:
    dependencies:
      loose-envify: 1.4.0

  scheduler@0.23.2:
    dependencies:
      loose-envify: 1.4.0

  string-width@4.2.3:
    optionalDependencies:
      emoji-regex: 8.0.0

  typescript@5.4.5: {}
`;

type Expected = { name: string; version: string; location: string; dev?: boolean };
const npm = ({ name, version, location, dev }: Expected) => ({ ecosystem: 'npm', name, version, location, ...(dev ? { dev } : {}) });

describe('parsePnpmLock on lockfileVersion 5.4', () => {
  const result = parsePnpmLock(V5, 'pnpm-lock.yaml');

  it('registry packages with `_peer` suffixes stripped, deduplicated; dev from the dev field', () => {
    expect(result.type).toBe('pnpm-lock.yaml');
    expect(result.packages).toEqual(
      [
        { name: '@babel/core', version: '7.20.12', location: '/@babel/core/7.20.12', dev: true },
        { name: 'js-tokens', version: '4.0.0', location: '/js-tokens/4.0.0' },
        { name: 'lodash', version: '4.17.21', location: '/lodash/4.17.21' },
        { name: 'loose-envify', version: '1.4.0', location: '/loose-envify/1.4.0' },
        { name: 'react-dom', version: '18.2.0', location: '/react-dom/18.2.0_react@18.2.0' },
        { name: 'react', version: '18.2.0', location: '/react/18.2.0' },
        { name: 'scheduler', version: '0.23.0', location: '/scheduler/0.23.0' },
        // The dev copy comes first; the production copy makes it a production package.
        { name: 'styled-jsx', version: '5.1.1', location: '/styled-jsx/5.1.1_@babel+core@7.20.12+react@18.2.0' },
        { name: 'typescript', version: '4.9.5', location: '/typescript/4.9.5', dev: true },
      ].map(npm),
    );
  });

  it('a git tarball id is a warning', () => {
    expect(result.warnings).toEqual([
      '"github.com/jonschlinkert/is-even/7e2ad4bd9c94f5e1a7a8d5ee1f0cca3e4e2b0b9b": not a registry package id, skipped',
    ]);
  });
});

describe('parsePnpmLock on lockfileVersion 6.0', () => {
  const result = parsePnpmLock(V6, 'pnpm-lock.yaml');

  it('`/name@version(peers)` keys, scoped names, dev field', () => {
    expect(result.packages).toEqual(
      [
        { name: '@types/prop-types', version: '15.7.11', location: '/@types/prop-types@15.7.11', dev: true },
        { name: '@types/react', version: '18.2.48', location: '/@types/react@18.2.48', dev: true },
        { name: '@types/scheduler', version: '0.16.8', location: '/@types/scheduler@0.16.8', dev: true },
        { name: 'csstype', version: '3.1.3', location: '/csstype@3.1.3', dev: true },
        { name: 'js-tokens', version: '4.0.0', location: '/js-tokens@4.0.0' },
        { name: 'loose-envify', version: '1.4.0', location: '/loose-envify@1.4.0' },
        { name: 'react-dom', version: '18.2.0', location: '/react-dom@18.2.0(react@18.2.0)' },
        { name: 'react', version: '18.2.0', location: '/react@18.2.0' },
        { name: 'scheduler', version: '0.23.0', location: '/scheduler@0.23.0' },
      ].map(npm),
    );
    expect(result.warnings).toEqual(['"file:vendor/vendored": not a registry package id, skipped']);
  });

  it('nested peer suffixes and a directory resolution under a slash key', () => {
    const lock =
      "lockfileVersion: '6.1'\n\npackages:\n\n  /next@14.1.0(@babel/core@7.23.9)(react-dom@18.2.0(react@18.2.0))(react@18.2.0):\n" +
      '    resolution: {integrity: sha512-x}\n    dev: false\n\n  /local@1.0.0:\n    resolution: {directory: ../local, type: directory}\n    dev: false\n';
    const r = parsePnpmLock(lock, 'pnpm-lock.yaml');
    expect(r.packages.map((p) => `${p.name}@${p.version}`)).toEqual(['next@14.1.0']);
    expect(r.warnings).toEqual(['"/local@1.0.0": resolved from a local directory, skipped']);
  });
});

describe('parsePnpmLock on lockfileVersion 9.0', () => {
  const result = parsePnpmLock(V9, 'pnpm-lock.yaml');

  it('registry packages; dev derived from the importers through snapshots', () => {
    expect(result.packages).toEqual(
      [
        // A private registry's non-standard tarball URL does not make it a tarball dependency.
        { name: '@acme/private-pkg', version: '2.0.0', location: '@acme/private-pkg@2.0.0' },
        { name: '@types/prop-types', version: '15.7.12', location: '@types/prop-types@15.7.12', dev: true },
        { name: '@types/react', version: '18.3.3', location: '@types/react@18.3.3', dev: true },
        { name: 'csstype', version: '3.1.3', location: 'csstype@3.1.3', dev: true },
        // Reached through the alias string-width-cjs → string-width@4.2.3 and its optionalDependencies.
        { name: 'emoji-regex', version: '8.0.0', location: 'emoji-regex@8.0.0' },
        // A devDependency of the root, but also needed by loose-envify in production.
        { name: 'js-tokens', version: '4.0.0', location: 'js-tokens@4.0.0' },
        { name: 'loose-envify', version: '1.4.0', location: 'loose-envify@1.4.0' },
        // Not reachable from any importer: left unmarked.
        { name: 'orphan', version: '1.0.0', location: 'orphan@1.0.0' },
        { name: 'react-dom', version: '18.3.1', location: 'react-dom@18.3.1' },
        { name: 'react', version: '18.3.1', location: 'react@18.3.1' },
        { name: 'scheduler', version: '0.23.2', location: 'scheduler@0.23.2' },
        { name: 'string-width', version: '4.2.3', location: 'string-width@4.2.3' },
        { name: 'typescript', version: '5.4.5', location: 'typescript@5.4.5', dev: true },
      ].map(npm),
    );
  });

  it('tarball and git packages are warnings; link: importers are not packages', () => {
    expect(result.warnings).toEqual([
      // Keys in warnings are cut at 80 characters.
      '"is-even@https://codeload.github.com/jonschlinkert/is-even/tar.gz/7e2ad4bd9c94f5e…": not a registry package (https:), skipped',
      '"left-pad@git+https://git.example.com/left-pad.git#5f1b9b5e6dd1c6b6a8c4c7d3b8e8e6…": not a registry package (git+https:), skipped',
    ]);
  });

  it('without importers/snapshots nothing is marked dev; a file: package is a warning; no packages at all is empty', () => {
    const lock =
      "lockfileVersion: '9.0'\n\npackages:\n\n  a@1.0.0:\n    resolution: {integrity: sha512-x}\n\n  b@file:b:\n    resolution: {directory: b, type: directory}\n";
    const r = parsePnpmLock(lock, 'pnpm-lock.yaml');
    expect(r.packages).toEqual([{ ecosystem: 'npm', name: 'a', version: '1.0.0', location: 'a@1.0.0' }]);
    expect(r.warnings).toEqual(['"b@file:b": not a registry package (file:), skipped']);
    const empty =
      "lockfileVersion: '9.0'\n\nsettings:\n  autoInstallPeers: true\n  excludeLinksFromLockfile: false\n\nimporters:\n\n  .: {}\n";
    expect(parsePnpmLock(empty, 'pnpm-lock.yaml')).toEqual({ type: 'pnpm-lock.yaml', packages: [], warnings: [] });
  });

  it('pnpm 11+ two-document lockfile: the env document and the project document are both read', () => {
    const env = `---
lockfileVersion: '9.0'

importers:

  .:
    configDependencies: {}
    packageManagerDependencies:
      pnpm:
        specifier: 11.0.3
        version: 11.0.3

packages:

  pnpm@11.0.3:
    resolution: {integrity: sha512-3Cm5X6wq1XvxSeYzb6UuKmTzqZEnAPp6kSlhQ0aEHYuWeSSXMT0GszQyt6Kf2BZFnvAhUGUHj5F4CXuTQfW7sA==}
    engines: {node: '>=18.12'}
    hasBin: true

snapshots:

  pnpm@11.0.3: {}

---
`;
    const r = parsePnpmLock(env + V9, 'pnpm-lock.yaml');
    expect(r.packages[0]).toEqual({ ecosystem: 'npm', name: 'pnpm', version: '11.0.3', location: 'pnpm@11.0.3' });
    expect(r.packages.slice(1)).toEqual(result.packages);
  });
});

describe('parsePnpmLock on malformed and hostile input', () => {
  it('empty file and binary garbage name the file', () => {
    expect(() => parsePnpmLock('', 'pnpm-lock.yaml')).toThrow(InventoryParseError);
    expect(() => parsePnpmLock('\n  \n', 'pnpm-lock.yaml')).toThrow(/^pnpm-lock\.yaml: empty file/);
    expect(() => parsePnpmLock('# only a comment\n', 'pnpm-lock.yaml')).toThrow(/^pnpm-lock\.yaml: no YAML document/);
    const garbage = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00, 0xc3, 0x28]);
    expect(() => parsePnpmLock(garbage.toString('latin1'), 'pnpm-lock.yaml')).toThrow(/^pnpm-lock\.yaml: not a text file/);
    expect(() => parsePnpmLock(garbage.toString('utf8'), 'pnpm-lock.yaml')).toThrow(InventoryParseError);
  });

  it('invalid YAML', () => {
    expect(() => parsePnpmLock("lockfileVersion: '9.0'\npackages:\n  a@1.0.0:\n    resolution: {integrity: x\n", 'p.yaml')).toThrow(
      /^p\.yaml: not valid YAML, expected a pnpm-lock\.yaml/,
    );
    expect(() => parsePnpmLock("lockfileVersion: '9.0'\nlockfileVersion: '9.0\n", 'p.yaml')).toThrow(/not valid YAML/);
  });

  it('valid YAML or JSON that is not a pnpm lockfile, or an unknown version', () => {
    expect(() => parsePnpmLock('__metadata:\n  version: 8\n', 'yarn.lock')).toThrow(
      /^yarn\.lock: not a pnpm-lock\.yaml: no lockfileVersion/,
    );
    expect(() => parsePnpmLock('- a\n- b\n', 'x.yaml')).toThrow(/not a pnpm-lock\.yaml: the top level is not a mapping/);
    expect(() => parsePnpmLock('{"lockfileVersion": 3, "packages": {}}', 'package-lock.json')).toThrow(
      /unsupported lockfileVersion "3" \(5\.x, 6\.x and 9\.x are known\)/,
    );
    expect(() => parsePnpmLock("lockfileVersion: '7.0'\n", 'p.yaml')).toThrow(/unsupported lockfileVersion "7\.0"/);
    expect(() => parsePnpmLock('lockfileVersion: [9]\n', 'p.yaml')).toThrow(/unsupported lockfileVersion/);
    expect(() => parsePnpmLock("lockfileVersion: '9.0'\npackages:\n  - a@1.0.0\n", 'p.yaml')).toThrow(/packages is not a mapping/);
    expect(() => parsePnpmLock("lockfileVersion: '9.0'\n---\nfoo: 1\n", 'p.yaml')).toThrow(/no lockfileVersion/);
  });

  it('__proto__ and constructor as package names do not pollute', () => {
    const lock =
      "lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    devDependencies:\n      __proto__:\n        specifier: ^1.0.0\n        version: 1.0.0\n\n" +
      'packages:\n\n  __proto__@1.0.0:\n    resolution: {integrity: sha512-x}\n    polluted: true\n\n  constructor@2.0.0:\n    resolution: {integrity: sha512-x}\n\n' +
      'snapshots:\n\n  __proto__@1.0.0: {}\n\n  constructor@2.0.0: {}\n\n__proto__:\n  polluted: true\n';
    const r = parsePnpmLock(lock, 'pnpm-lock.yaml');
    expect(r.packages).toEqual([
      { ecosystem: 'npm', name: '__proto__', version: '1.0.0', location: '__proto__@1.0.0', dev: true },
      { ecosystem: 'npm', name: 'constructor', version: '2.0.0', location: 'constructor@2.0.0' },
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const v6 = "lockfileVersion: '6.0'\npackages:\n  /__proto__@1.0.0:\n    dev: true\n  __proto__:\n    dev: true\n";
    expect(parsePnpmLock(v6, 'p.yaml').packages.map((p) => p.name)).toEqual(['__proto__']);
    expect(Object.prototype).not.toHaveProperty('dev');
  });

  it('alias bombs and deep nesting are errors, not hangs or stack overflows', () => {
    const laughs = ["lockfileVersion: '9.0'\na: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
    for (let i = 0; i < 9; i++) {
      const prev = String.fromCharCode(97 + i);
      const next = String.fromCharCode(98 + i);
      laughs.push(`${next}: &${next} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    }
    expect(() => parsePnpmLock(`${laughs.join('\n')}\n`, 'bomb.yaml')).toThrow(/^bomb\.yaml: not valid YAML.*[Aa]lias/);
    const deep = `lockfileVersion: '9.0'\nx: ${'{a: '.repeat(50_000)}1${'}'.repeat(50_000)}\n`;
    expect(() => parsePnpmLock(deep, 'deep.yaml')).toThrow(InventoryParseError);
  });

  it('a 10 MB single line: a clear error, or handled inside a value; huge keys are shortened', () => {
    const big = 'a'.repeat(10_000_000);
    expect(() => parsePnpmLock(big, 'pnpm-lock.yaml')).toThrow(/^pnpm-lock\.yaml: not a pnpm-lock\.yaml: the top level is not a mapping$/);
    const value = parsePnpmLock(`lockfileVersion: '9.0'\npackages:\n  x@1.0.0:\n    resolution: {integrity: ${big}}\n`, 'p.yaml');
    expect(value.packages.map((p) => p.name)).toEqual(['x']);
    // YAML itself caps implicit keys at 1024 characters.
    expect(() => parsePnpmLock(`lockfileVersion: '9.0'\npackages:\n  x@1.0.0(${big}):\n    dev: true\n`, 'p.yaml')).toThrow(
      /^p\.yaml: not valid YAML.*1024 chars/,
    );
    const long = `x@1.0.0(${'a'.repeat(1000)})`;
    const key = parsePnpmLock(`lockfileVersion: '9.0'\npackages:\n  ${long}:\n    resolution: {integrity: x}\n`, 'p.yaml');
    expect(key.packages).toEqual([{ ecosystem: 'npm', name: 'x', version: '1.0.0', location: `${long.slice(0, MAX_LOCATION)}…` }]);
  });

  // YAML at about 1.5 MB/s: 200,000 entries would block the test worker for half a minute (see
  // the yarn berry test); 50,000 show the 9.x path, importers and snapshots included, at scale.
  it('50,000 packages (9.x with importers and snapshots)', { timeout: 300_000 }, () => {
    const importers = [
      "lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    devDependencies:\n      p0:\n        specifier: ^1.0.0\n        version: 1.0.0\n",
    ];
    const packages = ['\npackages:\n'];
    const snapshots = ['\nsnapshots:\n'];
    for (let i = 0; i < 50_000; i++) {
      packages.push(`  p${i}@1.0.0:\n    resolution: {integrity: sha512-x}\n`);
      // A chain p0 → p1 → … : reachability must be iterative and linear.
      snapshots.push(i < 49_999 ? `  p${i}@1.0.0:\n    dependencies:\n      p${i + 1}: 1.0.0\n` : `  p${i}@1.0.0: {}\n`);
    }
    const result = parsePnpmLock([...importers, ...packages, ...snapshots].join('\n'), 'pnpm-lock.yaml');
    expect(result.packages).toHaveLength(50_000);
    expect(result.packages.filter((p) => p.dev)).toHaveLength(50_000);
    expect(result.warnings).toEqual([]);
  });

  it('20,000 packages (5.x keys)', { timeout: 300_000 }, () => {
    const parts = ['lockfileVersion: 5.4\n\npackages:\n'];
    for (let i = 0; i < 20_000; i++)
      parts.push(`  /@s/p${i}/1.0.${i % 3}_react@18.2.0:\n    resolution: {integrity: sha512-x}\n    dev: ${i % 2 === 0}\n`);
    const result = parsePnpmLock(parts.join('\n'), 'pnpm-lock.yaml');
    expect(result.packages).toHaveLength(20_000);
    expect(result.packages.filter((p) => p.dev)).toHaveLength(10_000);
    expect(result.packages[7]).toEqual({ ecosystem: 'npm', name: '@s/p7', version: '1.0.1', location: '/@s/p7/1.0.1_react@18.2.0' });
  });
});
