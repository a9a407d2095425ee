import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../../test/vectors.ts';
import { detectDpkgDistro, parseDpkgStatus, parseSourceField } from './dpkg-status.ts';
import { InventoryParseError } from './model.ts';

const read = (name: string): string => readFileSync(`${FIXTURES}inventories/${name}`, 'utf8');
const BIONIC = 'ubuntu-18.04-bionic.dpkg-status';
const DEBIAN = 'debian-12-this-machine.dpkg-status';

/** Independent count: blank-line separated blocks whose Status line ends in " installed". */
function countInstalled(text: string): number {
  return text
    .split(/\n[ \t]*\n/)
    .filter((block) => block.split('\n').some((line) => /^Status: \S+ \S+ (installed|triggers-pending|triggers-awaited)$/.test(line)))
    .length;
}

describe('parseDpkgStatus on real status files', () => {
  it('bionic: reports every installed paragraph (2237), no warnings', () => {
    const text = read(BIONIC);
    const result = parseDpkgStatus(text, BIONIC, { ecosystem: 'Ubuntu' });
    expect(countInstalled(text)).toBe(2237);
    expect(result.packages).toHaveLength(countInstalled(text));
    expect(result.type).toBe('dpkg-status');
    expect(result.warnings).toEqual([]);
    expect(result.packages.every((p) => p.ecosystem === 'Ubuntu')).toBe(true);
  });

  it('bionic: bsdutils has its own epoch version and source util-linux 2.31.1-0.4ubuntu3.4', () => {
    const { packages } = parseDpkgStatus(read(BIONIC), BIONIC, { ecosystem: 'Ubuntu' });
    const bsdutils = packages.find((p) => p.name === 'bsdutils');
    expect(bsdutils).toMatchObject({
      name: 'bsdutils',
      version: '1:2.31.1-0.4ubuntu3.4',
      arch: 'amd64',
      source: { name: 'util-linux', version: '2.31.1-0.4ubuntu3.4' },
    });
    expect(bsdutils?.location).toMatch(/^line \d+$/);
  });

  it('bionic: Source without version takes the binary version; no Source means the package itself', () => {
    const { packages } = parseDpkgStatus(read(BIONIC), BIONIC, { ecosystem: 'Ubuntu' });
    const byName = new Map(packages.map((p) => [`${p.name}:${p.arch}`, p]));
    expect(byName.get('sudo:amd64')).toMatchObject({
      version: '1.8.21p2-3ubuntu1.1',
      source: { name: 'sudo', version: '1.8.21p2-3ubuntu1.1' },
    });
    expect(byName.get('libc6:amd64')).toMatchObject({ version: '2.27-3ubuntu1', source: { name: 'glibc', version: '2.27-3ubuntu1' } });
    expect(byName.get('policykit-1:amd64')?.version).toBe('0.105-20ubuntu0.18.04.5');
    // Every reported source version equals the binary's unless the Source field carried one.
    const text = read(BIONIC);
    const withVersionedSource = (text.match(/^Source: \S+ \(/gm) ?? []).length;
    const differing = packages.filter((p) => p.source?.version !== p.version).length;
    expect(differing).toBeLessThanOrEqual(withVersionedSource);
    expect(differing).toBeGreaterThan(0);
  });

  it('debian 12: reports all 747 installed packages, e.g. base-files and libc6', () => {
    const text = read(DEBIAN);
    const result = parseDpkgStatus(text, DEBIAN, { ecosystem: 'Debian' });
    expect(countInstalled(text)).toBe(747);
    expect(result.packages).toHaveLength(747);
    expect(result.warnings).toEqual([]);
    expect(result.packages.find((p) => p.name === 'base-files')).toMatchObject({
      version: '12.4+deb12u11',
      source: { name: 'base-files', version: '12.4+deb12u11' },
    });
    expect(result.packages.find((p) => p.name === 'libc6')?.source?.name).toBe('glibc');
  });

  it('CRLF line endings give the same packages', () => {
    const text = read(DEBIAN);
    const lf = parseDpkgStatus(text, DEBIAN, { ecosystem: 'Debian' }).packages;
    const crlf = parseDpkgStatus(text.replace(/\n/g, '\r\n'), DEBIAN, { ecosystem: 'Debian' }).packages;
    expect(crlf.map(({ location: _, ...p }) => p)).toEqual(lf.map(({ location: _, ...p }) => p));
  });
});

const para = (fields: string): string => `${fields.trim()}\n`;
const installed = (name: string, extra = ''): string =>
  para(`Package: ${name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0-1\n${extra}`);

describe('parseDpkgStatus: status semantics', () => {
  it('reports installed, hold and deinstall-but-still-installed; not config-files, not-installed or unfinished', () => {
    const text = [
      installed('a'),
      para('Package: b\nStatus: hold ok installed\nVersion: 2.0-1'),
      para('Package: c\nStatus: deinstall ok config-files\nVersion: 3.0-1'),
      para('Package: d\nStatus: purge ok not-installed'),
      para('Package: e\nStatus: deinstall ok installed\nVersion: 4.0-1'),
      para('Package: f\nStatus: install ok triggers-pending\nVersion: 5.0-1'),
      para('Package: g\nStatus: install reinstreq half-installed\nVersion: 6.0-1'),
      para('Package: h\nStatus: install ok unpacked\nVersion: 7.0-1'),
    ].join('\n');
    const { packages, warnings } = parseDpkgStatus(text, 't', { ecosystem: 'Debian' });
    expect(packages.map((p) => p.name)).toEqual(['a', 'b', 'e', 'f']);
    expect(warnings).toHaveLength(2);
    expect(warnings.join('\n')).toMatch(/"g".*half-installed/);
    expect(warnings.join('\n')).toMatch(/"h".*unpacked/);
  });

  it('a paragraph missing Version (or Package) is a warning; the others are read', () => {
    const text = [
      installed('a'),
      para('Package: noversion\nStatus: install ok installed'),
      para('Status: install ok installed\nVersion: 1'),
      installed('z'),
    ].join('\n');
    const { packages, warnings } = parseDpkgStatus(text, 't', { ecosystem: 'Debian' });
    expect(packages.map((p) => p.name)).toEqual(['a', 'z']);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/noversion.*no Version/);
    expect(warnings[1]).toMatch(/without a Package/);
  });

  it('continuation lines, case-insensitive names, whitespace-only separators, Source forms', () => {
    const text =
      'package: x\nSTATUS: install ok installed\nDescription: short\n more\n .\n Version: 9\nVersion: 1:2.0-3\nSource: xsrc (2.0-3)\n \t\n' +
      'Package: y\nStatus: install ok installed\nVersion: 1.0\nSource: ysrc\n';
    const { packages, warnings } = parseDpkgStatus(text, 't', { ecosystem: 'Ubuntu' });
    expect(warnings).toEqual([]);
    expect(packages).toEqual([
      { ecosystem: 'Ubuntu', name: 'x', version: '1:2.0-3', source: { name: 'xsrc', version: '2.0-3' }, location: 'line 1' },
      { ecosystem: 'Ubuntu', name: 'y', version: '1.0', source: { name: 'ysrc', version: '1.0' }, location: 'line 10' },
    ]);
  });

  it('parseSourceField', () => {
    expect(parseSourceField('util-linux (2.31.1-0.4ubuntu3.4)')).toEqual({ name: 'util-linux', version: '2.31.1-0.4ubuntu3.4' });
    expect(parseSourceField('glibc')).toEqual({ name: 'glibc' });
    expect(parseSourceField('a b')).toBeUndefined();
    expect(parseSourceField('a (1.0')).toBeUndefined();
    expect(parseSourceField('a (1.0) trailing')).toBeUndefined();
  });
});

describe('parseDpkgStatus: malformed and hostile input', () => {
  const parse = (text: string) => parseDpkgStatus(text, 'bad', { ecosystem: 'Debian' });

  it('empty file: no packages and a warning', () => {
    for (const text of ['', '\n\n', ' \r\n']) {
      const result = parse(text);
      expect(result.packages).toEqual([]);
      expect(result.warnings).toEqual(['file is empty: no packages']);
    }
  });

  it('binary garbage is an InventoryParseError naming the problem', () => {
    const bytes = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256));
    expect(() => parse(bytes.toString('latin1'))).toThrow(InventoryParseError);
    expect(() => parse(bytes.toString('latin1'))).toThrow(/binary data/);
    expect(() => parse('Package: a\u0000\n')).toThrow(/control character U\+0000/);
  });

  it('non-status text: JSON, prose, a Packages index without Status', () => {
    expect(() => parse('{\n  "name": "x",\n  "version": "1"\n}\n')).toThrow(/not a dpkg status file/);
    expect(() => parse('hello world\nthis is not a status file\n')).toThrow(/no "Field: value" lines/);
    expect(() => parse('Package: a\nVersion: 1\nFilename: pool/a.deb\n')).toThrow(/no paragraph has a Status field/);
    expect(() => parse('Foo: a\nBar: 1\n')).toThrow(/no paragraph has a Package field/);
  });

  it('a 10 MB single line finishes quickly', () => {
    for (const text of [
      'x'.repeat(10_000_000),
      `Package: ${'a'.repeat(10_000_000)}`,
      `Package: a\nStatus: install ok installed\nVersion: ${'1.'.repeat(5_000_000)}`,
    ]) {
      const start = performance.now();
      try {
        parse(text);
      } catch (error) {
        expect(error).toBeInstanceOf(InventoryParseError);
      }
      expect(performance.now() - start).toBeLessThan(5000);
    }
  });

  it('warnings are capped', () => {
    const text = `${installed('ok')}\n${Array.from({ length: 1000 }, (_, i) => `Package: p${i}\nStatus: install ok installed\n`).join('\n')}`;
    const { packages, warnings } = parse(text);
    expect(packages).toHaveLength(1);
    expect(warnings.length).toBeLessThanOrEqual(201);
    expect(warnings.at(-1)).toMatch(/further warnings not shown/);
  });
});

describe('detectDpkgDistro', () => {
  it('bionic fixture → Ubuntu 18.04 bionic', () => {
    expect(detectDpkgDistro(read(BIONIC))).toMatchObject({ distro: 'Ubuntu', release: '18.04', codename: 'bionic' });
  });

  it('Debian 12 fixture → Debian 12 bookworm', () => {
    expect(detectDpkgDistro(read(DEBIAN))).toMatchObject({ distro: 'Debian', release: '12', codename: 'bookworm' });
  });

  it('Ubuntu from base-files alone; release from base-files of an LTS', () => {
    const text = para('Package: base-files\nStatus: install ok installed\nVersion: 11ubuntu5.8');
    expect(detectDpkgDistro(text)).toMatchObject({ distro: 'Ubuntu', release: '20.04', codename: 'focal' });
  });

  it('null when the content does not tell, or is not a status file', () => {
    expect(detectDpkgDistro(installed('a'))).toBeNull();
    expect(detectDpkgDistro('')).toBeNull();
    expect(detectDpkgDistro('\u0000\u0001')).toBeNull();
  });
});
