import { describe, expect, it } from 'vitest';
import { InventoryParseError } from './model.ts';
import { parseNugetPackagesLock } from './nuget-packages-lock.ts';

const SAMPLE = `{
  "version": 2,
  "dependencies": {
    "net8.0": {
      "Newtonsoft.Json": {
        "type": "Direct",
        "requested": "[13.0.1, )",
        "resolved": "13.0.1",
        "contentHash": "ppPFpBcvxdsfUonNcvITKqLl3bqxWbDCZIzDWHzjpdAHRFfZe0Dw9HmA0+za13IdyrgJwpkDTDA9fHaxOrt20A=="
      },
      "Serilog": {
        "type": "CentralTransitive",
        "requested": "[3.1.1, )",
        "resolved": "3.1.1",
        "contentHash": "P6G4/4Kt9bT635bhuwdXlJ2SCqqn2nhh4gqFqQueCOr9bK/e7W9ll/IoX1Ter948cV2Z/5+5v8pAfJYUISY03A=="
      },
      "System.Text.Json": {
        "type": "Transitive",
        "resolved": "8.0.0",
        "contentHash": "OdrZO2WjkiEG6ajEFRABTRCi/wuXQPxeV6g8xvUJqdxMvvuCCEk86zPla8UiIQJz3durtUEbNyY/3lIhS0yZvQ==",
        "dependencies": {
          "System.Text.Encodings.Web": "8.0.0"
        }
      },
      "MyCompany.Core": {
        "type": "Project",
        "dependencies": {
          "Newtonsoft.Json": "[13.0.1, )"
        }
      }
    },
    "net8.0/linux-x64": {
      "newtonsoft.json": {
        "type": "Direct",
        "requested": "[13.0.1, )",
        "resolved": "13.0.1"
      },
      "runtime.linux-x64.Microsoft.DotNet.ILCompiler": {
        "type": "Transitive",
        "resolved": "8.0.0-rc.2.23479.6"
      }
    }
  }
}`;

describe('parseNugetPackagesLock', () => {
  it('Direct, Transitive and CentralTransitive kept, Project skipped, one entry per id and version', () => {
    const result = parseNugetPackagesLock(SAMPLE, 'packages.lock.json');
    expect(result.type).toBe('packages.lock.json');
    expect(result.warnings).toEqual([]);
    expect(result.packages).toEqual([
      { ecosystem: 'NuGet', name: 'Newtonsoft.Json', version: '13.0.1', location: 'net8.0/Newtonsoft.Json' },
      { ecosystem: 'NuGet', name: 'Serilog', version: '3.1.1', location: 'net8.0/Serilog' },
      { ecosystem: 'NuGet', name: 'System.Text.Json', version: '8.0.0', location: 'net8.0/System.Text.Json' },
      {
        ecosystem: 'NuGet',
        name: 'runtime.linux-x64.Microsoft.DotNet.ILCompiler',
        version: '8.0.0-rc.2.23479.6',
        location: 'net8.0/linux-x64/runtime.linux-x64.Microsoft.DotNet.ILCompiler',
      },
    ]);
  });

  it('a lock without packages', () => {
    expect(parseNugetPackagesLock('{"version":1,"dependencies":{"net6.0":{}}}', 'packages.lock.json')).toEqual({
      type: 'packages.lock.json',
      packages: [],
      warnings: [],
    });
  });

  it('empty file, binary garbage, wrong format', () => {
    expect(() => parseNugetPackagesLock('', 'packages.lock.json')).toThrow(/^packages\.lock\.json: empty file/);
    expect(() => parseNugetPackagesLock('\u0000\u00ff\u0000garbage', 'packages.lock.json')).toThrow(
      /^packages\.lock\.json: not a text file/,
    );
    expect(() => parseNugetPackagesLock('[[package]]\nname = "x"\n', 'packages.lock.json')).toThrow(/not valid JSON/);
    expect(() => parseNugetPackagesLock('[]', 'packages.lock.json')).toThrow(InventoryParseError);
    expect(() => parseNugetPackagesLock('{"lockfileVersion": 3, "packages": {}}', 'packages.lock.json')).toThrow(
      /no `dependencies` object/,
    );
  });

  it('bad entries are warnings; __proto__ keys do not pollute', () => {
    const lock = JSON.stringify({
      version: 1,
      dependencies: {
        net48: {
          Ok: { type: 'Direct', resolved: '1.0.0' },
          NoVersion: { type: 'Transitive' },
          BadVersion: { type: 'Transitive', resolved: { toString: 'x' } },
          Weird: { type: 'Other', resolved: '1.0.0' },
          'bad id!': { type: 'Direct', resolved: '1.0.0' },
          Str: 'x',
        },
        broken: 5,
      },
    }).replace('"Ok"', '"__proto__":{"type":"Direct","resolved":"9.9.9","polluted":true},"Ok"');
    const result = parseNugetPackagesLock(lock, 'packages.lock.json');
    expect(result.packages.map((p) => `${p.name}@${p.version}`)).toEqual(['__proto__@9.9.9', 'Ok@1.0.0']);
    expect(result.warnings).toHaveLength(6);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).resolved).toBeUndefined();
  });

  it('very long ids and versions give short warnings', () => {
    const lock = JSON.stringify({
      dependencies: {
        net8: { ['A'.repeat(1_000_000)]: { type: 'Direct', resolved: '1' }, B: { type: 'Direct', resolved: `1${'.x'.repeat(500_000)} ` } },
      },
    });
    const result = parseNugetPackagesLock(lock, 'packages.lock.json');
    expect(result.packages).toEqual([]);
    expect(result.warnings).toHaveLength(2);
    expect(result.warnings.every((w) => w.length < 300)).toBe(true);
  });

  it('200,000 entries finish in bounded time', () => {
    const deps: Record<string, unknown> = {};
    for (let i = 0; i < 200_000; i++) deps[`Pkg${i}`] = { type: i % 2 ? 'Direct' : 'Transitive', resolved: `1.0.${i}` };
    const lock = JSON.stringify({ version: 1, dependencies: { 'net8.0': deps, 'net8.0/win-x64': deps } });
    const start = performance.now();
    const result = parseNugetPackagesLock(lock, 'packages.lock.json');
    expect(performance.now() - start).toBeLessThan(10_000);
    expect(result.packages).toHaveLength(200_000);
  });
});
