import { describe, expect, it } from 'vitest';
import { parseGemfileLock } from './gemfile-lock.ts';
import { InventoryParseError } from './model.ts';

const SAMPLE = `GIT
  remote: https://github.com/rails/rails.git
  revision: 9a6e7dbd1bcf2d3b7c4a4c2e9f0a5e8d6b7c1a2f
  branch: main
  specs:
    rails (7.2.0.alpha)
      actionpack (= 7.2.0.alpha)

PATH
  remote: .
  specs:
    myapp (0.1.0)
      rack (>= 2.2)

GEM
  remote: https://rubygems.org/
  specs:
    actionpack (7.0.8)
      rack (~> 2.0, >= 2.2.4)
      rack-test (>= 0.6.3)
    mini_portile2 (2.8.5)
    nokogiri (1.15.4)
      mini_portile2 (~> 2.8.2)
      racc (~> 1.4)
    nokogiri (1.15.4-arm64-darwin)
      racc (~> 1.4)
    nokogiri (1.15.4-x86_64-linux)
      racc (~> 1.4)
    racc (1.7.3)
    rack (2.2.8)
    rack-test (2.1.0)
      rack (>= 1.3)
    sorbet-static (0.5.11087-universal-darwin)
    thor (1.3.0.rc1)

PLATFORMS
  arm64-darwin-22
  ruby
  x86_64-linux

DEPENDENCIES
  actionpack (~> 7.0)
  myapp!
  nokogiri
  rails!

BUNDLED WITH
   2.4.22
`;

describe('parseGemfileLock', () => {
  it('GEM specs at four spaces, platforms split off, one entry per name and version', () => {
    const result = parseGemfileLock(SAMPLE, 'Gemfile.lock');
    expect(result.type).toBe('Gemfile.lock');
    expect(result.packages.map((p) => `${p.name}@${p.version}`)).toEqual([
      'actionpack@7.0.8',
      'mini_portile2@2.8.5',
      'nokogiri@1.15.4',
      'racc@1.7.3',
      'rack@2.2.8',
      'rack-test@2.1.0',
      'sorbet-static@0.5.11087',
      'thor@1.3.0.rc1',
    ]);
    expect(result.packages.every((p) => p.ecosystem === 'RubyGems')).toBe(true);
    expect(result.packages.find((p) => p.name === 'sorbet-static')).toEqual({
      ecosystem: 'RubyGems',
      name: 'sorbet-static',
      version: '0.5.11087',
      arch: 'universal-darwin',
      location: 'line 33',
    });
    expect(result.warnings).toEqual([
      expect.stringMatching(/^line 6 rails "7\.2\.0\.alpha": from a GIT source/),
      expect.stringMatching(/^line 12 myapp "0\.1\.0": from a PATH source/),
    ]);
  });

  it('a platform-suffixed spec keeps its platform as arch; several GEM sources; CRLF', () => {
    const lock =
      'GEM\r\n  remote: https://rubygems.org/\r\n  specs:\r\n    nokogiri (1.16.0-x86_64-linux)\r\n\r\nGEM\r\n  remote: https://gems.example.com/\r\n  specs:\r\n    private-gem (0.3.1)\r\n';
    expect(parseGemfileLock(lock, 'Gemfile.lock').packages).toEqual([
      { ecosystem: 'RubyGems', name: 'nokogiri', version: '1.16.0', arch: 'x86_64-linux', location: 'line 4' },
      { ecosystem: 'RubyGems', name: 'private-gem', version: '0.3.1', location: 'line 9' },
    ]);
  });

  it('empty file, binary garbage, wrong format', () => {
    expect(() => parseGemfileLock('', 'Gemfile.lock')).toThrow(/^Gemfile\.lock: empty file/);
    expect(() => parseGemfileLock('\u0000\u00ff\u0000garbage', 'Gemfile.lock')).toThrow(/^Gemfile\.lock: not a text file/);
    expect(() => parseGemfileLock('{"dependencies": {}}', 'Gemfile.lock')).toThrow(InventoryParseError);
    expect(() => parseGemfileLock("source 'https://rubygems.org'\ngem 'rails'\n", 'Gemfile')).toThrow(/not a Gemfile\.lock/);
  });

  it('malformed specs are warnings; prototype names are plain gems', () => {
    const lock =
      'GEM\n  specs:\n    ok (1.0)\n    noversion\n    bad (1.0\n    weird (abc)\n    __proto__ (1.0)\n    constructor (2.0)\n    (1.0)\n     five-spaces (1.0)\n';
    const result = parseGemfileLock(lock, 'Gemfile.lock');
    expect(result.packages.map((p) => `${p.name}@${p.version}`)).toEqual(['ok@1.0', '__proto__@1.0', 'constructor@2.0']);
    expect(result.warnings).toHaveLength(4);
    expect(({} as Record<string, unknown>).version).toBeUndefined();
  });

  it('very long lines do not crash and give short warnings', () => {
    const lock = `GEM\n  specs:\n    ${'a'.repeat(1_000_000)} (1.0)\n    b (${'1.'.repeat(500_000)}x-)\n    c (1.0)\n`;
    const result = parseGemfileLock(lock, 'Gemfile.lock');
    expect(result.packages.map((p) => p.name)).toEqual(['a'.repeat(1_000_000), 'c']);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]?.length).toBeLessThan(200);
  });

  it('200,000 specs finish in bounded time', () => {
    const lines = ['GEM', '  remote: https://rubygems.org/', '  specs:'];
    for (let i = 0; i < 200_000; i++) lines.push(`    gem${i} (1.0.${i}-x86_64-linux)`, `      dep${i} (>= 1)`);
    lines.push('', 'PLATFORMS', '  x86_64-linux');
    const start = performance.now();
    const result = parseGemfileLock(lines.join('\n'), 'Gemfile.lock');
    expect(performance.now() - start).toBeLessThan(5_000);
    expect(result.packages).toHaveLength(200_000);
  });
});
