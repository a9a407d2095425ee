import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../../test/vectors.ts';
import type { OsvRecord } from '../osv/model.ts';
import { DEBIAN_RELEASES, DEBIAN_TRACKER_SOURCE, debianTrackerToOsv, stripUrgency } from './debian-tracker.ts';
import { UNKNOWN_MODIFIED } from './model.ts';

const load = (name: string): unknown => JSON.parse(readFileSync(`${FIXTURES}debian-tracker/${name}`, 'utf8'));

type Vigil = { fix_state: string; urgency: string | null; severity?: string };
const affected = (ecosystem: string, name: string, fixed: string | null, vigil: Vigil) => ({
  package: { ecosystem, name },
  ranges: [{ type: 'ECOSYSTEM', events: fixed === null ? [{ introduced: '0' }] : [{ introduced: '0' }, { fixed }] }],
  database_specific: { vigil: { source: DEBIAN_TRACKER_SOURCE, ...vigil } },
});

describe('debianTrackerToOsv on the vulnerablecode subset', () => {
  const name = 'vulnerablecode-debian-tracker-subset.json';
  const { records, problems } = debianTrackerToOsv(load(name), name);
  const byId = new Map<string, OsvRecord>(records.map((r) => [r.id, r]));

  it('one record per id (6), sid counted in one note', () => {
    expect(records.map((r) => r.id)).toEqual([
      'CVE-2014-8242',
      'CVE-2009-1382',
      'CVE-2009-2459',
      'TEMP-0000000-A2EB44',
      'CVE-2021-37231',
      'CVE-2021-37232',
    ]);
    expect(problems).toEqual([
      { origin: name, recordId: null, reason: 'release entries without a Debian release number skipped (sid: 2)' },
    ]);
  });

  it('librsync CVE-2014-8242: open, no fix, urgency low → not_fixed, LOW', () => {
    expect(byId.get('CVE-2014-8242')).toEqual({
      id: 'CVE-2014-8242',
      modified: UNKNOWN_MODIFIED,
      summary: 'librsync before 1.0.0 uses a truncated MD4 checksum to match blocks',
      affected: [
        affected('Debian:8', 'librsync', null, { fix_state: 'not_fixed', urgency: 'low', severity: 'LOW' }),
        affected('Debian:10', 'librsync', null, { fix_state: 'not_fixed', urgency: 'low', severity: 'LOW' }),
      ],
    });
  });

  it('mimetex TEMP-0000000-A2EB44: a different fix per release', () => {
    expect(byId.get('TEMP-0000000-A2EB44')).toEqual({
      id: 'TEMP-0000000-A2EB44',
      modified: UNKNOWN_MODIFIED,
      summary: 'Multiple temp vulnerabilities in foo bar',
      affected: [
        affected('Debian:9', 'mimetex', '1.3.3', { fix_state: 'fixed', urgency: 'medium', severity: 'MEDIUM' }),
        affected('Debian:10', 'mimetex', '1.4.5', { fix_state: 'fixed', urgency: 'medium', severity: 'MEDIUM' }),
      ],
    });
  });

  it('atomicparsley CVE-2021-37231: fixed in bookworm, open elsewhere, sid skipped, "not yet assigned" gives no severity', () => {
    const rec = byId.get('CVE-2021-37231');
    expect(rec?.summary).toMatch(/^A stack-buffer-overflow occurs in Atomicparsley/);
    expect(rec?.affected).toEqual([
      affected('Debian:12', 'atomicparsley', '20210715.151551.e7ad03a-1', { fix_state: 'fixed', urgency: 'not yet assigned' }),
      affected('Debian:11', 'atomicparsley', null, { fix_state: 'not_fixed', urgency: 'not yet assigned' }),
      affected('Debian:10', 'atomicparsley', null, { fix_state: 'not_fixed', urgency: 'not yet assigned' }),
      affected('Debian:9', 'atomicparsley', null, { fix_state: 'not_fixed', urgency: 'not yet assigned' }),
    ]);
  });
});

describe('debianTrackerToOsv on the osv.dev apparmor file', () => {
  const name = 'osvdev-debian-security-tracker-mock.json';
  const { records, problems } = debianTrackerToOsv(load(name), name);

  it('CVE-2014-1424 is "0" in every release: no record', () => {
    expect(records.map((r) => r.id)).toEqual(['CVE-2016-1585', 'CVE-2017-6507']);
    expect(problems.map((p) => p.reason)).toEqual(['release entries without a Debian release number skipped (sid: 3)']);
  });

  it('CVE-2016-1585: open + unimportant → wont_fix NEGLIGIBLE; trixie fixed', () => {
    const wont = { fix_state: 'wont_fix', urgency: 'unimportant', severity: 'NEGLIGIBLE' };
    expect(records[0]).toEqual({
      id: 'CVE-2016-1585',
      modified: UNKNOWN_MODIFIED,
      summary: 'In all versions of AppArmor mount rules are accidentally widened when compiled.',
      affected: [
        affected('Debian:12', 'apparmor', null, wont),
        affected('Debian:11', 'apparmor', null, wont),
        affected('Debian:10', 'apparmor', null, wont),
        affected('Debian:13', 'apparmor', '3.0.12-1', { fix_state: 'fixed', urgency: 'unimportant', severity: 'NEGLIGIBLE' }),
      ],
    });
  });

  it('CVE-2017-6507: fixed 2.11.0-3 in four releases', () => {
    expect(records[1]?.affected?.map((a) => [a.package?.ecosystem, a.ranges?.[0]?.events])).toEqual(
      ['Debian:12', 'Debian:11', 'Debian:10', 'Debian:13'].map((e) => [e, [{ introduced: '0' }, { fixed: '2.11.0-3' }]]),
    );
  });
});

describe('debianTrackerToOsv: rules', () => {
  const one = (release: Record<string, unknown>, codename = 'bookworm') =>
    debianTrackerToOsv({ pkg: { 'CVE-1': { description: 'd', releases: { [codename]: release } } } }, 't');

  it('codenames', () => {
    expect(DEBIAN_RELEASES.get('buzz')).toBe('1.1');
    expect(DEBIAN_RELEASES.get('squeeze')).toBe('6');
    expect(DEBIAN_RELEASES.get('wheezy')).toBe('7');
    expect(DEBIAN_RELEASES.get('duke')).toBe('15');
    expect(DEBIAN_RELEASES.has('sid')).toBe(false);
    expect(one({ status: 'open', urgency: 'low' }, 'jessie').records[0]?.affected?.[0]?.package?.ecosystem).toBe('Debian:8');
  });

  it.each([
    [{ status: 'resolved', fixed_version: '1.2-3', urgency: 'high**' }, [{ introduced: '0' }, { fixed: '1.2-3' }], 'fixed', 'HIGH'],
    [{ status: 'open', urgency: 'medium' }, [{ introduced: '0' }], 'not_fixed', 'MEDIUM'],
    [{ status: 'open', urgency: 'unimportant' }, [{ introduced: '0' }], 'wont_fix', 'NEGLIGIBLE'],
    [{ status: 'open', urgency: 'low', nodsa: 'x', nodsa_reason: 'ignored' }, [{ introduced: '0' }], 'wont_fix', 'LOW'],
    [{ status: 'open', urgency: 'low', nodsa: 'x', nodsa_reason: 'postponed' }, [{ introduced: '0' }], 'not_fixed', 'LOW'],
    [{ status: 'undetermined', urgency: 'not yet assigned' }, [{ introduced: '0' }], 'unknown', undefined],
    [{ status: 'open', urgency: 'end-of-life' }, [{ introduced: '0' }], 'not_fixed', undefined],
    [{ status: 'open', fixed_version: '2.0-1', urgency: 'medium*' }, [{ introduced: '0' }, { fixed: '2.0-1' }], 'fixed', 'MEDIUM'],
  ])('%j → %j, %s, %s', (release, events, fixState, severity) => {
    const { records, problems } = one(release);
    expect(problems).toEqual([]);
    const a = records[0]?.affected?.[0];
    expect(a?.ranges).toEqual([{ type: 'ECOSYSTEM', events }]);
    const vigil = (a?.database_specific as { vigil: Record<string, unknown> } | undefined)?.vigil;
    expect(vigil).toEqual({
      source: DEBIAN_TRACKER_SOURCE,
      fix_state: fixState,
      urgency: release.urgency,
      ...(severity ? { severity } : {}),
    });
  });

  it('stripUrgency', () => {
    expect(stripUrgency('high**')).toBe('high');
    expect(stripUrgency('medium*')).toBe('medium');
    expect(stripUrgency('not yet assigned')).toBe('not yet assigned');
  });

  it('fixed_version "0": not affected, no entry, no record', () => {
    expect(one({ status: 'resolved', fixed_version: '0', urgency: 'low' })).toEqual({ records: [], problems: [] });
  });

  it('releases [] (seen in real data) or missing: no releases', () => {
    const doc = { pkg: { 'CVE-1': { description: 'd', releases: [] }, 'CVE-2': { description: 'd' } } };
    expect(debianTrackerToOsv(doc, 't')).toEqual({ records: [], problems: [] });
  });

  it('sid and unknown codenames are counted in one note', () => {
    const doc = {
      a: {
        'CVE-1': { releases: { sid: { status: 'open' }, experimental: { status: 'open' }, bookworm: { status: 'open', urgency: 'low' } } },
      },
      b: { 'CVE-2': { releases: { sid: { status: 'open' } } } },
    };
    const { records, problems } = debianTrackerToOsv(doc, 't');
    expect(records.map((r) => r.id)).toEqual(['CVE-1']);
    expect(records[0]?.summary).toBeUndefined();
    expect(problems).toEqual([
      { origin: 't', recordId: null, reason: 'release entries without a Debian release number skipped (sid: 2, experimental: 1)' },
    ]);
  });

  it('one id under two source packages: one record, entries for both, first description', () => {
    const doc = {
      linux: { 'CVE-9': { description: 'first', releases: { bookworm: { status: 'open', urgency: 'high' } } } },
      'linux-signed': {
        'CVE-9': { description: 'second', releases: { bookworm: { status: 'resolved', fixed_version: '6.1-1', urgency: 'high' } } },
      },
    };
    const { records } = debianTrackerToOsv(doc, 't');
    expect(records).toHaveLength(1);
    expect(records[0]?.summary).toBe('first');
    expect(records[0]?.affected?.map((a) => a.package?.name)).toEqual(['linux', 'linux-signed']);
  });

  it('a description above 4096 characters: summary cut, details whole', () => {
    const long = 'x'.repeat(5000);
    const { records } = debianTrackerToOsv({ p: { 'CVE-1': { description: long, releases: { bookworm: { status: 'open' } } } } }, 't');
    expect(records[0]?.summary).toHaveLength(4096);
    expect(records[0]?.details).toBe(long);
  });

  it('hostile keys and malformed values are problems; the rest loads', () => {
    const doc = JSON.parse(
      JSON.stringify({
        good: { 'CVE-1': { releases: { bookworm: { status: 'open', urgency: 'low' } } } },
        notobj: 'x',
        list: [1, 2],
        pkg: {
          'CVE-2': 'nope',
          'CVE-3': { releases: 'nope' },
          'CVE-4': { releases: { bookworm: 'nope', bullseye: { status: 'resolved', urgency: 'low' }, buster: { status: 'weird' } } },
          'CVE-5': { releases: { bookworm: { status: 'resolved', fixed_version: 'not a version!' } } },
          'CVE-6': { releases: { bookworm: { status: 'resolved', fixed_version: 12 } } },
        },
      }).replace('"good"', '"__proto__":{"CVE-X":{"releases":{}}},"good"'),
    );
    const { records, problems } = debianTrackerToOsv(doc, 't');
    expect(records.map((r) => r.id)).toEqual(['CVE-1']);
    expect(problems).toEqual([
      { origin: 't', recordId: null, reason: 'source package key "__proto__" refused' },
      { origin: 't', recordId: null, reason: 'source package "notobj": not an object' },
      { origin: 't', recordId: null, reason: 'source package "list": not an object' },
      { origin: 't', recordId: 'CVE-2', reason: 'source package "pkg": entry is not an object' },
      { origin: 't', recordId: 'CVE-3', reason: 'source package "pkg": releases is not an object' },
      { origin: 't', recordId: 'CVE-4', reason: 'source package "pkg", release bookworm: not an object' },
      { origin: 't', recordId: 'CVE-4', reason: 'source package "pkg", release bullseye: status "resolved" without a fixed_version' },
      { origin: 't', recordId: 'CVE-4', reason: 'source package "pkg", release buster: status "weird" without a fixed_version' },
      { origin: 't', recordId: 'CVE-5', reason: 'source package "pkg", release bookworm: invalid fixed_version "not a version!"' },
      { origin: 't', recordId: 'CVE-6', reason: 'source package "pkg", release bookworm: fixed_version is not a version string' },
    ]);
    expect(({} as Record<string, unknown>)['CVE-X']).toBeUndefined();
    expect(debianTrackerToOsv([], 't').problems[0]?.reason).toMatch(/not an object/);
  });
});
