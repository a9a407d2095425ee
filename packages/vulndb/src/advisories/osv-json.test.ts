import { describe, expect, it } from 'vitest';
import type { OsvRecord } from '../osv/model.ts';
import type { AdvisoryProblem } from './model.ts';
import { type AdvisorySink, detectKind, MAX_NESTING, nestingExceeds, parseDocumentText, readAdvisoryDocument } from './osv-json.ts';

function collect(): AdvisorySink & { records: [OsvRecord, string][]; problems: AdvisoryProblem[] } {
  const records: [OsvRecord, string][] = [];
  const problems: AdvisoryProblem[] = [];
  return { records, problems, record: (r, o) => records.push([r, o]), problem: (p) => problems.push(p) };
}

const rec = (id: string, extra: Record<string, unknown> = {}) => ({ id, modified: '2024-01-01T00:00:00Z', ...extra });

describe('readAdvisoryDocument: OSV shapes', () => {
  it('a single record', () => {
    const sink = collect();
    const counts = readAdvisoryDocument(JSON.stringify(rec('GHSA-1')), 'f.json', 'f.json', sink);
    expect(counts).toEqual({ kind: 'osv-record', records: 1, problems: 0 });
    expect(sink.records).toEqual([[rec('GHSA-1'), 'f.json']]);
  });

  it('a JSON array of records; one breaking the schema is a problem naming file and id, the others load', () => {
    const sink = collect();
    const doc = [rec('A-1'), rec('A-2', { affected: [{ ranges: [{ type: 'NOPE', events: [] }] }] }), { no: 'id' }, rec('A-3')];
    const counts = readAdvisoryDocument(JSON.stringify(doc), 'list.json', 'list.json', sink);
    expect(counts).toEqual({ kind: 'osv-list', records: 2, problems: 2 });
    expect(sink.records.map(([r]) => r.id)).toEqual(['A-1', 'A-3']);
    expect(sink.problems[0]).toMatchObject({ origin: 'list.json', recordId: 'A-2' });
    expect(sink.problems[0]?.reason).toMatch(/does not follow the OSV schema at affected\.0\.ranges\.0\.type/);
    expect(sink.problems[1]).toMatchObject({ origin: 'list.json', recordId: null });
  });

  it("osv.dev's answer {vulns: […]} and its empty answer {}", () => {
    const sink = collect();
    expect(readAdvisoryDocument(JSON.stringify({ vulns: [rec('X-1'), rec('X-2')], next_page_token: 't' }), 'q', 'q.json', sink)).toEqual({
      kind: 'osv-api',
      records: 2,
      problems: 0,
    });
    expect(readAdvisoryDocument('{}', 'q', 'q.json', sink)).toEqual({ kind: 'osv-api', records: 0, problems: 0 });
    expect(sink.problems).toEqual([]);
  });

  it('OSV as YAML: dates stay strings, quoted "0" stays a string, null is null, a BOM is dropped', () => {
    const yaml = [
      '\ufeffid: PYSEC-2020-1',
      'modified: 2023-11-07T20:24:23.946863Z',
      'aliases: null',
      'affected:',
      '- package: {ecosystem: PyPI, name: x}',
      '  ranges:',
      '  - type: ECOSYSTEM',
      '    events:',
      '    - introduced: "0"',
      '    - fixed: 1.10.0',
      '  versions: [1.0.0, "1.0"]',
    ].join('\n');
    const sink = collect();
    readAdvisoryDocument(yaml, 'v.yaml', 'v.yaml', sink);
    expect(sink.problems).toEqual([]);
    expect(sink.records[0]?.[0]).toEqual({
      id: 'PYSEC-2020-1',
      modified: '2023-11-07T20:24:23.946863Z',
      aliases: null,
      affected: [
        {
          package: { ecosystem: 'PyPI', name: 'x' },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.10.0' }] }],
          versions: ['1.0.0', '1.0'],
        },
      ],
    });
  });

  it('an unquoted YAML number where OSV wants a string is a schema problem, not a silent conversion', () => {
    const sink = collect();
    readAdvisoryDocument('id: P-1\nmodified: x\naffected:\n- versions: [1.10]\n', 'v.yaml', 'v.yaml', sink);
    expect(sink.records).toEqual([]);
    expect(sink.problems[0]).toMatchObject({ recordId: 'P-1' });
  });

  it('a document of another shape is one problem', () => {
    const sink = collect();
    expect(readAdvisoryDocument('{"hello": "world"}', 'o.json', 'o.json', sink).kind).toBeNull();
    expect(readAdvisoryDocument('"just a string"', 'o.json', 'o.json', sink).kind).toBeNull();
    expect(sink.problems.map((p) => p.reason)).toEqual([
      'not an OSV record, OSV list, osv.dev answer, Debian tracker, Alpine secdb or WordPress (Wordfence) document',
      'not an OSV record, OSV list, osv.dev answer, Debian tracker, Alpine secdb or WordPress (Wordfence) document',
    ]);
  });
});

describe('detectKind', () => {
  it('tells the shapes apart from content', () => {
    expect(detectKind([])).toBe('osv-list');
    expect(detectKind({ id: 'x' })).toBe('osv-record');
    expect(detectKind({ vulns: [] })).toBe('osv-api');
    expect(detectKind({ distroversion: 'v3.5', packages: [] })).toBe('alpine-secdb');
    expect(detectKind({ pkg: { 'CVE-1': { releases: {} } } })).toBe('debian-tracker');
    expect(detectKind({ pkg: { 'CVE-1': { description: 'd', scope: 'local' } } })).toBe('debian-tracker');
    expect(detectKind({ pkg: { 'CVE-1': { other: 1 } } })).toBeNull();
    expect(detectKind(null)).toBeNull();
    expect(detectKind(42)).toBeNull();
  });
});

describe('parseDocumentText: YAML is plain data', () => {
  const parse = (text: string) => {
    const result = parseDocumentText(text, 'x.yaml');
    if ('error' in result) throw new Error(result.error);
    return result.value;
  };

  it('keys stay as written (1.10, 2.0, 0, null), values follow the core schema', () => {
    expect(parse('1.10: [a]\n2.0: [b]\n0: [c]\nnull: x\ntrue: 1.0\n')).toEqual({
      '1.10': ['a'],
      '2.0': ['b'],
      '0': ['c'],
      null: 'x',
      true: 1,
    });
  });

  it('no custom or YAML 1.1 tags: !!binary, !!timestamp and !foo stay strings; << is a plain key', () => {
    expect(parse('a: !!binary aGVsbG8=\nb: !!timestamp 2001-12-14\nc: !foo bar\n<<: {d: 1}\n')).toEqual({
      a: 'aGVsbG8=',
      b: '2001-12-14',
      c: 'bar',
      '<<': { d: 1 },
    });
  });

  it('a billion-laughs document is refused (bounded aliases)', () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (const [prev, name] of [
      ['a', 'b'],
      ['b', 'c'],
      ['c', 'd'],
      ['d', 'e'],
      ['e', 'f'],
      ['f', 'g'],
      ['g', 'h'],
      ['h', 'i'],
    ]) {
      lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const result = parseDocumentText(lines.join('\n'), 'laughs.yaml');
    expect(result).toEqual({ error: expect.stringMatching(/^invalid YAML: Excessive alias count/) });
    const sink = collect();
    readAdvisoryDocument(lines.join('\n'), 'laughs.yaml', 'laughs.yaml', sink);
    expect(sink.problems).toEqual([{ origin: 'laughs.yaml', recordId: null, reason: expect.stringMatching(/Excessive alias count/) }]);
  });

  it('a few aliases are fine', () => {
    expect(parse('a: &x [1]\nb: *x\n')).toEqual({ a: [1], b: [1] });
  });

  it('duplicate keys, several documents and bad syntax are problems', () => {
    expect(parseDocumentText('a: 1\na: 2\n', 'x.yaml')).toEqual({ error: expect.stringMatching(/^invalid YAML: .*unique/i) });
    expect(parseDocumentText('a: 1\n---\nb: 2\n', 'x.yaml')).toEqual({ error: expect.stringMatching(/^invalid YAML: /) });
    expect(parseDocumentText('a: [1,\n', 'x.yaml')).toEqual({ error: expect.stringMatching(/^invalid YAML: /) });
  });

  it('deeply nested YAML flow collections: a problem, not a crash', () => {
    const depth = 100_000;
    const result = parseDocumentText(`a: ${'['.repeat(depth)}${']'.repeat(depth)}\n`, 'deep.yaml');
    expect(result).toEqual({ error: `YAML nested deeper than ${MAX_NESTING} levels` });
  });
});

describe('parseDocumentText: hostile and broken input', () => {
  it('invalid JSON is a problem with the parser message; the syntax follows the extension, else the first character', () => {
    expect(parseDocumentText('{"id": ', 'x.json')).toEqual({ error: expect.stringMatching(/^invalid JSON: /) });
    expect(parseDocumentText('{"id": "a"}', 'no-extension')).toEqual({ value: { id: 'a' } });
    expect(parseDocumentText('id: a', 'no-extension')).toEqual({ value: { id: 'a' } });
  });

  it('binary garbage is a problem naming the control character', () => {
    const garbage = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) % 256)).toString('latin1');
    expect(parseDocumentText(garbage, 'g.json')).toEqual({ error: expect.stringMatching(/^binary data \(control character U\+00/) });
  });

  it('an empty file is a problem', () => {
    expect(parseDocumentText(' \n', 'e.json')).toEqual({ error: 'empty file' });
  });

  it('deeply nested JSON is refused before parsing; brackets inside strings do not count', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expect(parseDocumentText(deep, 'deep.json')).toEqual({ error: `JSON nested deeper than ${MAX_NESTING} levels` });
    expect(nestingExceeds(`["${'['.repeat(1000)}"]`, 10)).toBe(false);
    expect(nestingExceeds(`["\\"${'['.repeat(1000)}"]`, 10)).toBe(false);
    expect(nestingExceeds('[[[]]]', 3)).toBe(false);
    expect(nestingExceeds('[[[[]]]]', 3)).toBe(true);
    const sink = collect();
    readAdvisoryDocument(deep, 'deep.json', 'deep.json', sink);
    expect(sink.problems).toHaveLength(1);
  });

  it('a 10 MB single-line JSON array loads every record', () => {
    const records = Array.from({ length: 20_000 }, (_, i) => rec(`BIG-${i}`, { details: 'x'.repeat(480) }));
    const text = JSON.stringify(records);
    expect(text.length).toBeGreaterThan(10_000_000);
    expect(text.includes('\n')).toBe(false);
    const sink = collect();
    expect(readAdvisoryDocument(text, 'big.json', 'big.json', sink)).toEqual({ kind: 'osv-list', records: 20_000, problems: 0 });
    expect(sink.records[19_999]?.[0].id).toBe('BIG-19999');
  });

  it('a 10 MB single-line record breaking the schema (details too long) is one problem with its id', () => {
    const sink = collect();
    readAdvisoryDocument(JSON.stringify(rec('HUGE-1', { details: 'y'.repeat(10_000_000) })), 'h.json', 'h.json', sink);
    expect(sink.records).toEqual([]);
    expect(sink.problems).toEqual([{ origin: 'h.json', recordId: 'HUGE-1', reason: expect.stringMatching(/at details/) }]);
  });

  it('__proto__ keys do not pollute anything', () => {
    const sink = collect();
    readAdvisoryDocument('{"id":"P-1","modified":"m","__proto__":{"polluted":true}}', 'p.json', 'p.json', sink);
    expect(sink.records).toHaveLength(1);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((sink.records[0]?.[0] as Record<string, unknown> | undefined)?.polluted).toBeUndefined();
  });
});

describe('readAdvisoryDocument: problems are capped per document', () => {
  it('1000 bad records: 200 problems, then one note with the count of the rest', () => {
    const sink = collect();
    const list = Array.from({ length: 1000 }, (_, i) => ({ id: `BAD-${i}` }));
    list.push(rec('GOOD-1'));
    const counts = readAdvisoryDocument(JSON.stringify(list), 'many.json', 'many.json', sink);
    expect(counts).toEqual({ kind: 'osv-list', records: 1, problems: 201 });
    expect(sink.problems[199]?.recordId).toBe('BAD-199');
    expect(sink.problems[200]).toEqual({ origin: 'many.json', recordId: null, reason: '800 further problems not shown' });
  });
});
