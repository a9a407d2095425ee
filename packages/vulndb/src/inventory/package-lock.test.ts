import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../../test/vectors.ts';
import { InventoryParseError } from './model.ts';
import { MAX_V1_DEPTH, parsePackageLock } from './package-lock.ts';
import { MAX_WARNINGS } from './text.ts';

const read = (name: string): string => readFileSync(join(FIXTURES, 'inventories', name), 'utf8');

/** Independent count: distinct (name, version) over `packages` keys with node_modules/ that are not links. */
function expectedPairs(text: string): { pairs: Set<string>; entries: number } {
  const doc = JSON.parse(text) as { packages: Record<string, { version?: string; link?: boolean; name?: string }> };
  const pairs = new Set<string>();
  let entries = 0;
  for (const [key, entry] of Object.entries(doc.packages)) {
    if (!key.includes('node_modules/') || entry.link) continue;
    entries++;
    const name = entry.name ?? key.split('node_modules/').pop();
    pairs.add(`${name}@${entry.version}`);
  }
  return { pairs, entries };
}

function find(result: ReturnType<typeof parsePackageLock>, name: string): { version: string; dev?: boolean; location?: string }[] {
  return result.packages.filter((p) => p.name === name);
}

describe('parsePackageLock on real lockfiles', () => {
  it('nodegoat (lockfileVersion 2): one package per distinct name@version of the packages map', () => {
    const text = read('nodegoat.package-lock.json');
    const { pairs, entries } = expectedPairs(text);
    expect(entries).toBe(1479);
    const result = parsePackageLock(text, 'nodegoat.package-lock.json');
    expect(result.type).toBe('package-lock.json');
    expect(result.warnings).toEqual([]);
    expect(result.packages.length).toBe(pairs.size);
    expect(new Set(result.packages.map((p) => `${p.name}@${p.version}`))).toEqual(pairs);
    expect(result.packages.every((p) => p.ecosystem === 'npm' && p.location?.includes('node_modules/'))).toBe(true);
  });

  it('nodegoat: known outdated packages, versions and dev flags', () => {
    const result = parsePackageLock(read('nodegoat.package-lock.json'), 'nodegoat.package-lock.json');
    expect(find(result, 'marked')).toEqual([expect.objectContaining({ version: '0.3.5', location: 'node_modules/marked' })]);
    expect(find(result, 'marked')[0]?.dev).toBeUndefined();
    expect(find(result, 'lodash').map((p) => p.version)).toContain('4.17.11');
    expect(find(result, 'handlebars').map((p) => p.version)).toContain('4.0.5');
    const cypress = find(result, 'cypress');
    expect(cypress).toHaveLength(1);
    expect(cypress[0]?.dev).toBe(true);
    // No project root, every name is a valid npm name.
    expect(find(result, 'owasp-nodejs-goat')).toEqual([]);
  });

  it('nodegoat: the legacy v1 dependencies tree alone gives the same set of name@version pairs', () => {
    const text = read('nodegoat.package-lock.json');
    const doc = JSON.parse(text) as Record<string, unknown>;
    const v1 = JSON.stringify({ lockfileVersion: 1, dependencies: doc.dependencies });
    const fromV1 = parsePackageLock(v1, 'v1.json');
    const fromV2 = parsePackageLock(text, 'v2.json');
    const pairs = (r: typeof fromV1) => new Set(r.packages.map((p) => `${p.name}@${p.version}`));
    // The v1 tree writes the tarball URL as grunt-if's version (skipped, with a warning); v2 has 0.2.0.
    expect(fromV1.warnings).toEqual([expect.stringMatching(/^"node_modules\/grunt-if": not a registry version/)]);
    const expected = pairs(fromV2);
    expected.delete('grunt-if@0.2.0');
    expect(pairs(fromV1)).toEqual(expected);
    expect(fromV1.packages.filter((p) => p.dev).length).toBe(fromV2.packages.filter((p) => p.dev).length - 1);
  });

  it('bookstack-2024 (lockfileVersion 3): counts, scoped names, dev flags', () => {
    const text = read('bookstack-2024.package-lock.json');
    const { pairs, entries } = expectedPairs(text);
    expect(entries).toBe(650);
    const result = parsePackageLock(text, 'bookstack-2024.package-lock.json');
    expect(result.warnings).toEqual([]);
    expect(result.packages.length).toBe(pairs.size);
    const doc = JSON.parse(text) as { packages: Record<string, { version: string; dev?: boolean }> };
    const scopedKey = Object.keys(doc.packages).find((k) => k.startsWith('node_modules/@'));
    expect(scopedKey).toBeDefined();
    const scopedName = (scopedKey ?? '').slice('node_modules/'.length);
    expect(scopedName).toMatch(/^@[^/]+\/[^/]+$/);
    expect(find(result, scopedName).map((p) => p.version)).toContain(doc.packages[scopedKey ?? '']?.version);
    const devCount = result.packages.filter((p) => p.dev).length;
    expect(devCount).toBeGreaterThan(0);
    expect(devCount).toBeLessThan(result.packages.length);
  });
});

describe('parsePackageLock on v2/v3 structure', () => {
  const lock = (packages: Record<string, unknown>) => JSON.stringify({ lockfileVersion: 3, packages });

  it('skips the root, workspace folders and links; nested node_modules give their own version', () => {
    const result = parsePackageLock(
      lock({
        '': { name: 'app', version: '1.0.0' },
        'packages/ui': { name: 'ui', version: '0.1.0' },
        'node_modules/ui': { resolved: 'packages/ui', link: true },
        'node_modules/a': { version: '1.0.0' },
        'node_modules/a/node_modules/b': { version: '2.0.0', dev: true },
        'node_modules/b': { version: '3.0.0' },
        'node_modules/@scope/c': { version: '4.0.0', dev: true },
        'node_modules/@scope/c/node_modules/@x/d': { version: '5.0.0' },
      }),
      'x.json',
    );
    expect(result.packages).toEqual([
      { ecosystem: 'npm', name: 'a', version: '1.0.0', location: 'node_modules/a' },
      { ecosystem: 'npm', name: 'b', version: '2.0.0', location: 'node_modules/a/node_modules/b', dev: true },
      { ecosystem: 'npm', name: 'b', version: '3.0.0', location: 'node_modules/b' },
      { ecosystem: 'npm', name: '@scope/c', version: '4.0.0', location: 'node_modules/@scope/c', dev: true },
      { ecosystem: 'npm', name: '@x/d', version: '5.0.0', location: 'node_modules/@scope/c/node_modules/@x/d' },
    ]);
  });

  it('deduplicates name@version keeping the first location; dev only when every copy is dev', () => {
    const result = parsePackageLock(
      lock({
        'node_modules/x/node_modules/ms': { version: '2.0.0', dev: true },
        'node_modules/ms': { version: '2.0.0' },
        'node_modules/y/node_modules/ms': { version: '2.0.0', dev: true },
        'node_modules/z/node_modules/q': { version: '1.0.0', dev: true },
        'node_modules/q': { version: '1.0.0', dev: true },
      }),
      'x.json',
    );
    expect(result.packages).toEqual([
      { ecosystem: 'npm', name: 'ms', version: '2.0.0', location: 'node_modules/x/node_modules/ms' },
      { ecosystem: 'npm', name: 'q', version: '1.0.0', location: 'node_modules/z/node_modules/q', dev: true },
    ]);
  });

  it('an aliased install is reported under the real package name', () => {
    const result = parsePackageLock(lock({ 'node_modules/sw-cjs': { name: 'string-width', version: '4.2.3' } }), 'x.json');
    expect(result.packages).toEqual([{ ecosystem: 'npm', name: 'string-width', version: '4.2.3', location: 'node_modules/sw-cjs' }]);
  });

  it('unreadable entries are warnings and do not stop the rest', () => {
    const result = parsePackageLock(
      lock({
        'node_modules/no-version': {},
        'node_modules/not-object': 'nope',
        'node_modules/bad/../name': { version: '1.0.0' },
        'node_modules/ok': { version: '1.0.0' },
      }),
      'x.json',
    );
    expect(result.packages.map((p) => p.name)).toEqual(['ok']);
    expect(result.warnings).toHaveLength(3);
  });
});

describe('parsePackageLock on malformed and hostile input', () => {
  it('empty file', () => {
    expect(() => parsePackageLock('', 'empty.json')).toThrow(InventoryParseError);
    expect(() => parsePackageLock('  \n', 'empty.json')).toThrow(/empty\.json: empty file/);
  });

  it('binary garbage names the file', () => {
    const garbage = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0xff, 0xfe]).toString('utf8');
    expect(() => parsePackageLock(garbage, 'img.png')).toThrow(InventoryParseError);
    expect(() => parsePackageLock(garbage, 'img.png')).toThrow(/^img\.png: not a text file/);
  });

  it('invalid JSON and JSON that is not a lockfile', () => {
    expect(() => parsePackageLock('{"lockfileVersion": 2,', 'cut.json')).toThrow(/cut\.json: not valid JSON/);
    expect(() => parsePackageLock('[1,2,3]', 'arr.json')).toThrow(/arr\.json: not an npm package-lock/);
    expect(() => parsePackageLock('"text"', 's.json')).toThrow(InventoryParseError);
    expect(() => parsePackageLock('{"name":"x","version":"1.0.0"}', 'package.json')).toThrow(/not an npm package-lock/);
    expect(() => parsePackageLock('{"lockfileVersion": 99, "packages": {}}', 'f.json')).toThrow(/unsupported lockfileVersion/);
    expect(() => parsePackageLock('{"lockfileVersion": 3, "packages": []}', 'f.json')).toThrow(/not a JSON object/);
  });

  it('__proto__ and other Object.prototype names do not pollute and are plain packages', () => {
    const text =
      '{"lockfileVersion":3,"packages":{"node_modules/__proto__":{"version":"1.0.0","polluted":true},' +
      '"node_modules/constructor":{"version":"2.0.0"},"node_modules/toString":{"version":"3.0.0"}}}';
    const result = parsePackageLock(text, 'p.json');
    expect(result.packages.map((p) => `${p.name}@${p.version}`)).toEqual(['__proto__@1.0.0', 'constructor@2.0.0', 'toString@3.0.0']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const v1 =
      '{"lockfileVersion":1,"dependencies":{"__proto__":{"version":"1.0.0","polluted":true,"dependencies":{"__proto__":{"version":"2.0.0"}}}}}';
    const r1 = parsePackageLock(v1, 'p1.json');
    expect(r1.packages.map((p) => p.location)).toEqual(['node_modules/__proto__', 'node_modules/__proto__/node_modules/__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('version');
  });

  it('200,000 entries finish in bounded time', () => {
    const packages: Record<string, unknown> = { '': { name: 'big', version: '1.0.0' } };
    for (let i = 0; i < 200_000; i++) packages[`node_modules/p${i}`] = { version: `1.0.${i % 7}`, dev: i % 2 === 0 };
    const text = JSON.stringify({ lockfileVersion: 3, packages });
    const start = performance.now();
    const result = parsePackageLock(text, 'big.json');
    expect(performance.now() - start).toBeLessThan(5000);
    expect(result.packages).toHaveLength(200_000);
    expect(result.packages.filter((p) => p.dev)).toHaveLength(100_000);
  });

  it('200,000 unreadable entries keep the warning list bounded', () => {
    const packages: Record<string, unknown> = {};
    for (let i = 0; i < 200_000; i++) packages[`node_modules/p${i}`] = {};
    const result = parsePackageLock(JSON.stringify({ lockfileVersion: 2, packages }), 'bad.json');
    expect(result.packages).toEqual([]);
    expect(result.warnings.length).toBeLessThanOrEqual(MAX_WARNINGS + 1);
    expect(result.warnings.at(-1)).toMatch(new RegExp(`${200_000 - MAX_WARNINGS} further warnings not shown`));
  });

  it('deeply nested v1 dependencies: no stack overflow, deep levels skipped with a warning', () => {
    const depth = 5000;
    const text = `{"lockfileVersion":1,"dependencies":${'{"d":{"version":"1.0.0","dependencies":'.repeat(depth)}{}${'}}'.repeat(depth)}}`;
    const result = parsePackageLock(text, 'deep.json');
    expect(result.packages).toHaveLength(1); // every level is d@1.0.0
    expect(result.warnings).toEqual([`dependencies nested deeper than ${MAX_V1_DEPTH} levels were skipped`]);
  });

  it('v1 with distinct names per level and wide fan-out, iterated in file order', () => {
    let tree: Record<string, unknown> = {};
    for (let level = 150; level >= 1; level--)
      tree = { [`n${level}`]: { version: '1.0.0', dependencies: tree }, [`m${level}`]: { version: '2.0.0' } };
    const result = parsePackageLock(JSON.stringify({ lockfileVersion: 1, dependencies: tree }), 'v1.json');
    expect(result.packages).toHaveLength(300);
    expect(result.packages.slice(0, 3).map((p) => p.location)).toEqual([
      'node_modules/n1',
      'node_modules/m1',
      'node_modules/n1/node_modules/n2',
    ]);
    expect(result.warnings).toEqual([]);
  });

  it('v1 non-registry versions are warnings', () => {
    const text = JSON.stringify({
      lockfileVersion: 1,
      dependencies: { g: { version: 'github:a/b#abc' }, f: { version: 'file:../f' }, ok: { version: '1.2.3', dev: true } },
    });
    const result = parsePackageLock(text, 'v1.json');
    expect(result.packages).toEqual([{ ecosystem: 'npm', name: 'ok', version: '1.2.3', location: 'node_modules/ok', dev: true }]);
    expect(result.warnings).toHaveLength(2);
  });
});
