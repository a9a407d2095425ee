import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../../test/vectors.ts';
import { InventoryParseError } from './model.ts';
import { parsePoetryLock } from './poetry-lock.ts';

const text = readFileSync(join(FIXTURES, 'inventories', 'poetry-2026.poetry.lock'), 'utf8');

describe('parsePoetryLock on the real poetry lock', () => {
  const result = parsePoetryLock(text, 'poetry.lock');

  it('one package per [[package]] table, counted independently by line scan', () => {
    const tables = text.split('\n').filter((line) => line === '[[package]]').length;
    expect(tables).toBe(78);
    expect(result.type).toBe('poetry.lock');
    expect(result.warnings).toEqual([]);
    expect(result.packages).toHaveLength(tables);
    expect(result.packages.every((p) => p.ecosystem === 'PyPI')).toBe(true);
  });

  it('known packages, versions and dev flags (dev = no "main" group)', () => {
    const get = (name: string) => result.packages.find((p) => p.name === name);
    expect(get('anyio')).toEqual({ ecosystem: 'PyPI', name: 'anyio', version: '4.13.0', location: 'package[0]' });
    expect(get('backports-tarfile')).toMatchObject({ version: '1.2.0' });
    expect(get('poetry-core')?.version).toBe('2.4.1');
    expect(get('requests')).toMatchObject({ version: '2.33.1' });
    expect(get('requests')?.dev).toBeUndefined();
    expect(get('typing-extensions')?.dev).toBeUndefined();
    expect(get('mypy')).toMatchObject({ version: '1.20.2', dev: true });
    expect(get('pytest')).toMatchObject({ version: '9.0.3', dev: true });
    const groupLines = text.split('\n').filter((line) => line.startsWith('groups = '));
    expect(result.packages.filter((p) => p.dev)).toHaveLength(groupLines.filter((line) => !line.includes('"main"')).length);
  });
});

describe('parsePoetryLock on structure and hostile input', () => {
  it('PEP 503 names, lock-version 1 category = "dev", metadata-only lock', () => {
    const lock = `[[package]]\nname = "Typing_Extensions"\nversion = "4.0.0"\ncategory = "main"\n\n[[package]]\nname = "zope.interface"\nversion = "5.0"\ncategory = "dev"\n\n[metadata]\nlock-version = "1.1"\n`;
    expect(parsePoetryLock(lock, 'poetry.lock').packages).toEqual([
      { ecosystem: 'PyPI', name: 'typing-extensions', version: '4.0.0', location: 'package[0]' },
      { ecosystem: 'PyPI', name: 'zope-interface', version: '5.0', location: 'package[1]', dev: true },
    ]);
    expect(parsePoetryLock('[metadata]\nlock-version = "2.1"\n', 'poetry.lock')).toEqual({
      type: 'poetry.lock',
      packages: [],
      warnings: [],
    });
  });

  it('empty file, binary garbage, invalid TOML, TOML that is not a poetry.lock', () => {
    expect(() => parsePoetryLock('', 'poetry.lock')).toThrow(/^poetry\.lock: empty file/);
    expect(() => parsePoetryLock('\u0000\u00ff\u0000garbage', 'poetry.lock')).toThrow(/^poetry\.lock: not a text file/);
    expect(() => parsePoetryLock('[[package]\nname = ', 'poetry.lock')).toThrow(InventoryParseError);
    expect(() => parsePoetryLock('{"packages": {}}', 'poetry.lock')).toThrow(/not valid TOML/);
    expect(() => parsePoetryLock('[tool.poetry]\nname = "x"\n', 'pyproject.toml')).toThrow(/not a poetry\.lock/);
    expect(() => parsePoetryLock('package = "x"\n', 'poetry.lock')).toThrow(/not an array of tables/);
  });

  it('bad entries are warnings; __proto__ is rejected and does not pollute', () => {
    const lock =
      '[[package]]\nname = "ok"\nversion = "1"\n\n[[package]]\nname = "nover"\n\n[[package]]\nversion = "1"\n\n[[package]]\nname = "__proto__"\nversion = "2"\n\n[package.__proto__]\npolluted = true\n';
    const result = parsePoetryLock(lock, 'poetry.lock');
    // `__proto__` is not a valid Python distribution name (must start with a letter or digit): a warning.
    expect(result.packages.map((p) => `${p.name}@${p.version}`)).toEqual(['ok@1']);
    expect(result.warnings).toHaveLength(3);
    expect(result.warnings[2]).toMatch(/package\[3\]: not a package name "__proto__"/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('deep nesting is an error, not a stack overflow', () => {
    const deep = `x = ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`;
    expect(() => parsePoetryLock(deep, 'poetry.lock')).toThrow(InventoryParseError);
  });

  it('200,000 packages finish in bounded time', () => {
    const parts: string[] = [];
    for (let i = 0; i < 200_000; i++)
      parts.push(`[[package]]\nname = "p${i}"\nversion = "1.0.${i}"\ngroups = ["${i % 2 ? 'main' : 'dev'}"]\n`);
    const big = parts.join('\n');
    const start = performance.now();
    const result = parsePoetryLock(big, 'poetry.lock');
    expect(performance.now() - start).toBeLessThan(10_000);
    expect(result.packages).toHaveLength(200_000);
    expect(result.packages.filter((p) => p.dev)).toHaveLength(100_000);
  });
});
