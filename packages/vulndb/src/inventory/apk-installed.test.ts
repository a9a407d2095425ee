import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../../test/vectors.ts';
import { parseApkInstalled } from './apk-installed.ts';
import { InventoryParseError } from './model.ts';

const NAME = 'alpine/alpine-3.16-syft-multiple-2.apk-installed';
const read = (): string => readFileSync(`${FIXTURES}inventories/${NAME}`, 'utf8');

describe('parseApkInstalled on the syft fixture', () => {
  it('reports one package per P: line (14), no warnings', () => {
    const text = read();
    const independent = text.split('\n').filter((l) => l.startsWith('P:')).length;
    expect(independent).toBe(14);
    const result = parseApkInstalled(text, NAME);
    expect(result.type).toBe('apk-installed');
    expect(result.warnings).toEqual([]);
    expect(result.packages).toHaveLength(independent);
    expect(result.packages.every((p) => p.ecosystem === 'Alpine' && p.arch === 'x86_64')).toBe(true);
  });

  it('known packages with origin as source and the package version', () => {
    const { packages } = parseApkInstalled(read(), NAME);
    const get = (n: string) => packages.find((p) => p.name === n);
    expect(get('busybox')).toMatchObject({ version: '1.35.0-r17', source: { name: 'busybox', version: '1.35.0-r17' } });
    expect(get('libcrypto1.1')).toMatchObject({ version: '1.1.1q-r0', source: { name: 'openssl', version: '1.1.1q-r0' } });
    expect(get('zlib')?.version).toBe('1.2.12-r3');
    expect(get('alpine-baselayout-data')).toMatchObject({ source: { name: 'alpine-baselayout' }, location: 'line 1' });
  });

  it('CRLF gives the same packages', () => {
    const lf = parseApkInstalled(read(), NAME).packages;
    expect(parseApkInstalled(read().replace(/\n/g, '\r\n'), NAME).packages).toEqual(lf);
  });
});

describe('parseApkInstalled: edge cases', () => {
  it('missing V: is a warning; missing o: falls back to the package; a missing blank line splits', () => {
    const text = 'P:a\nV:1.0-r0\no:asrc\n\nP:nov\nA:x86_64\n\nP:b\nV:2.0-r1\nP:c\nV:3.0-r0\n';
    const { packages, warnings } = parseApkInstalled(text, 't');
    expect(packages).toEqual([
      { ecosystem: 'Alpine', name: 'a', version: '1.0-r0', source: { name: 'asrc', version: '1.0-r0' }, location: 'line 1' },
      { ecosystem: 'Alpine', name: 'b', version: '2.0-r1', source: { name: 'b', version: '2.0-r1' }, location: 'line 8' },
      { ecosystem: 'Alpine', name: 'c', version: '3.0-r0', source: { name: 'c', version: '3.0-r0' }, location: 'line 10' },
    ]);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/"nov": no V:/);
    expect(warnings[1]).toMatch(/line 10: P: without a blank line/);
  });

  it('empty file: no packages, a warning', () => {
    expect(parseApkInstalled('', 't')).toEqual({ type: 'apk-installed', packages: [], warnings: ['file is empty: no packages'] });
  });

  it('binary garbage and non-apk text are InventoryParseErrors', () => {
    const garbage = Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 131 + 7) % 256)).toString('latin1');
    expect(() => parseApkInstalled(garbage, 't')).toThrow(InventoryParseError);
    expect(() => parseApkInstalled('Package: a\nVersion: 1\n', 't')).toThrow(/not an apk installed database/);
    expect(() => parseApkInstalled('C:abc\nT:descr\n', 't')).toThrow(/no P:/);
  });

  it('a 10 MB single line finishes quickly', () => {
    for (const text of ['x'.repeat(10_000_000), `P:${'a'.repeat(10_000_000)}`]) {
      const start = performance.now();
      try {
        parseApkInstalled(text, 't');
      } catch (error) {
        expect(error).toBeInstanceOf(InventoryParseError);
      }
      expect(performance.now() - start).toBeLessThan(5000);
    }
  });
});
