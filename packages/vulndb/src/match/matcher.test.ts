import { describe, expect, it } from 'vitest';
import type { InstalledPackage } from '../inventory/model.ts';
import { type OsvRecord, parseOsvRecord } from '../osv/model.ts';
import { AdvisoryIndex } from './advisory-index.ts';
import { applicableKeys, ecosystemKey } from './ecosystems.ts';
import { MissingReleaseError, matchPackages } from './matcher.ts';

function record(partial: Record<string, unknown> & { id: string }): OsvRecord {
  return parseOsvRecord({ modified: '2024-01-01T00:00:00Z', ...partial }, 'test');
}

const affected = (ecosystem: string, name: string, events: Record<string, string>[], extra: Record<string, unknown> = {}) => ({
  package: { ecosystem, name },
  ranges: [{ type: 'ECOSYSTEM' as const, events }],
  ...extra,
});

function indexOf(...records: OsvRecord[]): AdvisoryIndex {
  const index = new AdvisoryIndex();
  for (const r of records) index.add(r, `${r.id}.json`);
  return index;
}

const npm = (name: string, version: string): InstalledPackage => ({ ecosystem: 'npm', name, version });

describe('ecosystem keys', () => {
  it('place advisories by distribution and release, language ecosystems by name', () => {
    expect(ecosystemKey('Ubuntu:18.04:LTS')).toBe('ubuntu:18.04');
    expect(ecosystemKey('Ubuntu:Pro:18.04:LTS')).toBe('ubuntu:pro:18.04');
    expect(ecosystemKey('Debian:12.4')).toBe('debian:12');
    expect(ecosystemKey('Alpine:3.16')).toBe('alpine:v3.16');
    expect(ecosystemKey('Red Hat:enterprise_linux:9::appstream')).toBe('red hat:enterprise_linux:9');
    expect(ecosystemKey('Debian')).toBeNull();
    expect(ecosystemKey('PyPI')).toBe('pypi');
    expect(applicableKeys('Ubuntu:Pro:18.04:LTS')).toEqual(['ubuntu:pro:18.04', 'ubuntu:18.04']);
    expect(applicableKeys('Ubuntu:18.04:LTS')).toEqual(['ubuntu:18.04']);
  });
});

describe('matchPackages', () => {
  it('folds records sharing an alias into one finding, with the highest fixed version and the worst severity', () => {
    const ghsa = record({
      id: 'GHSA-aaaa-bbbb-cccc',
      aliases: ['CVE-2024-0001'],
      affected: [affected('PyPI', 'Requests', [{ introduced: '0' }, { fixed: '2.31.0' }])],
      database_specific: { severity: 'MODERATE' },
    });
    const pysec = record({
      id: 'PYSEC-2024-1',
      aliases: ['CVE-2024-0001', 'GHSA-aaaa-bbbb-cccc'],
      affected: [affected('PyPI', 'requests', [{ introduced: '0' }, { fixed: '2.32.0' }])],
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
    });
    const other = record({ id: 'PYSEC-2024-2', affected: [affected('PyPI', 'requests', [{ introduced: '0' }, { fixed: '3.0' }])] });
    const { findings } = matchPackages([{ ecosystem: 'PyPI', name: 'requests', version: '2.30.0' }], indexOf(ghsa, pysec, other));
    expect(findings.map((f) => f.id)).toEqual(['GHSA-aaaa-bbbb-cccc', 'PYSEC-2024-2']);
    expect(findings[0]).toMatchObject({
      aliases: ['CVE-2024-0001', 'PYSEC-2024-1'],
      fixedVersion: '2.32.0',
      severity: 'CRITICAL',
      fixState: 'fixed',
      match: 'GHSA-aaaa-bbbb-cccc PyPI Requests: introduced 0, fixed 2.31.0; 2.30.0 < 2.31.0',
    });
  });

  it('never matches an OS package without its release, nor another release', () => {
    const usn = record({ id: 'USN-1', affected: [affected('Ubuntu:16.04:LTS', 'sudo', [{ introduced: '0' }, { fixed: '2' }])] });
    const pkg: InstalledPackage = { ecosystem: 'Ubuntu', name: 'sudo', version: '1', source: { name: 'sudo', version: '1' } };
    expect(() => matchPackages([pkg], indexOf(usn))).toThrow(MissingReleaseError);
    expect(matchPackages([pkg], indexOf(usn), { osEcosystem: 'Ubuntu:18.04:LTS' }).findings).toEqual([]);
    expect(matchPackages([pkg], indexOf(usn), { osEcosystem: 'Ubuntu:16.04:LTS' }).findings).toHaveLength(1);
    // Pro systems also get the public release's advisories.
    expect(matchPackages([pkg], indexOf(usn), { osEcosystem: 'Ubuntu:Pro:16.04:LTS' }).findings).toHaveLength(1);
  });

  it('matches an explicit versions list (PEP 440 equality), with fix state unknown', () => {
    const r = record({ id: 'PYSEC-1', affected: [{ package: { ecosystem: 'PyPI', name: 'x' }, versions: ['1.0', '1.1'] }] });
    const { findings } = matchPackages([{ ecosystem: 'PyPI', name: 'x', version: '1.0.0' }], indexOf(r));
    expect(findings[0]).toMatchObject({
      fixState: 'unknown',
      fixedVersion: null,
      match: 'PYSEC-1 PyPI x: listed among affected versions (1.0 = 1.0.0)',
    });
  });

  it('open ranges are not fixed; last_affected is a known end, not a fix', () => {
    const open = record({ id: 'A-1', affected: [affected('npm', 'a', [{ introduced: '1.0.0' }])] });
    const last = record({ id: 'A-2', affected: [affected('npm', 'a', [{ introduced: '0' }, { last_affected: '1.5.0' }])] });
    const { findings } = matchPackages([npm('a', '1.2.0')], indexOf(open, last));
    expect(findings.map((f) => [f.id, f.fixState])).toEqual([
      ['A-1', 'not_fixed'],
      ['A-2', 'unknown'],
    ]);
  });

  it('takes the vendor fix state carried by converted feeds', () => {
    const tracker = record({
      id: 'CVE-2024-9',
      affected: [
        affected('Debian:12', 'openssl', [{ introduced: '0' }], {
          database_specific: { vigil: { source: 'debian-security-tracker', fix_state: 'wont_fix', severity: 'NEGLIGIBLE' } },
        }),
      ],
    });
    const pkg: InstalledPackage = {
      ecosystem: 'Debian',
      name: 'libssl3',
      version: '3.0.11-1~deb12u2',
      source: { name: 'openssl', version: '3.0.11-1~deb12u2' },
    };
    const { findings } = matchPackages([pkg], indexOf(tracker), { osEcosystem: 'Debian:12' });
    expect(findings[0]).toMatchObject({ package: 'libssl3', sourcePackage: 'openssl', fixState: 'wont_fix', severity: 'NEGLIGIBLE' });
  });

  it('ignores withdrawn records and RustSec informational notices', () => {
    const withdrawn = record({
      id: 'W-1',
      withdrawn: '2024-02-01T00:00:00Z',
      affected: [affected('crates.io', 'c', [{ introduced: '0' }])],
    });
    const notice = record({
      id: 'RUSTSEC-1',
      affected: [{ ...affected('crates.io', 'c', [{ introduced: '0' }]), database_specific: { informational: 'unmaintained' } }],
    });
    const index = indexOf(withdrawn, notice);
    expect(matchPackages([{ ecosystem: 'crates.io', name: 'c', version: '1.0.0' }], index).findings).toEqual([]);
    expect(index.stats).toMatchObject({ records: 2, withdrawn: 1, informational: 1 });
  });

  it('an unreadable version is a warning, never a guess', () => {
    const r = record({ id: 'B-1', affected: [affected('npm', 'b', [{ introduced: '0' }, { fixed: 'not-a-version' }])] });
    const bad = matchPackages([npm('b', '1.0.0'), npm('c', 'latest')], indexOf(r));
    expect(bad.findings).toEqual([]);
    expect(bad.warnings).toEqual([
      expect.stringMatching(/^B-1\.json \(B-1\): invalid SemVer version "not-a-version".*not evaluated for b 1\.0\.0$/),
      'c latest: not a valid npm version, not matched',
    ]);
  });

  it('an unreadable range does not hide the versions list of its entry', () => {
    const r = record({
      id: 'PYSEC-9',
      affected: [
        {
          package: { ecosystem: 'PyPI', name: 'x' },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: 'not a version!' }] }],
          versions: ['1.0', '1.1'],
        },
      ],
    });
    const out = matchPackages([{ ecosystem: 'PyPI', name: 'x', version: '1.1' }], indexOf(r));
    expect(out.findings.map((f) => f.id)).toEqual(['PYSEC-9']);
    expect(out.warnings).toEqual([expect.stringMatching(/PYSEC-9.*that range was not evaluated for x 1\.1$/)]);
  });

  it('an rpm version without epoch meets a versions list with the advisory epoch too', () => {
    const r = record({
      id: 'ALSA-1',
      affected: [{ package: { ecosystem: 'AlmaLinux:9', name: 'grub2-tools' }, versions: ['1:2.06-20.el9'] }],
    });
    const pkg: InstalledPackage = { ecosystem: 'AlmaLinux', name: 'grub2-tools', version: '2.06-20.el9', epochKnown: false };
    const { findings } = matchPackages([pkg], indexOf(r), { osEcosystem: 'AlmaLinux:9' });
    expect(findings[0]?.match).toMatch(
      /listed among affected versions \(1:2\.06-20\.el9 = 2\.06-20\.el9\).*epoch not in the inventory: taken as the advisory's \(1\)/,
    );
  });

  it('rates by the CVSS base score: temporal metrics do not lower it, an incomplete vector is not scored', () => {
    const r = record({
      id: 'GO-1',
      severity: [
        { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:U' },
        { type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L' },
      ],
      affected: [affected('Go', 'example.com/m', [{ introduced: '0' }, { fixed: '1.2.0' }])],
    });
    const { findings } = matchPackages([{ ecosystem: 'Go', name: 'example.com/m', version: '1.0.0' }], indexOf(r));
    expect(findings[0]).toMatchObject({ severity: 'CRITICAL', cvss: { version: '3.1', score: 9.8 } });
  });

  it('one finding per package and version, with every place it was found', () => {
    const r = record({ id: 'D-1', affected: [affected('npm', 'd', [{ introduced: '0' }, { fixed: '2.0.0' }])] });
    const { findings } = matchPackages(
      [
        { ...npm('d', '1.0.0'), location: 'node_modules/d' },
        { ...npm('d', '1.0.0'), location: 'node_modules/x/node_modules/d' },
      ],
      indexOf(r),
      { origin: 'package-lock.json' },
    );
    expect(findings).toHaveLength(1);
    expect(findings[0]?.locations).toEqual([
      { path: 'package-lock.json', detail: 'node_modules/d' },
      { path: 'package-lock.json', detail: 'node_modules/x/node_modules/d' },
    ]);
  });

  it('a SEMVER range in a non-SemVer ecosystem is evaluated as SemVer', () => {
    const r = record({
      id: 'E-1',
      affected: [
        { package: { ecosystem: 'PyPI', name: 'e' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '1.0.0' }, { fixed: '1.2.0' }] }] },
      ],
    });
    expect(matchPackages([{ ecosystem: 'PyPI', name: 'e', version: '1.1.0' }], indexOf(r)).findings).toHaveLength(1);
  });
});
