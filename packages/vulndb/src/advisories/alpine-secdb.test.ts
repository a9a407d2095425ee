import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FIXTURES } from '../../test/vectors.ts';
import type { OsvRecord } from '../osv/model.ts';
import { ALPINE_SECDB_SOURCE, alpineSecdbToOsv } from './alpine-secdb.ts';
import { UNKNOWN_MODIFIED } from './model.ts';
import { parseDocumentText } from './osv-json.ts';

const DIR = `${FIXTURES}secdb/alpine/`;
const FILES = readdirSync(DIR).sort();

/** The document as the reader parses it. */
function load(name: string): unknown {
  const parsed = parseDocumentText(readFileSync(`${DIR}${name}`, 'utf8'), name);
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed.value;
}

/**
 * Independent count: the distinct ids of a file, read with the YAML failsafe schema (every
 * scalar a string) and split by hand; key "0" excluded.
 */
function independentIds(name: string): Set<string> {
  const text = readFileSync(`${DIR}${name}`, 'utf8');
  const doc = (name.endsWith('.json') ? JSON.parse(text) : parse(text, { schema: 'failsafe' })) as {
    packages?: { pkg: { secfixes?: Record<string, string[] | null> } }[] | string;
  };
  const ids = new Set<string>();
  if (!Array.isArray(doc.packages)) return ids;
  for (const { pkg } of doc.packages) {
    for (const [key, list] of Object.entries(pkg.secfixes ?? {})) {
      if (key === '0' || !Array.isArray(list)) continue;
      for (const item of list) for (const id of item.trim().split(/\s+/)) if (id) ids.add(id);
    }
  }
  return ids;
}

const entry = (ecosystem: string, name: string, fixed: string) => ({
  package: { ecosystem, name },
  ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }],
  database_specific: { vigil: { source: ALPINE_SECDB_SOURCE, fix_state: 'fixed' } },
});

describe('alpineSecdbToOsv on the real secdb files', () => {
  it('has the 9 fixture files', () => {
    expect(FILES).toHaveLength(9);
  });

  it.each(FILES)('%s: one record per distinct id, no problems, ecosystem from distroversion', (name) => {
    const { records, problems } = alpineSecdbToOsv(load(name), name);
    expect(problems).toEqual([]);
    const expected = independentIds(name);
    expect(records.map((r) => r.id).sort()).toEqual([...expected].sort());
    const branch = /v\d+\.\d+/.exec(name)?.[0];
    for (const r of records) {
      expect(r.modified).toBe(UNKNOWN_MODIFIED);
      for (const a of r.affected ?? []) expect(a.package?.ecosystem).toBe(`Alpine:${branch}`);
    }
  });

  it('the known counts per file', () => {
    const counts = Object.fromEntries(FILES.map((f) => [f, alpineSecdbToOsv(load(f), f).records.length]));
    expect(counts).toEqual({
      'alpine-secdb-v3.3-community.yaml': 0,
      'alpine-secdb-v3.3-main.yaml': 486,
      'alpine-secdb-v3.5-community.yaml': 98,
      'alpine-secdb-v3.5-main.yaml': 888,
      'alpine-secdb-v3.6-community.yaml': 199,
      'alpine-secdb-v3.6-main.yaml': 963,
      'alpine-secdb-v3.7-community.yaml': 379,
      'alpine-secdb-v3.7-main.yaml': 1129,
      'vulnerablecode-secdb-v3.11-main-subset.json': 5,
    });
  });

  describe('v3.5 main', () => {
    const name = 'alpine-secdb-v3.5-main.yaml';
    const byId = new Map<string, OsvRecord>(alpineSecdbToOsv(load(name), name).records.map((r) => [r.id, r]));

    it('openssl CVE-2016-2107 fixed in 1.0.2h-r0: the exact record', () => {
      expect(byId.get('CVE-2016-2107')).toEqual({
        id: 'CVE-2016-2107',
        modified: UNKNOWN_MODIFIED,
        affected: [entry('Alpine:v3.5', 'openssl', '1.0.2h-r0')],
      });
    });

    it('openssl CVE-2017-3738 sits under 1.0.2n-r0 and 1.0.2o-r0: the lower is the fix', () => {
      expect(byId.get('CVE-2017-3738')?.affected).toEqual([entry('Alpine:v3.5', 'openssl', '1.0.2n-r0')]);
    });

    it('php5 CVE-2018-5712 under 5.6.36-r0 then 5.6.33-r0 (later key lower): 5.6.33-r0', () => {
      expect(byId.get('CVE-2018-5712')?.affected).toEqual([entry('Alpine:v3.5', 'php5', '5.6.33-r0')]);
    });

    it('"CVE-2016-9932 XSA-200" is two ids, each fixed in xen 4.7.1-r3', () => {
      expect(byId.get('CVE-2016-9932')?.affected).toEqual([entry('Alpine:v3.5', 'xen', '4.7.1-r3')]);
      expect(byId.get('XSA-200')?.affected).toEqual([entry('Alpine:v3.5', 'xen', '4.7.1-r3')]);
    });

    it('CVE-2017-11103 in heimdal and samba: one record, two affected entries', () => {
      expect(byId.get('CVE-2017-11103')?.affected).toEqual([
        entry('Alpine:v3.5', 'heimdal', '1.6_rc2-r6'),
        entry('Alpine:v3.5', 'samba', '4.5.10-r1'),
      ]);
    });
  });

  it('v3.6 main: heimdal 7.4.0-r0 with a null list gives nothing for that key', () => {
    const name = 'alpine-secdb-v3.6-main.yaml';
    const { records } = alpineSecdbToOsv(load(name), name);
    const heimdal = records.filter((r) => r.affected?.some((a) => a.package?.name === 'heimdal'));
    expect(heimdal.map((r) => r.id).sort()).toEqual(['CVE-2017-11103', 'CVE-2017-17439']);
    expect(heimdal.flatMap((r) => r.affected ?? []).some((a) => JSON.stringify(a).includes('7.4.0-r0'))).toBe(false);
  });

  it('the v3.11 JSON subset: xen XSA-252 under two keys, the lower fix wins', () => {
    const name = 'vulnerablecode-secdb-v3.11-main-subset.json';
    const byId = new Map(alpineSecdbToOsv(load(name), name).records.map((r) => [r.id, r]));
    // 4.10-1-r1 < 4.10.0-r2 in apk order
    expect(byId.get('XSA-252')?.affected).toEqual([entry('Alpine:v3.11', 'xen', '4.10-1-r1')]);
    expect(byId.get('CVE-2018-7540')?.affected).toEqual([entry('Alpine:v3.11', 'xen', '4.10.0-r2')]);
    expect(byId.get('CVE-2017-9669')?.affected).toEqual([entry('Alpine:v3.11', 'apk-tools', '2.7.2-r0')]);
  });
});

describe('alpineSecdbToOsv: edge cases', () => {
  const yamlDoc = (body: string) => {
    const parsed = parseDocumentText(`distroversion: v3.9\nreponame: main\npackages:\n${body}`, 'x.yaml');
    if ('error' in parsed) throw new Error(parsed.error);
    return parsed.value;
  };

  it('YAML keys 1.10 and 2.0 stay as written (a float reading would give 1.1 and 2)', () => {
    const doc = yamlDoc('  - pkg:\n      name: foo\n      secfixes:\n        1.10:\n          - CVE-1\n        2.0:\n          - CVE-2\n');
    const { records, problems } = alpineSecdbToOsv(doc, 'x.yaml');
    expect(problems).toEqual([]);
    expect(records).toEqual([
      { id: 'CVE-1', modified: UNKNOWN_MODIFIED, affected: [entry('Alpine:v3.9', 'foo', '1.10')] },
      { id: 'CVE-2', modified: UNKNOWN_MODIFIED, affected: [entry('Alpine:v3.9', 'foo', '2.0')] },
    ]);
  });

  it('key "0" is never affected; null and empty lists are nothing; blanks split ids; duplicates take the lowest', () => {
    const doc = yamlDoc(
      [
        '  - pkg:',
        '      name: a',
        '      secfixes:',
        '        "0":',
        '          - CVE-0',
        '        1.2-r0: ~',
        '        1.3-r0: []',
        '        1.10-r0:',
        '          - "CVE-9  XSA-9 "',
        '        1.9-r0:',
        '          - CVE-9',
        '  - pkg:',
        '      name: b',
        '  - pkg:',
        '      name: c',
        '      secfixes:',
        '        0:',
        '          - CVE-9',
      ].join('\n'),
    );
    const { records, problems } = alpineSecdbToOsv(doc, 'x.yaml');
    expect(problems).toEqual([]);
    expect(records).toEqual([
      { id: 'CVE-9', modified: UNKNOWN_MODIFIED, affected: [entry('Alpine:v3.9', 'a', '1.9-r0')] },
      { id: 'XSA-9', modified: UNKNOWN_MODIFIED, affected: [entry('Alpine:v3.9', 'a', '1.10-r0')] },
    ]);
  });

  it('an invalid version key is a problem naming package and key; the rest loads', () => {
    const doc = {
      distroversion: 'v3.9',
      packages: [{ pkg: { name: 'foo', secfixes: { '1.0 -r1': ['CVE-1'], '': ['CVE-2'], '1.1-r0': ['CVE-3'] } } }],
    };
    const { records, problems } = alpineSecdbToOsv(doc, 'x.json');
    expect(records.map((r) => r.id)).toEqual(['CVE-3']);
    expect(problems).toEqual([
      { origin: 'x.json', recordId: 'CVE-1', reason: 'package "foo": invalid version key "1.0 -r1", its ids skipped' },
      { origin: 'x.json', recordId: 'CVE-2', reason: 'package "foo": invalid version key "", its ids skipped' },
    ]);
  });

  it('malformed parts are problems, never throws', () => {
    const doc = {
      distroversion: 'v3.9',
      packages: [
        'nope',
        { pkg: { secfixes: {} } },
        { pkg: { name: 'x', secfixes: ['CVE-1'] } },
        { pkg: { name: 'y', secfixes: { '1.0-r0': 'CVE-1' } } },
        { pkg: { name: 'z', secfixes: { '1.0-r0': [42] } } },
        { pkg: { name: 'ok', secfixes: { '1.0-r0': ['CVE-OK'] } } },
      ],
    };
    const { records, problems } = alpineSecdbToOsv(doc, 'x.json');
    expect(records.map((r) => r.id)).toEqual(['CVE-OK']);
    expect(problems.map((p) => p.reason)).toEqual([
      'packages[0]: no pkg.name',
      'packages[1]: no pkg.name',
      'package "x": secfixes is not a mapping',
      'package "y", version "1.0-r0": not a list of ids',
      'package "z", version "1.0-r0": not a list of ids',
    ]);
    expect(alpineSecdbToOsv([], 'x').problems[0]?.reason).toMatch(/not an object/);
    expect(alpineSecdbToOsv({ distroversion: '3.5', packages: [] }, 'x').problems[0]?.reason).toMatch(/not an Alpine branch/);
    expect(alpineSecdbToOsv({ distroversion: 'v3.5', packages: {} }, 'x').problems[0]?.reason).toBe('"packages" is not a list');
    expect(alpineSecdbToOsv({ distroversion: 'edge', packages: null }, 'x')).toEqual({ records: [], problems: [] });
  });

  it('problems are capped per document', () => {
    const doc = { distroversion: 'v3.9', packages: Array.from({ length: 1000 }, () => 'bad') };
    const { problems } = alpineSecdbToOsv(doc, 'x');
    expect(problems).toHaveLength(201);
    expect(problems[200]?.reason).toBe('800 further problems not shown');
  });
});
