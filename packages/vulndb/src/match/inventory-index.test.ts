import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../../test/vectors.ts';
import { parseDpkgStatus } from '../inventory/dpkg-status.ts';
import type { InstalledPackage } from '../inventory/model.ts';
import { type OsvRecord, parseOsvRecord } from '../osv/model.ts';
import { AdvisoryIndex } from './advisory-index.ts';
import { isOsEcosystem } from './ecosystems.ts';
import { type AdvisoryChange, InventoryIndex, type StoredInventory } from './inventory-index.ts';
import { matchPackages } from './matcher.ts';

type Event = { introduced: string } | { fixed: string } | { last_affected: string };

function record(
  id: string,
  affected: { ecosystem: string; name: string; events?: Event[]; type?: 'SEMVER' | 'ECOSYSTEM'; versions?: string[] }[],
  extra: Partial<OsvRecord> = {},
): OsvRecord {
  return parseOsvRecord(
    {
      id,
      modified: '2026-11-01T00:00:00Z',
      ...extra,
      affected: affected.map((a) => ({
        package: { ecosystem: a.ecosystem, name: a.name },
        ...(a.events ? { ranges: [{ type: a.type ?? 'ECOSYSTEM', events: a.events }] } : {}),
        ...(a.versions ? { versions: a.versions } : {}),
      })),
    },
    'test',
  );
}

const pkg = (ecosystem: string, name: string, version: string, source?: { name: string; version: string }): InstalledPackage =>
  source ? { ecosystem, name, version, source } : { ecosystem, name, version };
const npm = (name: string, version: string) => pkg('npm', name, version);
const inventory = (id: string, osEcosystem: string | null, packages: InstalledPackage[]): StoredInventory => ({
  id,
  osEcosystem,
  packages,
});
const added = (r: OsvRecord): AdvisoryChange => ({ id: r.id, before: null, after: r });

function indexOf(...inventories: StoredInventory[]): InventoryIndex {
  const index = new InventoryIndex();
  for (const inv of inventories) index.put(inv);
  return index;
}

/** The definition: the inventories matchPackages finds anything in, for the record alone. */
function bruteForce(inventories: readonly StoredInventory[], records: (OsvRecord | null)[]): string[] {
  const hit = new Set<string>();
  for (const r of records) {
    if (!r) continue;
    const advisories = new AdvisoryIndex();
    advisories.add(r, 'test');
    for (const inv of inventories) {
      // The index's documented rule: without a release, OS packages are not matchable.
      const packages = inv.osEcosystem ? inv.packages : inv.packages.filter((p) => !isOsEcosystem(p.ecosystem));
      if (matchPackages(packages, advisories, { osEcosystem: inv.osEcosystem }).findings.length > 0) hit.add(inv.id);
    }
  }
  return [...hit].sort();
}

const LODASH_BEFORE_4_17_21 = record('GHSA-35jh-r3h4-6jhm', [
  { ecosystem: 'npm', name: 'lodash', type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '4.17.21' }] },
]);

describe('InventoryIndex: added, modified and withdrawn advisories', () => {
  const inventories = [
    inventory('web-1', null, [npm('lodash', '4.17.15'), npm('express', '4.18.2')]),
    inventory('web-2', null, [npm('lodash', '4.17.21')]),
    inventory('web-3', null, [npm('lodash', '4.16.6'), npm('minimist', '1.2.5')]),
    inventory('api-1', null, [pkg('PyPI', 'requests', '2.31.0')]),
  ];

  it('an added record reports exactly the inventories holding a vulnerable version', () => {
    const result = indexOf(...inventories).affectedBy([added(LODASH_BEFORE_4_17_21)]);
    expect(result).toEqual(new Map([['GHSA-35jh-r3h4-6jhm', ['web-1', 'web-3']]]));
  });

  it('a narrowed range also reports the inventories matched only before, whose findings must close', () => {
    const narrowed = record(LODASH_BEFORE_4_17_21.id, [
      { ecosystem: 'npm', name: 'lodash', type: 'SEMVER', events: [{ introduced: '4.17.0' }, { fixed: '4.17.21' }] },
    ]);
    const index = indexOf(...inventories);
    expect(index.affectedBy([{ id: narrowed.id, before: null, after: narrowed }]).get(narrowed.id)).toEqual(['web-1']);
    expect(index.affectedBy([{ id: narrowed.id, before: LODASH_BEFORE_4_17_21, after: narrowed }]).get(narrowed.id)).toEqual([
      'web-1',
      'web-3',
    ]);
  });

  it('a widened range reports the inventories matched only after', () => {
    const widened = record(LODASH_BEFORE_4_17_21.id, [
      { ecosystem: 'npm', name: 'lodash', type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '4.17.22' }] },
    ]);
    const result = indexOf(...inventories).affectedBy([{ id: widened.id, before: LODASH_BEFORE_4_17_21, after: widened }]);
    expect(result.get(widened.id)).toEqual(['web-1', 'web-2', 'web-3']);
  });

  it('a withdrawn record reports the inventories it affected before, whether withdrawn or deleted', () => {
    const withdrawn = { ...LODASH_BEFORE_4_17_21, withdrawn: '2026-11-02T00:00:00Z' };
    const index = indexOf(...inventories);
    expect(index.affectedBy([{ id: withdrawn.id, before: LODASH_BEFORE_4_17_21, after: withdrawn }]).get(withdrawn.id)).toEqual([
      'web-1',
      'web-3',
    ]);
    expect(index.affectedBy([{ id: withdrawn.id, before: LODASH_BEFORE_4_17_21, after: null }]).get(withdrawn.id)).toEqual([
      'web-1',
      'web-3',
    ]);
    // A record withdrawn from the start never matched anything.
    expect(index.affectedBy([{ id: withdrawn.id, before: null, after: withdrawn }]).get(withdrawn.id)).toEqual([]);
  });

  it('a record for a package nobody has reports an empty list, and each change has its own entry', () => {
    const nobody = record('GHSA-nobody', [{ ecosystem: 'npm', name: 'left-pad', events: [{ introduced: '0' }] }]);
    const result = indexOf(...inventories).affectedBy([added(nobody), added(LODASH_BEFORE_4_17_21)]);
    expect(result).toEqual(
      new Map([
        ['GHSA-nobody', []],
        ['GHSA-35jh-r3h4-6jhm', ['web-1', 'web-3']],
      ]),
    );
  });

  it('merges changes that share an advisory id', () => {
    const minimist = record('GHSA-shared', [
      { ecosystem: 'npm', name: 'minimist', type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.2.6' }] },
    ]);
    const lodash = { ...LODASH_BEFORE_4_17_21, id: 'GHSA-shared' };
    expect(indexOf(...inventories).affectedBy([added(minimist), added(lodash)])).toEqual(new Map([['GHSA-shared', ['web-1', 'web-3']]]));
    expect(indexOf(...inventories).affectedBy([added(lodash), added(minimist)])).toEqual(new Map([['GHSA-shared', ['web-1', 'web-3']]]));
  });

  it('affectedInventories is the sorted union over all changes', () => {
    const minimist = record('GHSA-xvch-5gv4-984h', [
      { ecosystem: 'npm', name: 'minimist', type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.2.6' }] },
    ]);
    const requests = record('PYSEC-2023-74', [
      { ecosystem: 'PyPI', name: 'requests', events: [{ introduced: '2.3.0' }, { fixed: '2.31.0' }] },
    ]);
    expect(indexOf(...inventories).affectedInventories([added(minimist), added(LODASH_BEFORE_4_17_21), added(requests)])).toEqual([
      'web-1',
      'web-3',
    ]);
  });
});

describe('InventoryIndex: OS packages', () => {
  const openssl = (ecosystem: string, fixed: string, id = 'DSA-5678-1') =>
    record(id, [{ ecosystem, name: 'openssl', events: [{ introduced: '0' }, { fixed }] }]);

  it('Debian matches a binary package by its source package and source version', () => {
    const index = indexOf(
      inventory('deb-old', 'Debian:12', [pkg('Debian', 'libssl3', '3.0.11-1~deb12u2', { name: 'openssl', version: '3.0.11-1~deb12u2' })]),
      inventory('deb-new', 'Debian:12', [pkg('Debian', 'libssl3', '3.0.15-1~deb12u1', { name: 'openssl', version: '3.0.15-1~deb12u1' })]),
      // The binary's own version is newer than the fix; the source version, which counts, is not.
      inventory('deb-binnmu', 'Debian:12', [
        pkg('Debian', 'libssl3', '3.0.15-1~deb12u1+b1', { name: 'openssl', version: '3.0.11-1~deb12u2' }),
      ]),
    );
    expect(index.affectedBy([added(openssl('Debian:12', '3.0.13-1~deb12u1'))]).get('DSA-5678-1')).toEqual(['deb-binnmu', 'deb-old']);
  });

  it('Debian does not match an advisory naming the binary package (the matcher looks up the source)', () => {
    const index = indexOf(
      inventory('deb', 'Debian:12', [pkg('Debian', 'libssl3', '3.0.11-1~deb12u2', { name: 'openssl', version: '3.0.11-1~deb12u2' })]),
    );
    const byBinary = record('DSA-X', [{ ecosystem: 'Debian:12', name: 'libssl3', events: [{ introduced: '0' }] }]);
    expect(index.affectedBy([added(byBinary)]).get('DSA-X')).toEqual([]);
  });

  it('keeps releases apart: a Debian:12 record does not hit a Debian:11 inventory, a Debian:12.4 one it does', () => {
    const libssl = (version: string) => pkg('Debian', 'libssl3', version, { name: 'openssl', version });
    const index = indexOf(
      inventory('bullseye', 'Debian:11', [libssl('1.1.1w-0+deb11u1')]),
      inventory('bookworm', 'Debian:12', [libssl('3.0.11-1~deb12u2')]),
      inventory('bookworm-point', 'Debian:12.4', [libssl('3.0.11-1~deb12u2')]),
    );
    expect(index.affectedBy([added(openssl('Debian:12', '3.0.13-1~deb12u1'))]).get('DSA-5678-1')).toEqual(['bookworm', 'bookworm-point']);
    expect(index.affectedBy([added(openssl('Debian:11', '1.1.1w-0+deb11u2'))]).get('DSA-5678-1')).toEqual(['bullseye']);
  });

  it('Ubuntu matches by source, and an Ubuntu Pro system also meets the plain release’s advisories', () => {
    const libcurl = pkg('Ubuntu', 'libcurl4', '7.81.0-1ubuntu1.15', { name: 'curl', version: '7.81.0-1ubuntu1.15' });
    const index = indexOf(
      inventory('jammy', 'Ubuntu:22.04:LTS', [libcurl]),
      inventory('jammy-pro', 'Ubuntu:Pro:22.04:LTS', [libcurl]),
      inventory('focal', 'Ubuntu:20.04:LTS', [
        pkg('Ubuntu', 'libcurl4', '7.68.0-1ubuntu2.21', { name: 'curl', version: '7.68.0-1ubuntu2.21' }),
      ]),
    );
    const usn = record('USN-6641-1', [
      { ecosystem: 'Ubuntu:22.04:LTS', name: 'curl', events: [{ introduced: '0' }, { fixed: '7.81.0-1ubuntu1.16' }] },
    ]);
    expect(index.affectedBy([added(usn)]).get('USN-6641-1')).toEqual(['jammy', 'jammy-pro']);
    const pro = record('USN-6641-2', [
      { ecosystem: 'Ubuntu:Pro:22.04:LTS', name: 'curl', events: [{ introduced: '0' }, { fixed: '7.81.0-1ubuntu1.16+esm1' }] },
    ]);
    expect(index.affectedBy([added(pro)]).get('USN-6641-2')).toEqual(['jammy-pro']);
  });

  it('Alpine matches by origin, per release', () => {
    const libcrypto = pkg('Alpine', 'libcrypto3', '3.1.4-r0', { name: 'openssl', version: '3.1.4-r0' });
    const index = indexOf(inventory('alpine-318', 'Alpine:v3.18', [libcrypto]), inventory('alpine-319', 'Alpine:v3.19', [libcrypto]));
    const secdb = record('ALPINE-CVE-2023-6129', [
      { ecosystem: 'Alpine:v3.18', name: 'openssl', events: [{ introduced: '0' }, { fixed: '3.1.4-r3' }] },
    ]);
    expect(index.affectedBy([added(secdb)]).get(secdb.id)).toEqual(['alpine-318']);
  });

  it('an rpm version without epoch is matched as the matcher does: taking the advisory’s epoch', () => {
    const grub = (epochKnown: boolean): InstalledPackage => ({
      ecosystem: 'AlmaLinux',
      name: 'grub2-tools',
      version: '2.06-61.el9',
      epochKnown,
    });
    const index = indexOf(
      inventory('rpm-qa', 'AlmaLinux:9', [grub(false)]),
      inventory('with-epoch', 'AlmaLinux:9', [grub(true)]),
      // matchPackages folds a repeated package into its first occurrence, epoch flag included.
      inventory('repeated', 'AlmaLinux:9', [grub(false), grub(true)]),
    );
    // Epoch 1 taken for the plain `rpm -qa` version puts it past the fix; a real epoch 0 is before it.
    const alsa = record('ALSA-2023:1', [
      { ecosystem: 'AlmaLinux:9', name: 'grub2-tools', events: [{ introduced: '0' }, { fixed: '1:2.06-46.el9' }] },
    ]);
    expect(index.affectedBy([added(alsa)]).get(alsa.id)).toEqual(['with-epoch']);
  });

  it('skips OS packages of an inventory without a release, and still matches its language packages', () => {
    const index = indexOf(
      inventory('no-release', null, [
        pkg('Debian', 'libssl3', '3.0.11-1~deb12u2', { name: 'openssl', version: '3.0.11-1~deb12u2' }),
        npm('lodash', '4.17.15'),
      ]),
    );
    expect(index.affectedBy([added(openssl('Debian:12', '3.0.13-1~deb12u1'))]).get('DSA-5678-1')).toEqual([]);
    expect(index.affectedBy([added(LODASH_BEFORE_4_17_21)]).get(LODASH_BEFORE_4_17_21.id)).toEqual(['no-release']);
  });
});

describe('InventoryIndex: names', () => {
  it('normalises PyPI names as PEP 503 does, and leaves npm names alone', () => {
    const index = indexOf(
      inventory('py', null, [pkg('PyPI', 'Foo_Bar', '1.2.0')]),
      inventory('py-dots', null, [pkg('PyPI', 'foo.bar', '1.2.0')]),
      inventory('js', null, [npm('Lodash', '4.17.15')]),
    );
    const pysec = record('PYSEC-1', [{ ecosystem: 'PyPI', name: 'foo-bar', events: [{ introduced: '0' }, { fixed: '1.2.1' }] }]);
    expect(index.affectedBy([added(pysec)]).get('PYSEC-1')).toEqual(['py', 'py-dots']);
    expect(index.affectedBy([added(LODASH_BEFORE_4_17_21)]).get(LODASH_BEFORE_4_17_21.id)).toEqual([]);
  });
});

describe('InventoryIndex: put and remove', () => {
  it('put replaces an inventory: its old packages are no longer reported, its new ones are', () => {
    const index = indexOf(inventory('web', null, [npm('lodash', '4.17.15'), npm('minimist', '1.2.8')]));
    index.put(inventory('web', null, [npm('lodash', '4.17.21'), npm('minimist', '1.2.5')]));
    const minimist = record('GHSA-xvch-5gv4-984h', [
      { ecosystem: 'npm', name: 'minimist', type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.2.6' }] },
    ]);
    expect(index.size).toBe(1);
    expect(index.affectedBy([added(LODASH_BEFORE_4_17_21), added(minimist)])).toEqual(
      new Map([
        [LODASH_BEFORE_4_17_21.id, []],
        [minimist.id, ['web']],
      ]),
    );
  });

  it('put replaces the OS release too', () => {
    const libssl = pkg('Debian', 'libssl3', '3.0.11-1~deb12u2', { name: 'openssl', version: '3.0.11-1~deb12u2' });
    const index = indexOf(inventory('host', 'Debian:12', [libssl]));
    index.put(inventory('host', 'Debian:11', [libssl]));
    const dsa = record('DSA-1', [{ ecosystem: 'Debian:12', name: 'openssl', events: [{ introduced: '0' }] }]);
    expect(index.affectedBy([added(dsa)]).get('DSA-1')).toEqual([]);
  });

  it('remove forgets an inventory, and a later inventory does not inherit its packages', () => {
    const index = indexOf(inventory('a', null, [npm('lodash', '4.17.15')]), inventory('b', null, [npm('lodash', '4.17.15')]));
    expect(index.remove('a')).toBe(true);
    expect(index.remove('a')).toBe(false);
    expect(index.size).toBe(1);
    expect(index.has('a')).toBe(false);
    expect(index.affectedBy([added(LODASH_BEFORE_4_17_21)]).get(LODASH_BEFORE_4_17_21.id)).toEqual(['b']);
    index.put(inventory('c', null, [npm('express', '4.18.2')]));
    expect(index.affectedBy([added(LODASH_BEFORE_4_17_21)]).get(LODASH_BEFORE_4_17_21.id)).toEqual(['b']);
    index.remove('b');
    expect(index.affectedBy([added(LODASH_BEFORE_4_17_21)]).get(LODASH_BEFORE_4_17_21.id)).toEqual([]);
    // Tuples nobody holds any more are dropped, not kept forever.
    expect(index.tupleCount).toBe(1);
  });

  it('a package listed twice in one inventory counts once, and removing it leaves other holders alone', () => {
    const index = indexOf(
      inventory('a', null, [npm('lodash', '4.17.15'), npm('lodash', '4.17.15')]),
      inventory('b', null, [npm('lodash', '4.17.15')]),
    );
    index.remove('a');
    expect(index.affectedBy([added(LODASH_BEFORE_4_17_21)]).get(LODASH_BEFORE_4_17_21.id)).toEqual(['b']);
  });

  it('keeps postings right across many puts and removes (growth and shrinking)', () => {
    const index = new InventoryIndex();
    const live = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const id = `host-${i}`;
      index.put(inventory(id, null, [npm('lodash', i % 3 === 0 ? '4.17.21' : '4.17.15')]));
      live.add(id);
      if (i % 4 === 1) {
        index.remove(`host-${i - 1}`);
        live.delete(`host-${i - 1}`);
      }
    }
    const expected = [...live].filter((id) => Number(id.slice(5)) % 3 !== 0).sort();
    expect(index.affectedBy([added(LODASH_BEFORE_4_17_21)]).get(LODASH_BEFORE_4_17_21.id)).toEqual(expected);
  });
});

describe('InventoryIndex agrees with matchPackages', () => {
  const NPM_VERSIONS = ['1.2.3', '1.2.6', '2.0.0-beta.1', '2.0.0', '4.17.15', '4.17.21'];
  const PYPI_VERSIONS = ['1.0', '1.0.0', '2.1.post1', '2.2rc1', '3.0.0'];
  const DEB_VERSIONS = ['1.2-1', '3.0.11-1~deb12u2', '3.0.13-1~deb12u1', '1:3.0.13-1', '2.36-9+deb12u4'];
  const packageArb: fc.Arbitrary<InstalledPackage> = fc.oneof(
    fc.record({
      ecosystem: fc.constant('npm'),
      name: fc.constantFrom('lodash', 'Lodash', 'minimist'),
      version: fc.constantFrom(...NPM_VERSIONS),
    }),
    fc.record({
      ecosystem: fc.constant('PyPI'),
      name: fc.constantFrom('Foo_Bar', 'foo-bar', 'Django', 'requests'),
      version: fc.constantFrom(...PYPI_VERSIONS),
    }),
    fc
      .record({
        name: fc.constantFrom('libssl3', 'openssl', 'libc6'),
        version: fc.constantFrom(...DEB_VERSIONS),
        source: fc.option(fc.record({ name: fc.constantFrom('openssl', 'glibc'), version: fc.constantFrom(...DEB_VERSIONS) }), {
          nil: undefined,
        }),
      })
      .map(({ name, version, source }) => pkg('Debian', name, version, source)),
  );
  const inventoryArb = fc.record({
    osEcosystem: fc.constantFrom('Debian:11', 'Debian:12', 'Debian:12.4', null),
    packages: fc.array(packageArb, { maxLength: 6 }),
  });
  const affectedArb = fc
    .oneof(
      fc.record({
        ecosystem: fc.constantFrom('npm', 'npm'),
        name: fc.constantFrom('lodash', 'minimist'),
        versions: fc.constantFrom(NPM_VERSIONS),
      }),
      fc.record({
        ecosystem: fc.constantFrom('PyPI'),
        name: fc.constantFrom('foo-bar', 'FOO.bar', 'django'),
        versions: fc.constantFrom(PYPI_VERSIONS),
      }),
      fc.record({
        ecosystem: fc.constantFrom('Debian:11', 'Debian:12'),
        name: fc.constantFrom('openssl', 'libssl3', 'glibc'),
        versions: fc.constantFrom(DEB_VERSIONS),
      }),
    )
    .chain(({ ecosystem, name, versions }) =>
      fc.record({
        ecosystem: fc.constant(ecosystem),
        name: fc.constant(name),
        type: fc.constantFrom<'SEMVER' | 'ECOSYSTEM'>('SEMVER', 'ECOSYSTEM'),
        events: fc
          .tuple(
            fc.constantFrom('0', ...versions),
            fc.constantFrom(...versions),
            fc.constantFrom<'fixed' | 'last_affected'>('fixed', 'last_affected'),
          )
          .map(([introduced, end, kind]): Event[] => [{ introduced }, kind === 'fixed' ? { fixed: end } : { last_affected: end }]),
        versions: fc.option(fc.subarray(versions, { maxLength: 2 }), { nil: undefined }),
      }),
    );
  const recordArb = fc
    .record({ affected: fc.array(affectedArb, { minLength: 1, maxLength: 3 }), withdrawn: fc.boolean() })
    .map(({ affected, withdrawn }) => record('REC', affected, withdrawn ? { withdrawn: '2026-11-02T00:00:00Z' } : {}));

  it('property: affectedBy equals matchPackages run on every inventory, after puts, replacements and removals', () => {
    fc.assert(
      fc.property(
        fc.array(inventoryArb, { minLength: 1, maxLength: 8 }),
        fc.array(fc.tuple(fc.nat(7), fc.option(inventoryArb, { nil: null })), { maxLength: 4 }),
        fc.array(fc.tuple(fc.option(recordArb, { nil: null }), fc.option(recordArb, { nil: null })), { minLength: 1, maxLength: 3 }),
        (initial, edits, pairs) => {
          const stored = new Map<string, StoredInventory>();
          const index = new InventoryIndex();
          initial.forEach((inv, i) => {
            stored.set(`inv-${i}`, { id: `inv-${i}`, ...inv });
            index.put({ id: `inv-${i}`, ...inv });
          });
          for (const [at, replacement] of edits) {
            const id = `inv-${at}`;
            if (replacement) {
              stored.set(id, { id, ...replacement });
              index.put({ id, ...replacement });
            } else {
              expect(index.remove(id)).toBe(stored.delete(id));
            }
          }
          expect(index.size).toBe(stored.size);
          const changes = pairs.map(([before, after], i) => ({ id: `C-${i}`, before, after }));
          const result = index.affectedBy(changes);
          for (const change of changes)
            expect(result.get(change.id)).toEqual(bruteForce([...stored.values()], [change.before, change.after]));
          expect(index.affectedInventories(changes)).toEqual(
            bruteForce(
              [...stored.values()],
              changes.flatMap((c) => [c.before, c.after]),
            ),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('on the real bionic inventory and USN records, in several releases and variants', () => {
    const text = readFileSync(`${FIXTURES}inventories/ubuntu-18.04-bionic.dpkg-status`, 'utf8');
    const { packages } = parseDpkgStatus(text, 'bionic', { ecosystem: 'Ubuntu' });
    const dir = `${FIXTURES}osv/ubuntu-usn/`;
    const records = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => parseOsvRecord(JSON.parse(readFileSync(`${dir}${f}`, 'utf8')), f));
    const inventories = [
      inventory('bionic', 'Ubuntu:18.04:LTS', packages),
      inventory('bionic-pro', 'Ubuntu:Pro:18.04:LTS', packages),
      inventory('bionic-as-xenial', 'Ubuntu:16.04:LTS', packages),
      inventory(
        'bionic-half',
        'Ubuntu:18.04:LTS',
        packages.filter((_, i) => i % 2 === 0),
      ),
      inventory(
        'bionic-no-openssl',
        'Ubuntu:18.04',
        packages.filter((p) => (p.source?.name ?? p.name) !== 'openssl'),
      ),
    ];
    const index = indexOf(...inventories);
    const result = index.affectedBy(records.map(added));
    let hits = 0;
    for (const r of records) {
      const expected = bruteForce(inventories, [r]);
      hits += expected.length;
      expect(result.get(r.id), r.id).toEqual(expected);
    }
    // Guard against a vacuous pass: the bionic system is vulnerable to several of these USNs.
    expect(hits).toBeGreaterThan(10);
    expect(result.get('USN-4376-1')).toEqual(['bionic', 'bionic-half', 'bionic-pro']);
  });
});
