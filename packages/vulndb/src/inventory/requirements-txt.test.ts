import { describe, expect, it } from 'vitest';
import { InventoryParseError } from './model.ts';
import { parseRequirementsTxt } from './requirements-txt.ts';
import { MAX_WARNINGS } from './text.ts';

describe('parseRequirementsTxt', () => {
  it('pinned lines, extras, markers, hashes, continuations, comments', () => {
    const text = [
      '# a pip-compile output',
      'Django==4.2.1  # via -r requirements.in',
      'requests[security,socks] == 2.31.0 ; python_version >= "3.8"',
      'zope.interface===5.4.0',
      'cryptography==41.0.3 \\',
      '    --hash=sha256:aaa \\',
      '    --hash=sha256:bbb',
      '    # via requests',
      'typing_extensions==4.7.1; python_version < "3.11" --hash=sha256:ccc',
      '',
      'Ruamel.YAML.clib==0.2.7',
    ].join('\n');
    const result = parseRequirementsTxt(text, 'requirements.txt');
    expect(result.type).toBe('requirements.txt');
    expect(result.warnings).toEqual([]);
    expect(result.packages).toEqual([
      { ecosystem: 'PyPI', name: 'django', version: '4.2.1', location: 'line 2' },
      { ecosystem: 'PyPI', name: 'requests', version: '2.31.0', location: 'line 3' },
      { ecosystem: 'PyPI', name: 'zope-interface', version: '5.4.0', location: 'line 4' },
      { ecosystem: 'PyPI', name: 'cryptography', version: '41.0.3', location: 'line 5' },
      { ecosystem: 'PyPI', name: 'typing-extensions', version: '4.7.1', location: 'line 9' },
      { ecosystem: 'PyPI', name: 'ruamel-yaml-clib', version: '0.2.7', location: 'line 11' },
    ]);
  });

  it('unpinned, options, editable installs, URLs and direct references are warnings', () => {
    const lines = [
      'flask>=2.0',
      'numpy',
      'pandas==1.*',
      'attrs==21.1,<22',
      '-r other.txt',
      '--index-url https://example.invalid/simple',
      '-e git+https://example.invalid/x.git#egg=x',
      'https://example.invalid/pkg-1.0.tar.gz',
      './local/pkg',
      'pkg @ https://example.invalid/pkg-1.0.whl',
      'six==1.16.0',
    ];
    const result = parseRequirementsTxt(lines.join('\r\n'), 'requirements.txt');
    expect(result.packages).toEqual([{ ecosystem: 'PyPI', name: 'six', version: '1.16.0', location: 'line 11' }]);
    expect(result.warnings).toHaveLength(10);
    expect(result.warnings[0]).toMatch(/^line 1: not a pinned/);
    expect(result.warnings[4]).toMatch(/^line 5: option line/);
    expect(result.warnings[9]).toMatch(/^line 10: direct reference/);
  });

  it('an empty file or one of comments is an empty inventory', () => {
    expect(parseRequirementsTxt('', 'requirements.txt')).toEqual({ type: 'requirements.txt', packages: [], warnings: [] });
    expect(parseRequirementsTxt('# nothing\n\n', 'requirements.txt').packages).toEqual([]);
  });

  it('a trailing continuation at end of file does not lose the line', () => {
    expect(parseRequirementsTxt('a==1 \\', 'r.txt').packages).toEqual([{ ecosystem: 'PyPI', name: 'a', version: '1', location: 'line 1' }]);
  });

  it('binary garbage is an InventoryParseError naming the file', () => {
    const garbage = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00]).toString('latin1');
    expect(() => parseRequirementsTxt(garbage, 'requirements.txt')).toThrow(InventoryParseError);
    expect(() => parseRequirementsTxt(garbage, 'requirements.txt')).toThrow(/^requirements\.txt: not a text file/);
    expect(() => parseRequirementsTxt('\u00e9\u00e8\u00ea\u00eb'.repeat(100), 'r.txt')).toThrow(/r\.txt: not a requirements file/);
  });

  it('JSON is not a requirements file: warnings, no packages', () => {
    const result = parseRequirementsTxt('{"lockfileVersion": 3,\n "packages": {}}', 'requirements.txt');
    expect(result.packages).toEqual([]);
    expect(result.warnings).toHaveLength(2);
  });

  it('__proto__ is not a valid name and does not pollute', () => {
    const result = parseRequirementsTxt('__proto__==1.0\nconstructor==2.0\n', 'r.txt');
    expect(result.packages.map((p) => p.name)).toEqual(['constructor']);
    expect(result.warnings).toHaveLength(1);
    expect(({} as Record<string, unknown>).version).toBeUndefined();
  });

  it('200,000 lines finish in bounded time; warnings stay bounded', () => {
    const lines: string[] = [];
    for (let i = 0; i < 200_000; i++) lines.push(i % 2 ? `pkg-${i}==1.${i}` : `pkg-${i}>=1`);
    const start = performance.now();
    const result = parseRequirementsTxt(lines.join('\n'), 'r.txt');
    expect(performance.now() - start).toBeLessThan(5000);
    expect(result.packages).toHaveLength(100_000);
    expect(result.warnings.length).toBe(MAX_WARNINGS + 1);
  });

  it('200,000 continuation lines do not blow up', () => {
    const text = `a==1 ${'--hash=sha256:0 \\\n'.repeat(200_000)}`;
    const start = performance.now();
    const result = parseRequirementsTxt(text, 'r.txt');
    expect(performance.now() - start).toBeLessThan(5000);
    expect(result.packages).toEqual([{ ecosystem: 'PyPI', name: 'a', version: '1', location: 'line 1' }]);
  });
});

describe('parseRequirementsTxt on pathological lines (no regex backtracking blow-up)', () => {
  const cases: [string, string][] = [
    ['long interior whitespace', `a${' '.repeat(100_000)}b`],
    ['pinned then whitespace junk', `a==1${' \t'.repeat(50_000)}x`],
    ['long name, no operator', `${'a'.repeat(100_000)}!`],
    ['many open brackets', `a${'[ '.repeat(50_000)}`],
    ['many dashes', `a${'-a'.repeat(100_000)}`],
    ['many dots', 'a.'.repeat(100_000)],
    ['version split by spaces', `a==${'1 '.repeat(50_000)}`],
    ['many at signs', `a${'@'.repeat(100_000)}`],
  ];
  for (const [label, line] of cases) {
    it(`${label}: a warning, fast`, () => {
      const start = performance.now();
      const result = parseRequirementsTxt(line, 'r.txt');
      expect(performance.now() - start).toBeLessThan(1000);
      expect(result.packages).toEqual([]);
      expect(result.warnings).toHaveLength(1);
    });
  }
});
