import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { FIXTURES } from '../../test/vectors.ts';
import type { InstalledPackage } from '../inventory/model.ts';
import { AdvisoryIndex } from '../match/advisory-index.ts';
import { matchPackages } from '../match/matcher.ts';
import type { OsvRecord } from '../osv/model.ts';
import { MAX_CONSTRAINT_LENGTH } from './composer-constraint.ts';
import { type ConvertedRecords, UNKNOWN_MODIFIED } from './model.ts';
import {
  isWordfenceDocument,
  isWpsecadvDocument,
  packageFromFileName,
  WORDFENCE_SOURCE,
  WPSECADV_SOURCE,
  wordfenceToOsv,
  wpsecadvToOsv,
} from './wordpress-feeds.ts';

const ZIP = `${FIXTURES}wordpress/wpsecadv-wordfence-derived-31-files.zip`;

/** Every member of the fixture zip, name → text, read with yauzl (not with the project's reader). */
async function members(): Promise<Map<string, string>> {
  const zip = await yauzl.fromBufferPromise(readFileSync(ZIP), { lazyEntries: true });
  const out = new Map<string, string>();
  for await (const entry of zip.eachEntry()) {
    if (entry.fileName.endsWith('/')) continue;
    const stream = await zip.openReadStreamPromise(entry);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    out.set(entry.fileName, Buffer.concat(chunks).toString('utf8'));
  }
  return out;
}

let files: Map<string, string>;
const converted = new Map<string, ConvertedRecords>();
const index = new AdvisoryIndex();

beforeAll(async () => {
  files = await members();
  for (const [name, text] of files) {
    const result = wpsecadvToOsv(JSON.parse(text), `wpsecadv.zip!${name}`, name);
    converted.set(name, result);
    for (const record of result.records) index.add(record, `wpsecadv.zip!${name}`);
  }
});

const recordOf = (file: string, id: string): OsvRecord => {
  const record = converted.get(file)?.records.find((r) => r.id === id);
  if (!record) throw new Error(`${id} not in ${file}`);
  return record;
};

const titleOf = (file: string, uuid: string): string => {
  const doc = JSON.parse(files.get(file) as string) as { advisoryId: string; title: string }[];
  return doc.find((a) => a.advisoryId.includes(uuid))?.title as string;
};

/** The findings of one advisory for one installed package version, matched against the whole converted zip. */
function hit(name: string, version: string, id: string) {
  const pkg: InstalledPackage = { ecosystem: 'WordPress', name, version };
  const { findings, warnings } = matchPackages([pkg], index);
  expect(warnings).toEqual([]);
  return findings.find((f) => f.id === id) ?? null;
}

const LICENCE_START = '### Copyright 1999-2026 The MITRE Corporation\nCVE Usage: MITRE hereby grants you';
const DEFIANT = '### Copyright 2012-2026 Defiant Inc.\nDefiant hereby grants you';

describe('wpsecadvToOsv on the real fixture (31 files)', () => {
  it('has the 31 members named <type>-<slug>.json', () => {
    expect(files.size).toBe(31);
    for (const name of files.keys()) expect(name).toMatch(/^(core-wordpress|plugin-[a-z0-9-]+|theme-[a-z0-9-]+)\.json$/);
  });

  it('converts every advisory of every file: record count = array length = "advisoryId" count, no problems', () => {
    let total = 0;
    for (const [name, text] of files) {
      const { records, problems } = converted.get(name) as ConvertedRecords;
      expect(problems, name).toEqual([]);
      const length = (JSON.parse(text) as unknown[]).length;
      // A second count that does not parse the JSON at all.
      const keys = text.split('"advisoryId"').length - 1;
      expect(keys, name).toBe(length);
      expect(records, name).toHaveLength(length);
      total += records.length;
    }
    expect(total).toBe(1005);
  });

  it('names packages as the WordPress inventory does, ids WF-<uuid of the advisoryId>', () => {
    for (const [name, text] of files) {
      const [type, ...rest] = name.slice(0, -'.json'.length).split('-');
      const slug = rest.join('-');
      const expected = type === 'core' ? 'wordpress' : `${type}/${slug}`;
      const ids = (JSON.parse(text) as { advisoryId: string }[]).map((a) => `WF-${a.advisoryId.split('/')[2]}`);
      const { records } = converted.get(name) as ConvertedRecords;
      expect(records.map((r) => r.id)).toEqual(ids);
      for (const record of records) {
        expect(record.affected).toHaveLength(1);
        expect(record.affected?.[0]?.package).toEqual({ ecosystem: 'WordPress', name: expected });
        // The licence's two conditions travel with every record: the copyright lines and the hyperlink.
        const specific = record.database_specific as { licence: string; link: string };
        // MITRE's block comes first when the advisory has a CVE; Defiant's is always there.
        if (record.aliases) expect(specific.licence.startsWith(LICENCE_START)).toBe(true);
        expect(specific.licence).toContain(DEFIANT);
        expect(specific.licence.endsWith('https://www.wordfence.com/wordfence-intelligence-terms-and-conditions/')).toBe(true);
        expect(specific.link).toBe(`https://www.wordfence.com/threat-intel/vulnerabilities/id/${record.id.slice(3)}?source=api-prod`);
        expect(record.references).toEqual([{ type: 'ADVISORY', url: specific.link }]);
      }
    }
  });

  it('core advisory WF-04516d92 (CVE-2014-9036): exact OSV, branch ranges and an exact version', () => {
    const id = 'WF-04516d92-7f66-47b3-aeae-6752e03c1f95';
    const title = titleOf('core-wordpress.json', '04516d92');
    expect(recordOf('core-wordpress.json', id)).toEqual({
      id,
      modified: UNKNOWN_MODIFIED,
      published: '2014-11-20T00:00:00Z',
      aliases: ['CVE-2014-9036'],
      summary: 'WordPress Core < 4.0.1 - Cross-Site Scripting via CSS',
      affected: [
        {
          package: { ecosystem: 'WordPress', name: 'wordpress' },
          ranges: [
            { type: 'ECOSYSTEM', events: [{ introduced: '0' }, { last_affected: '3.6.1' }] },
            { type: 'ECOSYSTEM', events: [{ introduced: '3.7' }, { last_affected: '3.7.4' }] },
            { type: 'ECOSYSTEM', events: [{ introduced: '3.8' }, { last_affected: '3.8.4' }] },
            { type: 'ECOSYSTEM', events: [{ introduced: '3.9' }, { last_affected: '3.9.2' }] },
          ],
          versions: ['4.0'],
          database_specific: {
            affected_versions: '<=3.6.1|=4.0|>=3.7,<=3.7.4|>=3.8,<=3.8.4|>=3.9,<=3.9.2',
            vigil: { source: WPSECADV_SOURCE, fix_state: 'unknown', severity: 'MEDIUM' },
          },
        },
      ],
      references: [
        {
          type: 'ADVISORY',
          url: 'https://www.wordfence.com/threat-intel/vulnerabilities/id/04516d92-7f66-47b3-aeae-6752e03c1f95?source=api-prod',
        },
      ],
      database_specific: {
        source: WPSECADV_SOURCE,
        advisory_id: 'WPSECADV/WF/04516d92-7f66-47b3-aeae-6752e03c1f95/wordpress',
        link: 'https://www.wordfence.com/threat-intel/vulnerabilities/id/04516d92-7f66-47b3-aeae-6752e03c1f95?source=api-prod',
        licence: title.slice(title.indexOf('\n') + 1),
      },
    });
    // Summary and licence together are the title, nothing lost.
    expect(
      `WordPress Core < 4.0.1 - Cross-Site Scripting via CSS\n${(recordOf('core-wordpress.json', id).database_specific as { licence: string }).licence}`,
    ).toBe(title);
  });

  it('plugin advisory WF-7c32d967 (WooCommerce, no CVE): touching intervals merged, fixed versions kept', () => {
    const id = 'WF-7c32d967-85b9-4c93-a948-0126efb78f39';
    const record = recordOf('plugin-woocommerce.json', id);
    expect(record.aliases).toBeUndefined();
    expect(record.summary).toBe('WooCommerce < 5.7.0 & WooCommerce Admin < 2.6.4 - Information Disclosure');
    expect(record.affected).toEqual([
      {
        package: { ecosystem: 'WordPress', name: 'plugin/woocommerce' },
        ranges: [
          // `<4.0|>=4.0,<4.0.3` is one interval.
          { type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '4.0.3' }] },
          ...[
            ['4.1', '4.1.3'],
            ['4.2', '4.2.4'],
            ['4.3', '4.3.5'],
            ['4.4', '4.4.3'],
            ['4.5', '4.5.4'],
            ['4.6', '4.6.4'],
            ['4.7', '4.7.3'],
            ['4.8', '4.8.2'],
            ['4.9', '4.9.4'],
            ['5.0', '5.0.2'],
            ['5.1', '5.1.2'],
            ['5.2', '5.2.4'],
            ['5.3', '5.3.2'],
            ['5.4', '5.4.3'],
            ['5.5', '5.5.3'],
            ['5.6', '5.6.1'],
          ].map(([introduced, fixed]) => ({ type: 'ECOSYSTEM', events: [{ introduced }, { fixed }] })),
        ],
        database_specific: {
          affected_versions:
            '<4.0|>=4.0,<4.0.3|>=4.1,<4.1.3|>=4.2,<4.2.4|>=4.3,<4.3.5|>=4.4,<4.4.3|>=4.5,<4.5.4|>=4.6,<4.6.4|>=4.7,<4.7.3|>=4.8,<4.8.2|>=4.9,<4.9.4|>=5.0,<5.0.2|>=5.1,<5.1.2|>=5.2,<5.2.4|>=5.3,<5.3.2|>=5.4,<5.4.3|>=5.5,<5.5.3|>=5.6,<5.6.1',
          vigil: { source: WPSECADV_SOURCE, fix_state: 'fixed', severity: 'MEDIUM' },
        },
      },
    ]);
  });

  it('the `*` advisories cover every version from introduced 0, not fixed', () => {
    const record = recordOf('core-wordpress.json', 'WF-112ed4f2-fe91-4d83-a3f7-eaf889870af4');
    expect(record.affected?.[0]?.ranges).toEqual([{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }]);
    expect(record.affected?.[0]?.versions).toBeUndefined();
    expect(record.affected?.[0]?.database_specific?.vigil).toEqual({
      source: WPSECADV_SOURCE,
      fix_state: 'not_fixed',
      severity: 'MEDIUM',
    });
  });
});

describe('the converted fixture through the real matcher', () => {
  const cases: [string, string, string, string[], string[]][] = [
    // [what, package, id, affected versions, unaffected versions]
    [
      'akismet `<3.1.5`',
      'plugin/akismet',
      'WF-51b60e28-fb43-434a-88ca-3c73a8e89d40',
      ['0.1', '3.1.4', '3.1.4.9'],
      ['3.1.5', '3.1.5.1', '3.1.6', '4.0'],
    ],
    [
      'elementor `>=3.6.0,<=3.6.2`',
      'plugin/elementor',
      'WF-c2421108-d4b0-480e-a020-95712cdfae8e',
      ['3.6.0', '3.6.1', '3.6.2'],
      // version_compare: 3.6 < 3.6.0, so 3.6 is below the lower bound.
      ['3.5.9', '3.6', '3.6.3', '3.7.0'],
    ],
    [
      'woocommerce `<=9.3.2|>=9.4,<=9.4.2`',
      'plugin/woocommerce',
      'WF-cc2ee5bb-eeb8-4134-8f3f-b411e56457f0',
      ['1.0', '9.3.1', '9.3.2', '9.4', '9.4.0', '9.4.2'],
      ['9.3.3', '9.3.10', '9.4.3', '9.5', '10.0'],
    ],
    [
      'woocommerce `<3.3|=4.8|=5.0|…|=5.5|>=3.3,<=3.3.5|…|>=5.4,<=5.4.1`',
      'plugin/woocommerce',
      'WF-3a17560b-4fe0-4e1b-b4a2-c411f1123914',
      ['3.2.9', '3.3', '3.3.5', '4.7.1', '4.8', '5.0', '5.4.1', '5.5'],
      ['3.3.6', '4.7.2', '4.8.1', '4.9.3', '5.4.2', '5.5.1', '5.6'],
    ],
    [
      'core `<=3.6.1|=4.0|>=3.7,<=3.7.4|…`',
      'wordpress',
      'WF-04516d92-7f66-47b3-aeae-6752e03c1f95',
      ['2.0', '3.6.1', '3.7', '3.7.4', '3.8.4', '3.9', '4.0'],
      ['3.6.2', '3.7.5', '3.8.5', '3.9.3', '4.0.1', '4.1'],
    ],
    ['core `*`', 'wordpress', 'WF-112ed4f2-fe91-4d83-a3f7-eaf889870af4', ['0.71', '4.0', '6.8.1'], []],
    ['theme astra `<=4.6.4`', 'theme/astra', 'WF-a97b3cf1-e7b7-41c6-8b7a-e06bda77f7f7', ['4.6.4', '4.6.3'], ['4.6.5', '4.7']],
  ];

  for (const [what, name, id, affected, unaffected] of cases) {
    it(`${what}: affected exactly at ${affected.join(', ')}`, () => {
      for (const version of affected) expect(hit(name, version, id), `${name} ${version}`).not.toBeNull();
      for (const version of unaffected) expect(hit(name, version, id), `${name} ${version}`).toBeNull();
    });
  }

  it('reports the fix version of the matching interval, after merging', () => {
    const akismet = hit('plugin/akismet', '3.1.4', 'WF-51b60e28-fb43-434a-88ca-3c73a8e89d40');
    expect(akismet).toMatchObject({ fixedVersion: '3.1.5', fixState: 'fixed', severity: 'MEDIUM', aliases: ['CVE-2015-9357'] });
    // Without the merge, 3.9 would be "fixed in 4.0", which is itself affected.
    expect(hit('plugin/woocommerce', '3.9', 'WF-7c32d967-85b9-4c93-a948-0126efb78f39')).toMatchObject({
      fixedVersion: '4.0.3',
      fixState: 'fixed',
    });
    expect(hit('plugin/woocommerce', '4.0.3', 'WF-7c32d967-85b9-4c93-a948-0126efb78f39')).toBeNull();
    expect(hit('plugin/woocommerce', '3.3.5', 'WF-3a17560b-4fe0-4e1b-b4a2-c411f1123914')).toMatchObject({
      fixedVersion: null,
      fixState: 'unknown',
      severity: 'HIGH',
    });
    expect(hit('wordpress', '6.8.1', 'WF-112ed4f2-fe91-4d83-a3f7-eaf889870af4')).toMatchObject({
      fixedVersion: null,
      fixState: 'not_fixed',
    });
  });

  it('a package of another type with the same slug is not matched', () => {
    expect(hit('theme/akismet', '3.1.4', 'WF-51b60e28-fb43-434a-88ca-3c73a8e89d40')).toBeNull();
    expect(hit('plugin/wordpress', '4.0', 'WF-04516d92-7f66-47b3-aeae-6752e03c1f95')).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------

const UUID_A = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const UUID_B = '5f6e7d8c-9b0a-4f1e-a2d3-c4b5a6978869';
const UUID_C = 'a0b1c2d3-e4f5-4061-8273-94a5b6c7d8e9';
const UUID_D = 'deadbeef-0000-4000-8000-00000000000d';

/** A derived-form advisory as wpsecadv writes one. */
function derived(uuid: string, slug: string, affectedVersions: unknown, extra: Record<string, unknown> = {}) {
  return {
    advisoryId: `WPSECADV/WF/${uuid}/${slug}`,
    title: `Sample ${slug} - Cross-Site Scripting\n### Copyright 2012-2026 Defiant Inc.\nlicence text`,
    reportedAt: '2024-03-25 00:00:00',
    sources: [{ name: 'Wordfence', remoteId: uuid }],
    link: `https://www.wordfence.com/threat-intel/vulnerabilities/id/${uuid}?source=api-prod`,
    affectedVersions,
    severity: 'high',
    ...extra,
  };
}

describe('wpsecadvToOsv on inline samples', () => {
  it('an exclusive lower bound `>A` is written introduced A with a note, so A itself is reported (documented false positive)', () => {
    const { records, problems } = wpsecadvToOsv([derived(UUID_A, 'sample', '>2.0,<3.0|>=4.0')], 'plugin-sample.json');
    expect(problems).toEqual([]);
    expect(records[0]?.affected?.[0]?.ranges).toEqual([
      {
        type: 'ECOSYSTEM',
        events: [{ introduced: '2.0' }, { fixed: '3.0' }],
        database_specific: { vigil: { introduced_exclusive: true } },
      },
      { type: 'ECOSYSTEM', events: [{ introduced: '4.0' }] },
    ]);
    const local = new AdvisoryIndex();
    for (const r of records) local.add(r, 'inline');
    const affected = (version: string) =>
      matchPackages([{ ecosystem: 'WordPress', name: 'plugin/sample', version }], local).findings.map((f) => f.id);
    expect(affected('1.9')).toEqual([]);
    expect(affected('2.0')).toEqual([`WF-${UUID_A}`]);
    expect(affected('2.0.1')).toEqual([`WF-${UUID_A}`]);
    expect(affected('2.9.9')).toEqual([`WF-${UUID_A}`]);
    expect(affected('3.0')).toEqual([]);
    expect(affected('3.9')).toEqual([]);
    expect(affected('4.0')).toEqual([`WF-${UUID_A}`]);
    expect(affected('99')).toEqual([`WF-${UUID_A}`]);
  });

  it('takes the type from wpsecadv original file names and the slug from the advisoryId', () => {
    const name = 'internal/data/assets/plugin_736f6d65811c9dc5_gen.json';
    expect(packageFromFileName(name)).toEqual({ type: 'plugin', slug: null });
    expect(packageFromFileName('x.zip!theme-astra.json')).toEqual({ type: 'theme', slug: 'astra' });
    expect(packageFromFileName('/a/b/core-wordpress.json')).toEqual({ type: 'core', slug: 'wordpress' });
    const { records, problems } = wpsecadvToOsv([derived(UUID_A, 'some-plugin', '<1.0')], name);
    expect(problems).toEqual([]);
    expect(records[0]?.affected?.[0]?.package).toEqual({ ecosystem: 'WordPress', name: 'plugin/some-plugin' });
  });

  it('refuses to guess the type when the file name does not say it', () => {
    const { records, problems } = wpsecadvToOsv(
      [derived(UUID_A, 'akismet', '<1.0'), derived(UUID_B, 'akismet', '<2.0')],
      'advisories.json',
    );
    expect(records).toEqual([]);
    expect(problems).toEqual([
      {
        origin: 'advisories.json',
        recordId: `WPSECADV/WF/${UUID_A}/akismet`,
        reason: 'package type cannot be determined: the file name has no core-/plugin-/theme- prefix ("advisories.json")',
      },
      {
        origin: 'advisories.json',
        recordId: `WPSECADV/WF/${UUID_B}/akismet`,
        reason: 'package type cannot be determined: the file name has no core-/plugin-/theme- prefix ("advisories.json")',
      },
    ]);
  });

  it('skips bad advisories with a problem naming origin and advisoryId, and converts the rest', () => {
    const huge = `<1.0${'|<1.0'.repeat(MAX_CONSTRAINT_LENGTH)}`;
    const doc = [
      derived(UUID_A, 'sample', '~1.0'),
      derived(UUID_B, 'sample', '<1.'),
      derived(UUID_C, 'other', '<1.0'),
      { ...derived(UUID_D, 'sample', '<1.0'), advisoryId: `WPSECADV/WF/${UUID_D}/` },
      derived(UUID_D, 'sample', huge),
      derived(UUID_D, 'sample', 5),
      { ...derived(UUID_D, 'sample', '<1.0'), title: undefined },
      { ...derived(UUID_D, 'sample', '<1.0'), sources: [{ name: 'Wordfence', remoteId: UUID_A }] },
      { ...derived(UUID_D, 'sample', '<1.0'), advisoryId: 'GHSA-xxxx/sample' },
      'not an object',
      derived(UUID_D, 'sample', '>=2.0,<1.0'),
      derived(UUID_D, 'sample', '<=1.5', { cve: 'CVE-2024-1234' }),
      derived(UUID_D, 'sample', '<=1.6'),
    ];
    const { records, problems } = wpsecadvToOsv(doc, 'wp.zip!plugin-sample.json', 'plugin-sample.json');
    const at = (uuid: string) => `WPSECADV/WF/${uuid}/sample`;
    expect(problems).toEqual([
      {
        origin: 'wp.zip!plugin-sample.json',
        recordId: at(UUID_A),
        reason: 'cannot read constraint "~1.0": operator "~" is not read (only <, <=, >, >=, = and a bare version are)',
      },
      {
        origin: 'wp.zip!plugin-sample.json',
        recordId: at(UUID_B),
        reason: 'affectedVersions "<1.": "1." is not a valid WordPress version',
      },
      {
        origin: 'wp.zip!plugin-sample.json',
        recordId: `WPSECADV/WF/${UUID_C}/other`,
        reason: 'advisoryId slug "other" is not the file\'s package "sample"',
      },
      { origin: 'wp.zip!plugin-sample.json', recordId: `WPSECADV/WF/${UUID_D}/`, reason: `advisoryId "WPSECADV/WF/${UUID_D}/": no slug` },
      {
        origin: 'wp.zip!plugin-sample.json',
        recordId: at(UUID_D),
        reason: `cannot read constraint ${JSON.stringify(`${huge.slice(0, 80)}…`)}: longer than ${MAX_CONSTRAINT_LENGTH} characters`,
      },
      { origin: 'wp.zip!plugin-sample.json', recordId: at(UUID_D), reason: 'no affectedVersions constraint' },
      { origin: 'wp.zip!plugin-sample.json', recordId: at(UUID_D), reason: 'no title' },
      {
        origin: 'wp.zip!plugin-sample.json',
        recordId: at(UUID_D),
        reason: `Wordfence remoteId "${UUID_A}" differs from the advisoryId's UUID`,
      },
      {
        origin: 'wp.zip!plugin-sample.json',
        recordId: 'GHSA-xxxx/sample',
        reason: 'advisoryId "GHSA-xxxx/sample" is not WPSECADV/WF/<uuid>/<slug>',
      },
      { origin: 'wp.zip!plugin-sample.json', recordId: null, reason: 'advisory 9: not an object' },
      {
        origin: 'wp.zip!plugin-sample.json',
        recordId: at(UUID_D),
        reason: 'affectedVersions ">=2.0,<1.0": empty interval ">=2.0,<1.0" covers no version, left out',
      },
      { origin: 'wp.zip!plugin-sample.json', recordId: at(UUID_D), reason: 'affectedVersions ">=2.0,<1.0": no version is affected' },
      { origin: 'wp.zip!plugin-sample.json', recordId: at(UUID_D), reason: `advisory WF-${UUID_D} appears twice in the document` },
    ]);
    expect(records.map((r) => [r.id, r.aliases, r.affected?.[0]?.ranges])).toEqual([
      [`WF-${UUID_D}`, ['CVE-2024-1234'], [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { last_affected: '1.5' }] }]],
    ]);
  });

  it('keeps the other intervals when one is empty', () => {
    const { records, problems } = wpsecadvToOsv([derived(UUID_A, 'sample', '>=2.0,<1.0|<0.5')], 'plugin-sample.json');
    expect(problems.map((p) => p.reason)).toEqual([
      'affectedVersions ">=2.0,<1.0|<0.5": empty interval ">=2.0,<1.0" covers no version, left out',
    ]);
    expect(records[0]?.affected?.[0]?.ranges).toEqual([{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '0.5' }] }]);
  });

  it('refuses a document that is not a list', () => {
    expect(wpsecadvToOsv({ advisories: [] }, 'plugin-x.json')).toEqual({
      records: [],
      problems: [{ origin: 'plugin-x.json', recordId: null, reason: 'not a wpsecadv document (not a list of advisories)' }],
    });
  });
});

// ---------------------------------------------------------------------------------------------

const COPYRIGHTS = {
  message:
    'This record contains material that is subject to copyright\n\nCopyright 2012-2024 Defiant Inc.\nLicense: Defiant hereby grants you a perpetual, worldwide, non-exclusive, no-charge, royalty-free, irrevocable copyright license to reproduce…',
  defiant: {
    notice: 'Copyright 2012-2024 Defiant Inc.',
    license: 'Defiant hereby grants you a perpetual, worldwide, non-exclusive, no-charge, royalty-free, irrevocable copyright license…',
    license_url: 'https://www.wordfence.com/wordfence-intelligence-terms-and-conditions/',
  },
};

/** A raw production feed in the documented v2 shape: a plugin (patched), a theme (two ranges, unpatched), core, an informational record. */
function rawFeed(): Record<string, unknown> {
  return {
    [UUID_A]: {
      id: UUID_A,
      title: 'Sample Forms <= 5.3.1 - Unauthenticated Arbitrary File Upload',
      software: [
        {
          type: 'plugin',
          name: 'Sample Forms',
          slug: 'sample-forms',
          affected_versions: { '* - 5.3.1': { from_version: '*', from_inclusive: true, to_version: '5.3.1', to_inclusive: true } },
          patched: true,
          patched_versions: ['5.3.2'],
          remediation: 'Update to version 5.3.2, or a newer patched version',
        },
      ],
      informational: false,
      description: 'The Sample Forms plugin for WordPress is vulnerable to arbitrary file uploads in versions up to, and including, 5.3.1.',
      references: ['https://example.org/advisory/sample-forms', 'ftp://not-a-web-link', 42],
      cwe: { id: 434, name: 'Unrestricted Upload of File with Dangerous Type', description: '…' },
      cvss: { vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', score: 10, rating: 'Critical' },
      cve: 'CVE-2020-35489',
      cve_link: 'https://www.cve.org/CVERecord?id=CVE-2020-35489',
      researchers: ['A. Researcher'],
      published: '2020-12-17 00:00:00',
      updated: '2023-11-06 17:28:42',
      copyrights: COPYRIGHTS,
    },
    [UUID_B]: {
      id: UUID_B,
      title: 'Sample Theme 1.0 - 2.0 and 2.5 - 2.7 - Reflected Cross-Site Scripting',
      software: [
        {
          type: 'theme',
          name: 'Sample Theme',
          slug: 'sample-theme',
          affected_versions: {
            '[1.0, 2.0)': { from_version: '1.0', from_inclusive: true, to_version: '2.0', to_inclusive: false },
            '(2.5, 2.7]': { from_version: '2.5', from_inclusive: false, to_version: '2.7', to_inclusive: true },
          },
          patched: false,
          patched_versions: [],
        },
      ],
      informational: false,
      description: 'Reflected XSS.',
      references: [],
      cwe: null,
      cvss: { vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', score: 6.1, rating: 'Medium' },
      cve: null,
      cve_link: null,
      researchers: [],
      published: '2024-03-25T00:00:00+00:00',
      updated: null,
    },
    [UUID_C]: {
      id: UUID_C,
      title: 'WordPress Core < 6.4.2 - Unauthenticated PHP Object Injection',
      software: [
        {
          type: 'core',
          name: 'WordPress Core',
          slug: 'wordpress',
          affected_versions: {
            '* - 6.4.1': { from_version: '*', from_inclusive: true, to_version: '6.4.1', to_inclusive: true },
          },
          patched: true,
          patched_versions: ['6.4.2'],
        },
        {
          type: 'plugin',
          name: 'Sample Forms',
          slug: 'sample-forms',
          affected_versions: { '6.0 - *': { from_version: '6.0', from_inclusive: true, to_version: '*', to_inclusive: true } },
          patched: false,
        },
      ],
      informational: false,
      description: 'POP chain.',
      references: ['https://example.org/core'],
      cvss: { vector: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 8.1, rating: 'High' },
      cve: 'CVE-2023-0000',
      published: '2023-12-06 00:00:00',
      updated: '2023-12-07 00:00:00',
    },
    [UUID_D]: {
      id: UUID_D,
      title: 'Sample Forms - Informational notice',
      software: [
        {
          type: 'plugin',
          name: 'Sample Forms',
          slug: 'sample-forms',
          affected_versions: { '*': { from_version: '*', from_inclusive: true, to_version: '*', to_inclusive: true } },
          patched: false,
        },
      ],
      informational: true,
      cvss: null,
      published: '2024-01-01 00:00:00',
      updated: '2024-01-01 00:00:00',
    },
  };
}

describe('wordfenceToOsv (raw feed, documented v2 format)', () => {
  const { records, problems } = wordfenceToOsv(rawFeed(), 'vulnerabilities.production.json');
  const byId = new Map(records.map((r) => [r.id, r]));

  it('converts every record without problems', () => {
    expect(problems).toEqual([]);
    expect(records.map((r) => r.id)).toEqual([UUID_A, UUID_B, UUID_C, UUID_D].map((u) => `WF-${u}`));
  });

  it('plugin, from "*", to inclusive, patched: exact OSV', () => {
    expect(byId.get(`WF-${UUID_A}`)).toEqual({
      id: `WF-${UUID_A}`,
      modified: '2023-11-06T17:28:42Z',
      published: '2020-12-17T00:00:00Z',
      aliases: ['CVE-2020-35489'],
      summary: 'Sample Forms <= 5.3.1 - Unauthenticated Arbitrary File Upload',
      details: 'The Sample Forms plugin for WordPress is vulnerable to arbitrary file uploads in versions up to, and including, 5.3.1.',
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H' }],
      affected: [
        {
          package: { ecosystem: 'WordPress', name: 'plugin/sample-forms' },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { last_affected: '5.3.1' }] }],
          database_specific: {
            vigil: { source: WORDFENCE_SOURCE, fix_state: 'fixed', severity: 'CRITICAL', patched_versions: ['5.3.2'] },
          },
        },
      ],
      references: [
        { type: 'ADVISORY', url: `https://www.wordfence.com/threat-intel/vulnerabilities/id/${UUID_A}` },
        { type: 'WEB', url: 'https://example.org/advisory/sample-forms' },
      ],
      database_specific: {
        source: WORDFENCE_SOURCE,
        link: `https://www.wordfence.com/threat-intel/vulnerabilities/id/${UUID_A}`,
        copyrights: COPYRIGHTS,
        cwe: { id: 434, name: 'Unrestricted Upload of File with Dangerous Type', description: '…' },
        cvss: { vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', score: 10, rating: 'Critical' },
      },
    });
  });

  it('theme with two affected_versions entries, from_inclusive false, unpatched', () => {
    const record = byId.get(`WF-${UUID_B}`) as OsvRecord;
    expect(record.aliases).toBeUndefined();
    expect(record.modified).toBe('2024-03-25T00:00:00+00:00');
    expect(record.affected).toEqual([
      {
        package: { ecosystem: 'WordPress', name: 'theme/sample-theme' },
        ranges: [
          { type: 'ECOSYSTEM', events: [{ introduced: '1.0' }, { fixed: '2.0' }] },
          {
            type: 'ECOSYSTEM',
            events: [{ introduced: '2.5' }, { last_affected: '2.7' }],
            database_specific: { vigil: { introduced_exclusive: true } },
          },
        ],
        database_specific: { vigil: { source: WORDFENCE_SOURCE, fix_state: 'not_fixed', severity: 'MEDIUM' } },
      },
    ]);
  });

  it('core and a second package in one record: one affected entry each', () => {
    const record = byId.get(`WF-${UUID_C}`) as OsvRecord;
    expect(record.affected?.map((a) => [a.package?.name, a.ranges, (a.database_specific as { vigil: unknown }).vigil])).toEqual([
      [
        'wordpress',
        [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { last_affected: '6.4.1' }] }],
        { source: WORDFENCE_SOURCE, fix_state: 'fixed', severity: 'HIGH', patched_versions: ['6.4.2'] },
      ],
      [
        'plugin/sample-forms',
        [{ type: 'ECOSYSTEM', events: [{ introduced: '6.0' }] }],
        { source: WORDFENCE_SOURCE, fix_state: 'not_fixed', severity: 'HIGH' },
      ],
    ]);
  });

  it('through the matcher: boundaries of each range, informational record left out', () => {
    const local = new AdvisoryIndex();
    for (const r of records) local.add(r, 'raw');
    expect(local.stats.informational).toBe(1);
    const ids = (name: string, version: string) =>
      matchPackages([{ ecosystem: 'WordPress', name, version }], local).findings.map((f) => f.id.slice(3, 7));
    const a = UUID_A.slice(0, 4);
    const b = UUID_B.slice(0, 4);
    const c = UUID_C.slice(0, 4);
    expect(ids('plugin/sample-forms', '5.3.1')).toEqual([a]);
    expect(ids('plugin/sample-forms', '5.3.2')).toEqual([]);
    expect(ids('plugin/sample-forms', '5.9')).toEqual([]);
    expect(ids('plugin/sample-forms', '6.0')).toEqual([c]);
    expect(ids('plugin/sample-forms', '7.1')).toEqual([c]);
    expect(ids('theme/sample-theme', '0.9')).toEqual([]);
    expect(ids('theme/sample-theme', '1.0')).toEqual([b]);
    expect(ids('theme/sample-theme', '1.9.9')).toEqual([b]);
    expect(ids('theme/sample-theme', '2.0')).toEqual([]);
    expect(ids('theme/sample-theme', '2.4')).toEqual([]);
    // The exclusive lower bound: 2.5 is reported (the documented false positive), 2.5.1 rightly.
    expect(ids('theme/sample-theme', '2.5')).toEqual([b]);
    expect(ids('theme/sample-theme', '2.5.1')).toEqual([b]);
    expect(ids('theme/sample-theme', '2.7')).toEqual([b]);
    expect(ids('theme/sample-theme', '2.7.1')).toEqual([]);
    expect(ids('wordpress', '6.4.1')).toEqual([c]);
    expect(ids('wordpress', '6.4.2')).toEqual([]);
  });

  it('skips bad records with a problem naming the record, converts the rest', () => {
    const feed = rawFeed();
    const good = feed[UUID_A] as Record<string, unknown>;
    const software = (good.software as Record<string, unknown>[])[0] as Record<string, unknown>;
    const withSoftware = (changes: Record<string, unknown>) => ({ ...good, software: [{ ...software, ...changes }] });
    const entries: Record<string, Record<string, unknown>> = {
      [UUID_A]: good,
      [UUID_B]: withSoftware({ slug: undefined }),
      [UUID_C]: withSoftware({ type: 'library' }),
      [UUID_D]: withSoftware({ affected_versions: { x: { from_version: '1.0', to_version: '2.0', to_inclusive: true } } }),
      '11111111-2222-4333-8444-555555555555': withSoftware({ affected_versions: {} }),
      '21111111-2222-4333-8444-555555555555': withSoftware({
        affected_versions: { a: { from_version: '*', to_version: '2.', to_inclusive: true } },
      }),
      '31111111-2222-4333-8444-555555555555': { ...good, software: 'plugin' },
      '41111111-2222-4333-8444-555555555555': { ...good, id: UUID_A },
      'not-a-uuid': good,
    };
    // Each entry's id is its key, except where the mismatch is the point.
    for (const [key, value] of Object.entries(entries)) if (!key.startsWith('4111')) entries[key] = { ...value, id: key };
    const doc = JSON.parse(JSON.stringify(entries).replace('"not-a-uuid"', '"__proto__":{"id":"x","software":[]},"not-a-uuid"'));
    // A real own "__proto__" key, as JSON.parse makes it.
    expect(Object.hasOwn(doc, '__proto__')).toBe(true);
    const hostileLabel = JSON.parse(
      `{"${UUID_B}": ${JSON.stringify({ ...withSoftware({ affected_versions: {} }), id: UUID_B }).replace('"affected_versions":{}', '"affected_versions":{"__proto__":{"from_version":"*","from_inclusive":true,"to_version":"1.0","to_inclusive":true}}')}}`,
    );
    const result = wordfenceToOsv(doc, 'feed.json');
    expect(result.records.map((r) => r.id)).toEqual([`WF-${UUID_A}`]);
    expect(result.problems).toEqual([
      { origin: 'feed.json', recordId: UUID_B, reason: 'software[0]: no slug' },
      { origin: 'feed.json', recordId: UUID_C, reason: 'software[0]: type "library" is not core, plugin or theme' },
      {
        origin: 'feed.json',
        recordId: UUID_D,
        reason: 'software[0] (plugin/sample-forms), affected_versions "x": from_inclusive is not true or false',
      },
      {
        origin: 'feed.json',
        recordId: '11111111-2222-4333-8444-555555555555',
        reason: 'software[0] (plugin/sample-forms): affected_versions is empty',
      },
      {
        origin: 'feed.json',
        recordId: '21111111-2222-4333-8444-555555555555',
        reason: 'software[0] (plugin/sample-forms): "2." is not a valid WordPress version',
      },
      { origin: 'feed.json', recordId: '31111111-2222-4333-8444-555555555555', reason: 'no software list' },
      { origin: 'feed.json', recordId: '41111111-2222-4333-8444-555555555555', reason: `id "${UUID_A}" differs from its key` },
      { origin: 'feed.json', recordId: '__proto__', reason: 'key "__proto__" refused' },
      { origin: 'feed.json', recordId: 'not-a-uuid', reason: 'key "not-a-uuid" is not a UUID' },
    ]);
    expect(wordfenceToOsv(hostileLabel, 'feed.json').problems).toEqual([
      { origin: 'feed.json', recordId: UUID_B, reason: 'software[0] (plugin/sample-forms): affected_versions key "__proto__" refused' },
    ]);
    expect(({} as Record<string, unknown>).software).toBeUndefined();
  });

  it('refuses a document that is not an object', () => {
    for (const doc of [null, [], 'text', 3]) {
      expect(wordfenceToOsv(doc, 'f.json').problems).toEqual([
        { origin: 'f.json', recordId: null, reason: 'not a Wordfence Intelligence feed (not an object keyed by UUID)' },
      ]);
    }
  });
});

describe('detection helpers', () => {
  it('recognise each form and nothing else', () => {
    const derivedDoc = JSON.parse(files.get('plugin-akismet.json') as string);
    const raw = rawFeed();
    expect(isWpsecadvDocument(derivedDoc)).toBe(true);
    expect(isWordfenceDocument(raw)).toBe(true);
    expect(isWpsecadvDocument(raw)).toBe(false);
    expect(isWordfenceDocument(derivedDoc)).toBe(false);
    for (const other of [null, [], {}, 'x', [{ id: 'GHSA-1', affected: [] }], { id: 'GHSA-1', modified: '2024-01-01T00:00:00Z' }]) {
      expect(isWpsecadvDocument(other)).toBe(false);
      expect(isWordfenceDocument(other)).toBe(false);
    }
    expect(isWordfenceDocument({ [UUID_A]: { id: UUID_A, software: 'plugin' } })).toBe(false);
    expect(isWpsecadvDocument([{ advisoryId: 'GHSA-1', affectedVersions: '<1' }])).toBe(false);
  });
});
