import { describe, expect, it } from 'vitest';
import { mergeRecords } from './merge.ts';
import type { OsvRecord } from './model.ts';

type Affected = NonNullable<OsvRecord['affected']>[number];
const affected = (name: string): Affected => ({
  package: { ecosystem: 'WordPress', name },
  ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.0' }] }],
});

describe('merging records published under one id', () => {
  it('unites affected entries, aliases and references; keeps the first text; takes the later modified', () => {
    const a: OsvRecord = {
      id: 'WF-1',
      modified: '2024-01-01T00:00:00Z',
      summary: 'first',
      aliases: ['CVE-2024-1'],
      affected: [affected('theme-a')],
    } as OsvRecord;
    const b: OsvRecord = {
      id: 'WF-1',
      modified: '2024-03-01T00:00:00Z',
      summary: 'second',
      aliases: ['CVE-2024-1', 'CVE-2024-2'],
      affected: [affected('theme-b'), affected('theme-a')],
    } as OsvRecord;
    const merged = mergeRecords(a, b);
    expect(merged.summary).toBe('first');
    expect(merged.modified).toBe('2024-03-01T00:00:00Z');
    expect(merged.aliases).toEqual(['CVE-2024-1', 'CVE-2024-2']);
    expect(merged.affected?.map((x) => x.package?.name)).toEqual(['theme-a', 'theme-b']);
    expect(merged.withdrawn).toBeUndefined();
  });

  it('keeps only the live part’s affected entries when the other part was withdrawn, in either order', () => {
    const gone: OsvRecord = {
      id: 'WF-2',
      modified: '2024-01-01T00:00:00Z',
      withdrawn: '2024-02-01T00:00:00Z',
      aliases: ['CVE-2024-9'],
      affected: [affected('plugin-p1')],
    } as OsvRecord;
    const live: OsvRecord = { id: 'WF-2', modified: '2024-01-01T00:00:00Z', affected: [affected('plugin-p2')] } as OsvRecord;
    for (const merged of [mergeRecords(gone, live), mergeRecords(live, gone)]) {
      expect(merged.withdrawn).toBeUndefined();
      expect(merged.affected?.map((x) => x.package?.name)).toEqual(['plugin-p2']);
      expect(merged.aliases).toEqual(['CVE-2024-9']);
    }
  });

  it('stays withdrawn when both parts are', () => {
    const one = { id: 'WF-3', modified: '2024-01-01T00:00:00Z', withdrawn: '2024-02-01T00:00:00Z', affected: [affected('a')] } as OsvRecord;
    expect(mergeRecords(one, { ...one, affected: [affected('b')] }).withdrawn).toBe('2024-02-01T00:00:00Z');
  });
});
