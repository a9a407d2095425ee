import { describe, expect, it } from 'vitest';
import { formatByName, formatOfFile } from './formats.ts';

describe('inventory format recognition', () => {
  it.each([
    ['package-lock.json', 'package-lock.json'],
    ['npm-shrinkwrap.json', 'package-lock.json'],
    ['yarn.lock', 'yarn.lock'],
    ['pnpm-lock.yaml', 'pnpm-lock.yaml'],
    ['requirements-dev.txt', 'requirements.txt'],
    ['poetry.lock', 'poetry.lock'],
    ['Pipfile.lock', 'Pipfile.lock'],
    ['uv.lock', 'uv.lock'],
    ['composer.lock', 'composer.lock'],
    ['Gemfile.lock', 'Gemfile.lock'],
    ['go.mod', 'go.mod'],
    ['Cargo.lock', 'Cargo.lock'],
    ['packages.lock.json', 'packages.lock.json'],
    ['pom.xml', 'pom.xml'],
    ['bom.json', 'cyclonedx'],
    ['app.cdx.json', 'cyclonedx'],
    ['app.spdx.json', 'spdx'],
  ])('a walked %s is %s', (name, type) => {
    expect(formatByName(name)?.type).toBe(type);
  });

  it('a walked file named status or installed is not taken for a package database', () => {
    expect(formatByName('status')).toBeUndefined();
    expect(formatByName('installed')).toBeUndefined();
    expect(formatByName('notes.txt')).toBeUndefined();
  });

  it.each([
    ['Package: sudo\nStatus: install ok installed\nVersion: 1.8\n', 'dpkg-status'],
    ['C:Q1abc=\nP:busybox\nV:1.35.0-r17\n', 'apk-installed'],
    ['openssl-libs-1.1.1k-5.el8_5.x86_64\n', 'rpm-qa'],
    ['bash\t0:4.4.20-4.el8_6\tx86_64\tbash-4.4.20-4.el8_6.src.rpm\n', 'rpm-qa'],
    ['{\n  "name": "x",\n  "lockfileVersion": 3,\n  "packages": {}\n}', 'package-lock.json'],
    ['# yarn lockfile v1\n\nlodash@^4:\n  version "4.17.21"\n', 'yarn.lock'],
    ['{"bomFormat": "CycloneDX", "specVersion": "1.5"}', 'cyclonedx'],
    ['{"spdxVersion": "SPDX-2.3", "packages": []}', 'spdx'],
  ])('a named file is recognised by content (%#)', (head, type) => {
    expect(formatOfFile('inventory', head)?.type).toBe(type);
  });

  it('unrecognisable content is no format, quickly even for hostile first lines', () => {
    expect(formatOfFile('notes', 'hello world\n')).toBeUndefined();
    const hostile = `${'a-'.repeat(4000)}.x86`;
    const started = performance.now();
    expect(formatOfFile('notes', hostile)).toBeUndefined();
    // Generous: a backtracking pattern would take minutes here.
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
