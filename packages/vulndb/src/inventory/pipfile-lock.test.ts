import { describe, expect, it } from 'vitest';
import { InventoryParseError } from './model.ts';
import { parsePipfileLock } from './pipfile-lock.ts';
import { MAX_WARNINGS } from './text.ts';

// As pipenv 2023.x writes it: four-space indent, sorted keys.
const LOCK = `{
    "_meta": {
        "hash": {
            "sha256": "b1c3c4a2d6e0f1e8a9c7b5d3e1f0a2c4b6d8e0f2a4c6b8d0e2f4a6c8b0d2e4f6"
        },
        "pipfile-spec": 6,
        "requires": {
            "python_version": "3.11"
        },
        "sources": [
            {
                "name": "pypi",
                "url": "https://pypi.org/simple",
                "verify_ssl": true
            }
        ]
    },
    "default": {
        "certifi": {
            "hashes": [
                "sha256:539cc1d13202e33ca466e88b2807e29f4c13049d6d87031a3c110744495cb082",
                "sha256:92d6037539857d8206b8f6ae472e8b77db8058fec5937a1ef3f54304089edbb9"
            ],
            "index": "pypi",
            "markers": "python_version >= '3.6'",
            "version": "==2023.7.22"
        },
        "charset-normalizer": {
            "hashes": [
                "sha256:06435b539f889b1f6f4ac1758871aae42dc3a8c0e24ac9e60c2384973ad73027"
            ],
            "markers": "python_full_version >= '3.7.0'",
            "version": "==3.3.2"
        },
        "django": {
            "extras": [
                "argon2"
            ],
            "hashes": [
                "sha256:8e0f1c2d3b4a5968778695a4b3c2d1e0f9e8d7c6b5a4938271605f4e3d2c1b0a"
            ],
            "index": "pypi",
            "version": "==4.2.7"
        },
        "mylib": {
            "editable": true,
            "path": "."
        },
        "requests": {
            "git": "https://github.com/psf/requests.git",
            "ref": "0e322af87745eff34caffe4df68456ebc20d9068"
        },
        "typing-extensions": {
            "hashes": [
                "sha256:8f92fc8806f9a6b641eaa5318da32b44d401efaac0f6678c9bc448ba3605faa0"
            ],
            "markers": "python_version >= '3.8'",
            "version": "==4.8.0"
        },
        "zope.interface": {
            "hashes": [
                "sha256:0c8cf55261e15590065039696607f6c9c1aeda700ceee40c70478552d323b3ff"
            ],
            "version": "==6.1"
        }
    },
    "develop": {
        "pytest": {
            "hashes": [
                "sha256:1d881c6124e08ff0a1bb75ba3ec0bfd8b5354a01c194ddd5a0a870a48d99ac5"
            ],
            "index": "pypi",
            "markers": "python_version >= '3.7'",
            "version": "==7.4.3"
        },
        "typing-extensions": {
            "hashes": [
                "sha256:8f92fc8806f9a6b641eaa5318da32b44d401efaac0f6678c9bc448ba3605faa0"
            ],
            "markers": "python_version >= '3.8'",
            "version": "==4.8.0"
        },
        "Pygments": {
            "hashes": [
                "sha256:13fc09fa63bc8d8671a6d247e1eb303c4b343eaee81d861f3404db2935653692"
            ],
            "version": "==2.16.1"
        },
        "local-wheel": {
            "file": "https://example.com/wheels/local_wheel-1.0-py3-none-any.whl"
        }
    }
}
`;

const pypi = (name: string, version: string, location: string, dev?: true) => ({
  ecosystem: 'PyPI',
  name,
  version,
  location,
  ...(dev ? { dev } : {}),
});

describe('parsePipfileLock on a pipenv lock', () => {
  const result = parsePipfileLock(LOCK, 'Pipfile.lock');

  it('default and develop packages, == stripped, PEP 503 names, develop is dev', () => {
    expect(result.type).toBe('Pipfile.lock');
    expect(result.packages).toEqual([
      pypi('certifi', '2023.7.22', 'default.certifi'),
      pypi('charset-normalizer', '3.3.2', 'default.charset-normalizer'),
      pypi('django', '4.2.7', 'default.django'),
      // Also in develop, but needed in production: reported once, not dev.
      pypi('typing-extensions', '4.8.0', 'default.typing-extensions'),
      pypi('zope-interface', '6.1', 'default.zope.interface'),
      pypi('pytest', '7.4.3', 'develop.pytest', true),
      pypi('pygments', '2.16.1', 'develop.Pygments', true),
    ]);
  });

  it('editable, git and file entries are warnings', () => {
    expect(result.warnings).toEqual([
      '"default.mylib": editable path entry ".", not an index release, skipped',
      '"default.requests": git entry "https://github.com/psf/requests.git", not an index release, skipped',
      '"develop.local-wheel": file entry "https://example.com/wheels/local_wheel-1.0-py3-none-any.whl", not an index release, skipped',
    ]);
  });

  it('=== pins; unpinned, ranged and missing versions are warnings; an empty lock is valid', () => {
    const lock = JSON.stringify({
      _meta: { 'pipfile-spec': 6 },
      default: { a: { version: '===1.0' }, b: { version: '>=1.0' }, c: { version: '*' }, d: {}, e: { version: 3 }, f: 'x' },
      develop: {},
    });
    const r = parsePipfileLock(lock, 'Pipfile.lock');
    expect(r.packages).toEqual([pypi('a', '1.0', 'default.a')]);
    expect(r.warnings).toEqual([
      '"default.b": no ==pinned version ">=1.0", skipped',
      '"default.c": no ==pinned version "*", skipped',
      '"default.d": no ==pinned version "undefined", skipped',
      '"default.e": no ==pinned version "3", skipped',
      '"default.f": entry is not an object, skipped',
    ]);
    expect(parsePipfileLock('{"_meta": {}, "default": {}, "develop": {}}', 'Pipfile.lock')).toEqual({
      type: 'Pipfile.lock',
      packages: [],
      warnings: [],
    });
  });
});

describe('parsePipfileLock on malformed and hostile input', () => {
  it('empty file, binary garbage, invalid JSON', () => {
    expect(() => parsePipfileLock('', 'Pipfile.lock')).toThrow(/^Pipfile\.lock: empty file/);
    const garbage = Buffer.from([0x7b, 0x00, 0x22, 0xff, 0xfe, 0x00, 0x7d]);
    expect(() => parsePipfileLock(garbage.toString('latin1'), 'Pipfile.lock')).toThrow(/^Pipfile\.lock: not a text file/);
    expect(() => parsePipfileLock(garbage.toString('utf8'), 'Pipfile.lock')).toThrow(InventoryParseError);
    expect(() => parsePipfileLock('{"default": {', 'Pipfile.lock')).toThrow(/^Pipfile\.lock: not valid JSON/);
  });

  it('JSON that is not a Pipfile.lock', () => {
    expect(() => parsePipfileLock('{"lockfileVersion": 3, "packages": {}}', 'package-lock.json')).toThrow(
      /^package-lock\.json: not a Pipfile\.lock/,
    );
    expect(() => parsePipfileLock('[]', 'x')).toThrow(/not a Pipfile\.lock: the top level is not a JSON object/);
    expect(() => parsePipfileLock('{"default": [], "develop": {}}', 'x')).toThrow(/default \/ develop is not a JSON object/);
    expect(() => parsePipfileLock('{"_meta": 1, "default": {}}', 'x')).toThrow(/_meta is not a JSON object/);
  });

  it('__proto__ and constructor do not pollute', () => {
    const lock =
      '{"_meta":{},"default":{"__proto__":{"version":"==1.0","polluted":true},"constructor":{"version":"==2.0"},' +
      '"toString":{"version":"==3.0","__proto__":{"polluted":true}}}}';
    const r = parsePipfileLock(lock, 'Pipfile.lock');
    // `__proto__` is not a valid distribution name (it must start with a letter or digit).
    expect(r.packages.map((p) => `${p.name}@${p.version}`)).toEqual(['constructor@2.0', 'tostring@3.0']);
    expect(r.warnings).toEqual(['"default.__proto__": not a package name, skipped']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a 10 MB single line is handled', () => {
    const big = 'a'.repeat(10_000_000);
    const r = parsePipfileLock(
      `{"default": {"x": {"version": "==1.0", "markers": "${big}"}, "${big}": {"version": "==1"}}}`,
      'Pipfile.lock',
    );
    expect(r.packages).toEqual([pypi('x', '1.0', 'default.x')]);
    expect(r.warnings).toEqual([expect.stringMatching(/^"default\.a{72}…": not a package name, skipped$/)]);
    expect(() => parsePipfileLock(big, 'Pipfile.lock')).toThrow(/^Pipfile\.lock: not valid JSON/);
  });

  it('200,000 entries; bad ones keep the warning list bounded', () => {
    const prod: Record<string, unknown> = {};
    const dev: Record<string, unknown> = {};
    for (let i = 0; i < 200_000; i++) (i % 4 === 0 ? dev : prod)[`Pkg_${i}`] = { hashes: ['sha256:00'], version: `==1.${i}` };
    const r = parsePipfileLock(JSON.stringify({ _meta: {}, default: prod, develop: dev }), 'Pipfile.lock');
    expect(r.packages).toHaveLength(200_000);
    expect(r.packages.filter((p) => p.dev)).toHaveLength(50_000);
    expect(r.packages[0]).toEqual(pypi('pkg-1', '1.1', 'default.Pkg_1'));
    const bad: Record<string, unknown> = {};
    for (let i = 0; i < 200_000; i++) bad[`p${i}`] = { editable: true, path: `./p${i}` };
    const rb = parsePipfileLock(JSON.stringify({ default: bad }), 'Pipfile.lock');
    expect(rb.packages).toEqual([]);
    expect(rb.warnings).toHaveLength(MAX_WARNINGS + 1);
  });
});
