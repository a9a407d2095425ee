import { describe, expect, it } from 'vitest';
import { parseGoMod } from './go-mod.ts';
import { InventoryParseError } from './model.ts';

const SAMPLE = `module github.com/example/service

go 1.21.3

toolchain go1.22.1

require (
	github.com/gin-gonic/gin v1.9.1
	golang.org/x/crypto v0.14.0
	github.com/old/dep v1.0.0
	github.com/local/dep v0.3.0
)

require (
	github.com/bytedance/sonic v1.9.1 // indirect
	golang.org/x/net v0.17.0 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
	github.com/pkg/errors v0.9.2-0.20201214064552-5dd12d0cfe7f // indirect
)

require github.com/google/uuid v1.3.1

replace github.com/old/dep => github.com/new/dep v1.2.0

replace (
	golang.org/x/net v0.17.0 => golang.org/x/net v0.18.0
	golang.org/x/crypto v0.1.0 => golang.org/x/crypto v0.2.0
	github.com/local/dep => ../dep
)

exclude golang.org/x/crypto v0.13.0

retract v0.1.0 // published by mistake
`;

describe('parseGoMod', () => {
  it('require lines and blocks, indirect kept, replaces applied, toolchain as stdlib', () => {
    const result = parseGoMod(SAMPLE, 'go.mod');
    expect(result.type).toBe('go.mod');
    expect(result.packages.map((p) => `${p.name}@${p.version}`)).toEqual([
      'github.com/gin-gonic/gin@v1.9.1',
      'golang.org/x/crypto@v0.14.0',
      'github.com/new/dep@v1.2.0',
      'github.com/bytedance/sonic@v1.9.1',
      'golang.org/x/net@v0.18.0',
      'gopkg.in/yaml.v3@v3.0.1',
      'github.com/pkg/errors@v0.9.2-0.20201214064552-5dd12d0cfe7f',
      'github.com/google/uuid@v1.3.1',
      'stdlib@1.22.1',
    ]);
    expect(result.packages.every((p) => p.ecosystem === 'Go' && p.dev === undefined)).toBe(true);
    expect(result.packages[0]).toEqual({ ecosystem: 'Go', name: 'github.com/gin-gonic/gin', version: 'v1.9.1', location: 'line 8' });
    expect(result.warnings).toEqual([
      expect.stringMatching(/^line 11 github\.com\/local\/dep "v0\.3\.0": replaced by local directory "\.\.\/dep"/),
    ]);
  });

  it('go directive without toolchain; rc versions; quoted paths; minimal file', () => {
    expect(parseGoMod('module x\n\ngo 1.21.3\n', 'go.mod').packages).toEqual([
      { ecosystem: 'Go', name: 'stdlib', version: '1.21.3', location: 'go' },
    ]);
    expect(parseGoMod('module x\ngo 1.21rc2\n', 'go.mod').packages[0]?.version).toBe('1.21.0-rc.2');
    expect(parseGoMod('module x\ngo 1.20\n', 'go.mod').packages[0]?.version).toBe('1.20');
    const quoted = parseGoMod('module "x"\nrequire "example.com/a" v1.0.0\nrequire ()\n', 'go.mod');
    expect(quoted.packages).toEqual([{ ecosystem: 'Go', name: 'example.com/a', version: 'v1.0.0', location: 'line 2' }]);
    expect(parseGoMod('module example.com/x\n', 'go.mod')).toEqual({ type: 'go.mod', packages: [], warnings: [] });
  });

  it('empty file, binary garbage, wrong format', () => {
    expect(() => parseGoMod('', 'go.mod')).toThrow(/^go\.mod: empty file/);
    expect(() => parseGoMod('\u0000\u00ff\u0000garbage', 'go.mod')).toThrow(/^go\.mod: not a text file/);
    expect(() => parseGoMod('{"dependencies": {}}', 'go.mod')).toThrow(InventoryParseError);
    expect(() => parseGoMod('[[package]]\nname = "x"\n', 'go.mod')).toThrow(/not a go\.mod/);
  });

  it('malformed lines are warnings; prototype keys are not module paths or are plain names', () => {
    const mod =
      'module x\nrequire (\n\tbroken\n\texample.com/a notaversion\n\t__proto__ v1.0.0\n\tconstructor v1.0.0\n)\nreplace __proto__ => hasOwnProperty v2.0.0\nreplace nothing\nfoo bar\nrequire "unterminated v1\n';
    const result = parseGoMod(mod, 'go.mod');
    expect(result.packages.map((p) => `${p.name}@${p.version}`)).toEqual(['constructor@v1.0.0']);
    expect(result.warnings).toHaveLength(7);
    expect(result.warnings[2]).toMatch(/^line 5: malformed require "__proto__ v1\.0\.0"/);
    expect(({} as Record<string, unknown>).path).toBeUndefined();
  });

  it('a very long line and an unterminated block do not crash', () => {
    const long = `module x\nrequire example.com/${'a'.repeat(1_000_000)} v1.0.0\nrequire ${'x '.repeat(200_000)}\nrequire (\n\texample.com/b v1.0.0\n`;
    const result = parseGoMod(long, 'go.mod');
    expect(result.packages.map((p) => p.version)).toEqual(['v1.0.0', 'v1.0.0']);
    expect(result.warnings).toHaveLength(2);
    expect(result.warnings.every((w) => w.length < 300)).toBe(true);
  });

  it('200,000 requires and replaces finish in bounded time', () => {
    const lines = ['module x', 'go 1.22.0', 'require ('];
    for (let i = 0; i < 200_000; i++) lines.push(`\texample.com/m${i} v1.0.${i} // indirect`);
    lines.push(')', 'replace (');
    for (let i = 0; i < 200_000; i += 2) lines.push(`\texample.com/m${i} => example.com/n${i} v2.0.0`);
    lines.push(')');
    const start = performance.now();
    const result = parseGoMod(lines.join('\n'), 'go.mod');
    expect(performance.now() - start).toBeLessThan(5_000);
    expect(result.packages).toHaveLength(200_001);
    expect(result.packages[0]?.name).toBe('example.com/n0');
  });
});
