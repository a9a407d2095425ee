import { describe, expect, it } from 'vitest';
import { InventoryParseError } from './model.ts';
import { MAX_WARNINGS } from './text.ts';
import { parseUvLock } from './uv-lock.ts';

// As uv 0.5 writes it (lock version 1): registry, editable project, git, directory, path and url sources.
const LOCK = `version = 1
requires-python = ">=3.12"

[[package]]
name = "anyio"
version = "4.6.2.post1"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "idna" },
    { name = "sniffio" },
]
sdist = { url = "https://files.pythonhosted.org/packages/9f/09/45b9b7a6d4e45c6bcb5bf61d19e3ab87df68e0601fa8c5293de3542546cc/anyio-4.6.2.post1.tar.gz", hash = "sha256:4c8bc31ccdb51c7f7bd251f51c609e038d63e34219b44aa86e47576389880b4c", size = 173422 }
wheels = [
    { url = "https://files.pythonhosted.org/packages/e4/f5/f2b75d2fc6f1a260f340f0e7c6a060f4dd2961cc16884ed851b0d18da06a/anyio-4.6.2.post1-py3-none-any.whl", hash = "sha256:6d170c36fba3bdd840c73d3868c1e777e33676a69c3a72cf0a0d5d6d8009b61d", size = 90377 },
]

[[package]]
name = "httpx"
version = "0.27.2"
source = { git = "https://github.com/encode/httpx?rev=0.27.2#5d8b1b9f0b7a6c8e4d3f2a1b0c9e8d7f6a5b4c3d" }
dependencies = [
    { name = "anyio" },
    { name = "idna" },
    { name = "sniffio" },
]

[[package]]
name = "idna"
version = "3.10"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files.pythonhosted.org/packages/f1/70/7703c29685631f5a7590aa73f1f1d3fa9a380e654b86af429e0934a32f7d/idna-3.10.tar.gz", hash = "sha256:12f65c9b470abda6dc35cf8e63cc574b1c52b11df2c86030af0ac09b01b13ea9", size = 190490 }
wheels = [
    { url = "https://files.pythonhosted.org/packages/76/c6/c88e154df9c4e1a2a66ccf0005a88dfb2650c1dffb6f5ce603dfbd452ce3/idna-3.10-py3-none-any.whl", hash = "sha256:946d195a0d259cbba61165e88e65941f16e9b36ea6ddb97f00452bae8b1287d3", size = 70442 },
]

[[package]]
name = "iniconfig"
version = "2.0.0"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files.pythonhosted.org/packages/d7/4b/cbd8e699e64a6f16ca3a8220661b5f83792b3017d0f79807cb8708d33913/iniconfig-2.0.0.tar.gz", hash = "sha256:2d91e135bf72d31a410b17c16da610a82cb55f6b0477d1a902134b24a455b8b3", size = 4646 }
wheels = [
    { url = "https://files.pythonhosted.org/packages/ef/a6/62565a6e1cf69e10f5727360368e451d4b7f58beeac6173dc9db836a5b46/iniconfig-2.0.0-py3-none-any.whl", hash = "sha256:b6a85871a79d2e3b22d2d1b94ac2824226a63c6b741c88f7ae975f18b6778374", size = 5892 },
]

[[package]]
name = "legacy-sdist"
version = "1.0.0"
source = { url = "https://example.com/downloads/legacy_sdist-1.0.0.tar.gz" }
sdist = { hash = "sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0" }

[[package]]
name = "myproject"
version = "0.1.0"
source = { editable = "." }
dependencies = [
    { name = "anyio" },
    { name = "httpx" },
    { name = "legacy-sdist" },
    { name = "mylib" },
    { name = "vendored" },
]

[package.dev-dependencies]
dev = [
    { name = "pytest" },
]

[package.metadata]
requires-dist = [
    { name = "anyio", specifier = ">=4.6.2" },
    { name = "httpx", git = "https://github.com/encode/httpx?rev=0.27.2" },
    { name = "legacy-sdist", url = "https://example.com/downloads/legacy_sdist-1.0.0.tar.gz" },
    { name = "mylib", directory = "../mylib" },
    { name = "vendored", path = "vendor/vendored-2.1.0-py3-none-any.whl" },
]

[package.metadata.requires-dev]
dev = [{ name = "pytest", specifier = ">=8.3.3" }]

[[package]]
name = "mylib"
version = "0.3.0"
source = { directory = "../mylib" }

[[package]]
name = "packaging"
version = "24.2"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files.pythonhosted.org/packages/d0/63/68dbb6eb2de9cb10ee4c9c14a0148804425e13c4fb20d61cce69f53106da/packaging-24.2.tar.gz", hash = "sha256:c228a6dc5e932d346bc5739379109d49e8853dd8223571c7c5b55260edc0b97f", size = 163950 }
wheels = [
    { url = "https://files.pythonhosted.org/packages/88/ef/eb23f262cca3c0c4eb7ab1933c3b1f03d021f2c48f54763065b6f0e321be/packaging-24.2-py3-none-any.whl", hash = "sha256:09abb1bccd265c01f4a3aa3f7a7db064b36514d2cba19a2f694fe6150451a759", size = 65451 },
]

[[package]]
name = "pluggy"
version = "1.5.0"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files.pythonhosted.org/packages/96/2d/02d4312c973c6050a18b314a5ad0b3210edb65a906f868e31c111dede4a6/pluggy-1.5.0.tar.gz", hash = "sha256:2cffa88e94fdc978c4c574f15f9e59b7f4201d439195c3715ca9e2486f1d0cf1", size = 67955 }
wheels = [
    { url = "https://files.pythonhosted.org/packages/88/5f/e351af9a41f866ac3f1fac4ca0613908d9a41741cfcf2228f4ad853b697d/pluggy-1.5.0-py3-none-any.whl", hash = "sha256:44e1ad92c8ca002de6377e165f3e0f1be63266ab4d554740532335b9d75ea669", size = 20556 },
]

[[package]]
name = "pytest"
version = "8.3.3"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "colorama", marker = "sys_platform == 'win32'" },
    { name = "iniconfig" },
    { name = "packaging" },
    { name = "pluggy" },
]
sdist = { url = "https://files.pythonhosted.org/packages/8b/6c/62bbd536103af674e227c41a8f3dcd022d591f6eed5facb5a0f31ee33bbc/pytest-8.3.3.tar.gz", hash = "sha256:70b98107bd648308a7952b06e6ca9a50bc660be218d53c257cc1fc94fda10181", size = 1442487 }
wheels = [
    { url = "https://files.pythonhosted.org/packages/6b/77/7440a06a8ead44c7757a64362dd22df5760f9b12dc5f11b6188cd2fc27a0/pytest-8.3.3-py3-none-any.whl", hash = "sha256:a6853c7375b2663155079443d2e45de913a911a11d669df02a50814944db57b2", size = 342341 },
]

[[package]]
name = "sniffio"
version = "1.3.1"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files.pythonhosted.org/packages/a2/87/a6771e1546d97e7e041b6ae58d80074f81b7d5121207425c964ddf5cfdbd/sniffio-1.3.1.tar.gz", hash = "sha256:f4324edc670a0f49750a81b895f35c3adb843cca46f0530f79fc1babb23789dc", size = 20372 }
wheels = [
    { url = "https://files.pythonhosted.org/packages/e9/44/75a9c9421471a6c4805dbf2356f7c181a29c1879239abab1ea2cc8f38b40/sniffio-1.3.1-py3-none-any.whl", hash = "sha256:2f6da418d1f1e0fddd844478f41680e794e6051915791a034ff65e5f100525a2", size = 10235 },
]

[[package]]
name = "vendored"
version = "2.1.0"
source = { path = "vendor/vendored-2.1.0-py3-none-any.whl" }
wheels = [
    { filename = "vendored-2.1.0-py3-none-any.whl", hash = "sha256:1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809" },
]
`;

const pypi = (name: string, version: string, location: string) => ({ ecosystem: 'PyPI', name, version, location });

describe('parseUvLock on a uv lock', () => {
  const result = parseUvLock(LOCK, 'uv.lock');

  it('registry packages only, in file order, location package[i], dev not set', () => {
    expect(result.type).toBe('uv.lock');
    expect(result.packages).toEqual([
      pypi('anyio', '4.6.2.post1', 'package[0]'),
      pypi('idna', '3.10', 'package[2]'),
      pypi('iniconfig', '2.0.0', 'package[3]'),
      pypi('packaging', '24.2', 'package[7]'),
      pypi('pluggy', '1.5.0', 'package[8]'),
      pypi('pytest', '8.3.3', 'package[9]'),
      pypi('sniffio', '1.3.1', 'package[10]'),
    ]);
  });

  it('the editable project is silent; git, url, directory and path sources are warnings', () => {
    expect(result.warnings).toEqual([
      'package[1] httpx: git source "https://github.com/encode/httpx?rev=0.27.2#5d8b1b9f0b7a6c8e4d3f2a1b0c9e8d7f6a5b4…", not an index release, skipped',
      'package[4] legacy-sdist: url source "https://example.com/downloads/legacy_sdist-1.0.0.tar.gz", not an index release, skipped',
      'package[6] mylib: directory source "../mylib", not an index release, skipped',
      'package[11] vendored: path source "vendor/vendored-2.1.0-py3-none-any.whl", not an index release, skipped',
    ]);
  });

  it('PEP 503 names; a virtual workspace root and members without version are silent; bad entries are warnings', () => {
    const lock = `version = 1
revision = 2
requires-python = ">=3.9"

[manifest]
members = ["app", "lib"]

[[package]]
name = "workspace-root"
source = { virtual = "." }

[[package]]
name = "lib"
source = { editable = "packages/lib" }

[[package]]
name = "Zope.Interface"
version = "7.1.1"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "private"
version = "1.0"
source = { registry = "https://pypi.example.com/simple" }

[[package]]
name = "noversion"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "nosource"
version = "1.0"

[[package]]
name = "-bad-"
version = "1.0"
source = { registry = "https://pypi.org/simple" }
`;
    const r = parseUvLock(lock, 'uv.lock');
    expect(r.packages).toEqual([pypi('zope-interface', '7.1.1', 'package[2]'), pypi('private', '1.0', 'package[3]')]);
    expect(r.warnings).toEqual([
      'package[4] noversion: no version, skipped',
      'package[5] nosource: no source table, skipped',
      'package[6]: not a package name "-bad-", skipped',
    ]);
  });

  it('a lock without packages is valid and empty', () => {
    expect(parseUvLock('version = 1\nrequires-python = ">=3.12"\n', 'uv.lock')).toEqual({ type: 'uv.lock', packages: [], warnings: [] });
  });
});

describe('parseUvLock on malformed and hostile input', () => {
  it('empty file, binary garbage, invalid TOML', () => {
    expect(() => parseUvLock('', 'uv.lock')).toThrow(/^uv\.lock: empty file/);
    const garbage = Buffer.from([0x76, 0x65, 0x72, 0x00, 0x01, 0xff, 0xfe, 0x3d, 0x31]);
    expect(() => parseUvLock(garbage.toString('latin1'), 'uv.lock')).toThrow(/^uv\.lock: not a text file/);
    expect(() => parseUvLock(garbage.toString('utf8'), 'uv.lock')).toThrow(InventoryParseError);
    expect(() => parseUvLock('version = 1\n[[package]\nname = ', 'uv.lock')).toThrow(/^uv\.lock: not valid TOML/);
  });

  it('TOML that is not a uv.lock, or an unknown version', () => {
    const cargo =
      'version = 3\n\n[[package]]\nname = "serde"\nversion = "1.0.0"\nsource = "registry+https://github.com/rust-lang/crates.io-index"\n';
    expect(() => parseUvLock(cargo, 'Cargo.lock')).toThrow(/^Cargo\.lock: not a uv\.lock/);
    expect(() => parseUvLock('[[package]]\nname = "x"\nversion = "1"\n\n[metadata]\nlock-version = "2.0"\n', 'poetry.lock')).toThrow(
      /not a uv\.lock/,
    );
    expect(() => parseUvLock('[project]\nname = "x"\n', 'pyproject.toml')).toThrow(/not a uv\.lock/);
    expect(() => parseUvLock('version = 2\nrequires-python = ">=3.12"\n', 'uv.lock')).toThrow(/unsupported uv\.lock version "2"/);
    expect(() => parseUvLock('version = 1\nrequires-python = ">=3.12"\npackage = "x"\n', 'uv.lock')).toThrow(/not an array of tables/);
  });

  it('__proto__ and constructor do not pollute', () => {
    const lock =
      'version = 1\nrequires-python = ">=3.12"\n\n[[package]]\nname = "__proto__"\nversion = "1.0"\nsource = { registry = "https://pypi.org/simple" }\n\n' +
      '[package.__proto__]\npolluted = true\n\n[[package]]\nname = "constructor"\nversion = "2.0"\nsource = { registry = "https://pypi.org/simple", __proto__ = { polluted = true } }\n';
    const r = parseUvLock(lock, 'uv.lock');
    expect(r.packages).toEqual([pypi('constructor', '2.0', 'package[1]')]);
    expect(r.warnings).toEqual(['package[0]: not a package name "__proto__", skipped']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a 10 MB single line: a clear error, or handled inside a value', () => {
    const big = 'a'.repeat(10_000_000);
    expect(() => parseUvLock(big, 'uv.lock')).toThrow(/^uv\.lock: not valid TOML/);
    const r = parseUvLock(
      `version = 1\nrequires-python = ">=3.12"\n[[package]]\nname = "x"\nversion = "1.0"\nsource = { registry = "${big}" }\n`,
      'uv.lock',
    );
    expect(r.packages).toEqual([pypi('x', '1.0', 'package[0]')]);
  });

  it('200,000 packages; bad ones keep the warning list bounded', { timeout: 300_000 }, () => {
    const parts = ['version = 1\nrequires-python = ">=3.12"\n'];
    for (let i = 0; i < 200_000; i++) {
      const source = i % 2 === 0 ? '{ registry = "https://pypi.org/simple" }' : `{ git = "https://example.com/p${i}.git" }`;
      parts.push(`[[package]]\nname = "p${i}"\nversion = "1.0.${i}"\nsource = ${source}\n`);
    }
    const r = parseUvLock(parts.join('\n'), 'uv.lock');
    expect(r.packages).toHaveLength(100_000);
    expect(r.packages[1]).toEqual(pypi('p2', '1.0.2', 'package[2]'));
    expect(r.warnings).toHaveLength(MAX_WARNINGS + 1);
    expect(r.warnings.at(-1)).toBe(`${100_000 - MAX_WARNINGS} further warnings not shown`);
  });
});
