import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../../test/vectors.ts';
import { parseComposerLock } from './composer-lock.ts';
import { InventoryParseError } from './model.ts';

const text = readFileSync(join(FIXTURES, 'inventories', 'bookstack-2024.composer.lock'), 'utf8');

describe('parseComposerLock on the real BookStack lock', () => {
  const result = parseComposerLock(text, 'composer.lock');
  const doc = JSON.parse(text) as { packages: unknown[]; 'packages-dev': unknown[] };

  it('counts match packages + packages-dev, dev flags on packages-dev only', () => {
    expect(result.type).toBe('composer.lock');
    expect(result.warnings).toEqual([]);
    expect(result.packages).toHaveLength(doc.packages.length + doc['packages-dev'].length);
    expect(result.packages.filter((p) => p.dev)).toHaveLength(doc['packages-dev'].length);
    expect(result.packages.filter((p) => !p.dev)).toHaveLength(doc.packages.length);
    expect(result.packages.every((p) => p.ecosystem === 'Packagist')).toBe(true);
  });

  it('versions as written, v prefix kept', () => {
    const get = (name: string) => result.packages.find((p) => p.name === name);
    expect(get('laravel/framework')).toEqual({
      ecosystem: 'Packagist',
      name: 'laravel/framework',
      version: 'v10.48.22',
      location: expect.stringMatching(/^packages\[\d+\]$/),
    });
    expect(get('aws/aws-crt-php')?.version).toBe('v1.2.6');
    expect(get('aws/aws-sdk-php')).toMatchObject({ version: '3.322.6', location: 'packages[1]' });
    expect(get('guzzlehttp/guzzle')?.version).toBe('7.9.2');
    expect(get('phpunit/phpunit')).toMatchObject({ version: '10.5.35', dev: true });
    expect(get('fakerphp/faker')).toMatchObject({ version: 'v1.23.1', dev: true, location: 'packages-dev[0]' });
  });
});

describe('parseComposerLock on malformed and hostile input', () => {
  it('empty file, binary garbage, invalid JSON', () => {
    expect(() => parseComposerLock('', 'composer.lock')).toThrow(/^composer\.lock: empty file/);
    expect(() => parseComposerLock('\u0000\u0001PK\u0003\u0004', 'x.lock')).toThrow(InventoryParseError);
    expect(() => parseComposerLock('\u0000\u0001PK\u0003\u0004', 'x.lock')).toThrow(/^x\.lock: not a text file/);
    expect(() => parseComposerLock('{"packages": [', 'x.lock')).toThrow(/not valid JSON/);
  });

  it('JSON that is not a composer.lock', () => {
    expect(() => parseComposerLock('{"lockfileVersion": 3, "packages": {}}', 'package-lock.json')).toThrow(/not a composer\.lock/);
    expect(() => parseComposerLock('{"require": {"php": ">=8.1"}}', 'composer.json')).toThrow(/not a composer\.lock/);
    expect(() => parseComposerLock('null', 'n.lock')).toThrow(InventoryParseError);
    expect(() => parseComposerLock('{"packages": [], "packages-dev": {}}', 'x.lock')).toThrow(/not an array/);
  });

  it('bad entries are warnings; __proto__ does not pollute', () => {
    const result = parseComposerLock(
      '{"packages":[{"name":"a/b","version":"1.0"},{"name":"nope","version":"1"},{"name":"c/d"},7,' +
        '{"__proto__":{"polluted":true},"name":"e/f","version":"v2"}],"packages-dev":[{"name":"__proto__/x","version":"1"}]}',
      'x.lock',
    );
    expect(result.packages.map((p) => `${p.name}@${p.version}`)).toEqual(['a/b@1.0', 'e/f@v2', '__proto__/x@1']);
    expect(result.warnings).toHaveLength(3);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('200,000 entries finish in bounded time', () => {
    const packages = Array.from({ length: 200_000 }, (_, i) => ({ name: `v${i % 100}/p${i}`, version: `v1.${i}` }));
    const big = JSON.stringify({ packages, 'packages-dev': [] });
    const start = performance.now();
    const result = parseComposerLock(big, 'big.lock');
    expect(performance.now() - start).toBeLessThan(5000);
    expect(result.packages).toHaveLength(200_000);
  });
});
