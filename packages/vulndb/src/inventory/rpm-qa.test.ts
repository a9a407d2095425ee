import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../../test/vectors.ts';
import { InventoryParseError } from './model.ts';
import { parseRpmQa, parseSourceRpm, splitNvr } from './rpm-qa.ts';

const MANIFEST = 'rpm/cbl-mariner-2.0-syft.container-manifest-2';
const opts = { ecosystem: 'Red Hat' };

describe('parseRpmQa: Mariner container manifest fixture', () => {
  it('reads all 5 lines with epoch and source RPM', () => {
    const text = readFileSync(`${FIXTURES}inventories/${MANIFEST}`, 'utf8');
    const independent = text.split('\n').filter((l) => l.trim() !== '').length;
    const result = parseRpmQa(text, MANIFEST, { ecosystem: 'Mariner' });
    expect(result.type).toBe('rpm-container-manifest');
    expect(result.warnings).toEqual([]);
    expect(result.packages).toHaveLength(independent);
    expect(result.packages.find((p) => p.name === 'openssl-libs')).toEqual({
      ecosystem: 'Mariner',
      name: 'openssl-libs',
      version: '1.1.1k-15.cm2',
      epochKnown: true,
      arch: 'x86_64',
      source: { name: 'openssl', version: '1.1.1k-15.cm2' },
      location: 'line 4',
    });
    expect(result.packages.find((p) => p.name === 'vim')).toMatchObject({
      version: '2:9.0-1.cm2',
      source: { name: 'vim', version: '2:9.0-1.cm2' },
    });
    expect(result.packages.find((p) => p.name === 'mariner-release')?.arch).toBe('noarch');
  });
});

describe('parseRpmQa: plain rpm -qa', () => {
  it('splits name-version-release.arch from the right; epoch unknown', () => {
    const text = [
      'openssl-libs-1.1.1k-5.el8_5.x86_64',
      'python3-libs-3.6.8-45.el8.rocky.0.x86_64',
      'gpg-pubkey-6d745a60-60287f36',
      'kernel-core-4.18.0-348.el8.0.2.x86_64',
      'tzdata-2021e-1.el8.noarch',
      'glibc-2.28-164.el8.i686',
      '',
    ].join('\n');
    const { packages, warnings, type } = parseRpmQa(text, 't', opts);
    expect(type).toBe('rpm-qa');
    expect(warnings).toEqual([]);
    expect(packages.map((p) => [p.name, p.version, p.arch])).toEqual([
      ['openssl-libs', '1.1.1k-5.el8_5', 'x86_64'],
      ['python3-libs', '3.6.8-45.el8.rocky.0', 'x86_64'],
      ['gpg-pubkey', '6d745a60-60287f36', undefined],
      ['kernel-core', '4.18.0-348.el8.0.2', 'x86_64'],
      ['tzdata', '2021e-1.el8', 'noarch'],
      ['glibc', '2.28-164.el8', 'i686'],
    ]);
    expect(packages.every((p) => p.epochKnown === false && p.source === undefined && p.ecosystem === 'Red Hat')).toBe(true);
  });

  it('unreadable lines are warnings; CRLF is fine', () => {
    const { packages, warnings } = parseRpmQa('bash-4.4.20-1.el8_4.x86_64\r\nnohyphen.x86_64\r\nzlib-1.2.11-17.el8.x86_64\r\n', 't', opts);
    expect(packages.map((p) => p.name)).toEqual(['bash', 'zlib']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/line 2: not NAME-VERSION-RELEASE/);
  });
});

describe('parseRpmQa: queryformat with EPOCHNUM and SOURCERPM', () => {
  it('carries the epoch and the source RPM', () => {
    const text = [
      'openssl-libs\t1:1.1.1k-5.el8_5\tx86_64\topenssl-1.1.1k-5.el8_5.src.rpm',
      'bash\t0:4.4.20-1.el8_4\tx86_64\tbash-4.4.20-1.el8_4.src.rpm',
      'gpg-pubkey\t0:6d745a60-60287f36\t(none)\t(none)',
      'tzdata\t(none):2021e-1.el8\tnoarch\ttzdata-2021e-1.el8.src.rpm',
    ].join('\n');
    const { packages, warnings, type } = parseRpmQa(text, 't', opts);
    expect(type).toBe('rpm-qa-queryformat');
    expect(warnings).toEqual([]);
    expect(packages).toEqual([
      {
        ecosystem: 'Red Hat',
        name: 'openssl-libs',
        version: '1:1.1.1k-5.el8_5',
        epochKnown: true,
        arch: 'x86_64',
        source: { name: 'openssl', version: '1:1.1.1k-5.el8_5' },
        location: 'line 1',
      },
      {
        ecosystem: 'Red Hat',
        name: 'bash',
        version: '4.4.20-1.el8_4',
        epochKnown: true,
        arch: 'x86_64',
        source: { name: 'bash', version: '4.4.20-1.el8_4' },
        location: 'line 2',
      },
      { ecosystem: 'Red Hat', name: 'gpg-pubkey', version: '6d745a60-60287f36', epochKnown: true, location: 'line 3' },
      {
        ecosystem: 'Red Hat',
        name: 'tzdata',
        version: '2021e-1.el8',
        epochKnown: true,
        arch: 'noarch',
        source: { name: 'tzdata', version: '2021e-1.el8' },
        location: 'line 4',
      },
    ]);
  });

  it('a plain line in a queryformat listing is skipped with a warning; bad epochs too', () => {
    const text = [
      'bash\t0:4.4.20-1.el8_4\tx86_64\tbash-4.4.20-1.el8_4.src.rpm',
      'zlib-1.2.11-17.el8.x86_64',
      'x\tE:1-1\tx86_64\tx-1-1.src.rpm',
      'zlib\t0:1.2.11-17.el8\tx86_64\tzlib-1.2.11-17.el8.src.rpm',
      'curl\t0:7.61.1-22.el8\tx86_64\tcurl-7.61.1-22.el8.src.rpm',
    ].join('\n');
    const { packages, warnings } = parseRpmQa(text, 't', opts);
    expect(packages.map((p) => p.name)).toEqual(['bash', 'zlib', 'curl']);
    expect(warnings).toHaveLength(2);
  });

  it('splitNvr and parseSourceRpm', () => {
    expect(splitNvr('java-11-openjdk-11.0.13.0.8-1.el8_4')).toEqual({
      name: 'java-11-openjdk',
      version: '11.0.13.0.8',
      release: '1.el8_4',
    });
    expect(splitNvr('a-1')).toBeUndefined();
    expect(parseSourceRpm('openssl-1.1.1k-15.cm2.src.rpm')).toEqual({ name: 'openssl', version: '1.1.1k-15.cm2' });
    expect(parseSourceRpm('openssl-1.1.1k-15.cm2.x86_64.rpm')).toBeUndefined();
  });
});

describe('parseRpmQa: malformed and hostile input', () => {
  it('empty file: no packages, a warning', () => {
    expect(parseRpmQa('\n\n', 't', opts)).toEqual({ type: 'rpm-qa', packages: [], warnings: ['file is empty: no packages'] });
  });

  it('binary garbage (e.g. an rpmdb) and prose are InventoryParseErrors', () => {
    const garbage = Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 251 + 3) % 256)).toString('latin1');
    expect(() => parseRpmQa(garbage, 't', opts)).toThrow(/binary data/);
    expect(() => parseRpmQa('this is not an rpm listing\nat all\n', 't', opts)).toThrow(InventoryParseError);
    expect(() => parseRpmQa('{"name": "x"}\n', 't', opts)).toThrow(/not an rpm -qa listing/);
  });

  it('a 10 MB single line finishes quickly', () => {
    for (const text of ['x'.repeat(10_000_000), `a-${'1'.repeat(10_000_000)}-1.x86_64`, '-'.repeat(10_000_000), '\t'.repeat(10_000_000)]) {
      const start = performance.now();
      try {
        parseRpmQa(text, 't', opts);
      } catch (error) {
        expect(error).toBeInstanceOf(InventoryParseError);
      }
      expect(performance.now() - start).toBeLessThan(5000);
    }
  });
});
