import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../../test/vectors.ts';
import type { OsvRecord } from '../osv/model.ts';
import { jsonMembers } from './json-members.ts';
import { readAdvisoryDocument, trackerMembers } from './osv-json.ts';

const members = (text: string) => [...jsonMembers(text)].map((m) => [m.key, JSON.parse(text.slice(m.start, m.end))]);

describe('jsonMembers', () => {
  it('splits a top-level object into its members without parsing them together', () => {
    const text = ' \ufeff{ "a" : {"x": "}{\\"]"}, "b\\u0041":[1,[2,{"c":3}]] ,"n": null, "t":true,"s":"x,y}" }\n';
    expect(members(text.replace('\ufeff', ''))).toEqual([
      ['a', { x: '}{"]' }],
      ['bA', [1, [2, { c: 3 }]]],
      ['n', null],
      ['t', true],
      ['s', 'x,y}'],
    ]);
    expect(members('{}')).toEqual([]);
  });

  it.each([['[1]'], ['{"a" 1}'], ['{"a": {"b": 1}'], ['{"a": "x}'], ['{"a": 1,}'], ['{"a": 1} extra'], ['{"a": }']])(
    'throws SyntaxError on %s',
    (text) => {
      expect(() => [...jsonMembers(text)]).toThrow(SyntaxError);
    },
  );
});

describe('a large Debian tracker is read member by member', () => {
  // The real subset, repeated under other package names until it passes the streaming threshold.
  const real = JSON.parse(readFileSync(`${FIXTURES}debian-tracker/vulnerablecode-debian-tracker-subset.json`, 'utf8')) as Record<
    string,
    unknown
  >;
  const big: Record<string, unknown> = {};
  const copies = Math.ceil((5 * 1024 * 1024) / JSON.stringify(real).length);
  for (let i = 0; i <= copies; i++) {
    for (const [name, value] of Object.entries(real)) big[i === 0 ? name : `${name}-copy${i}`] = value;
  }
  const text = JSON.stringify(big);

  function load(want?: (ecosystem: string, name: string) => boolean): OsvRecord[] {
    const records: OsvRecord[] = [];
    readAdvisoryDocument(text, 'tracker.json', 'tracker.json', { record: (r) => records.push(r), problem: () => {} }, undefined, want);
    return records;
  }

  it('gives the same records as the whole-document reading of the same data', () => {
    expect(text.length).toBeGreaterThan(4 * 1024 * 1024);
    const streamed = load();
    const whole: OsvRecord[] = [];
    // Pretty-printed, the same data is read the ordinary way only if it fails to split; force that
    // path by reading the small real file and comparing the records of the original packages.
    readAdvisoryDocument(JSON.stringify(real), 'small.json', 'small.json', { record: (r) => whole.push(r), problem: () => {} });
    const original = (r: OsvRecord) => ({ ...r, affected: r.affected?.filter((a) => !a.package?.name.includes('-copy')) });
    expect(streamed.map(original)).toEqual(whole);
  });

  it('is streamed above the threshold, parsed whole below it or when it is not a tracker', () => {
    expect(trackerMembers(text, undefined)).not.toBeNull();
    expect(trackerMembers(JSON.stringify(real), undefined)).toBeNull();
    expect(
      trackerMembers(JSON.stringify({ vulns: Array.from({ length: 60_000 }, (_, i) => ({ id: `X-${i}`, modified: 'm' })) }), undefined),
    ).toBeNull();
    expect(trackerMembers(`${text.slice(0, -1)},`, undefined)).toBeNull();
  });

  it('a broken member is a problem naming its source package; the others still convert', () => {
    const broken = `${text.slice(0, -1)},"bash":{"CVE-2099-0001":{"releases":{]}}}`;
    const records: OsvRecord[] = [];
    const problems: string[] = [];
    const counts = readAdvisoryDocument(broken, 't.json', 't.json', {
      record: (r) => records.push(r),
      problem: (p) => problems.push(p.reason),
    });
    expect(counts.kind).toBe('debian-tracker');
    expect(records.length).toBeGreaterThan(0);
    expect(problems).toContainEqual(expect.stringMatching(/^source package "bash": invalid JSON/));
  });

  it('converts only the source packages wanted', () => {
    const records = load((ecosystem, name) => ecosystem === 'Debian' && name === 'librsync');
    expect(records.length).toBeGreaterThan(0);
    expect(new Set(records.flatMap((r) => r.affected?.map((a) => a.package?.name)))).toEqual(new Set(['librsync']));
  });
});
