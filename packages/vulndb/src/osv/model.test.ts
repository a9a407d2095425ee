import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../../test/vectors.ts';
import { OsvRecordError, parseOsvRecord } from './model.ts';

function fixtureRecords(dir: string) {
  return readdirSync(`${FIXTURES}osv/${dir}`)
    .filter((f) => f.endsWith('.json'))
    .map((f) => ({ file: `${dir}/${f}`, value: JSON.parse(readFileSync(`${FIXTURES}osv/${dir}/${f}`, 'utf8')) as unknown }));
}

describe('parseOsvRecord', () => {
  it.each(['ubuntu-usn', 'ghsa-npm', 'rocky'])('reads every real record in %s', (dir) => {
    const records = fixtureRecords(dir);
    expect(records.length).toBeGreaterThan(0);
    for (const { file, value } of records) {
      const record = parseOsvRecord(value, file);
      expect(record.id).toBe((value as { id: string }).id);
      expect(record.affected?.length).toBeGreaterThan(0);
    }
  });

  it('keeps ecosystem- and database-specific data', () => {
    const usn = fixtureRecords('ubuntu-usn').find((r) => r.file.endsWith('USN-4705-1.json'));
    const record = parseOsvRecord(usn?.value, 'USN-4705-1.json');
    expect(record.affected?.[0]?.ecosystem_specific).toHaveProperty('binaries');
  });

  it.each([
    [{ modified: '2024-01-01T00:00:00Z' }, /at id/],
    [{ id: 'X-1', modified: '2024-01-01T00:00:00Z', affected: [{ ranges: [{ type: 'ECOSYSTEM', events: [] }] }] }, /events/],
    [
      {
        id: 'X-2',
        modified: '2024-01-01T00:00:00Z',
        affected: [{ ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0', fixed: '1' }] }] }],
      },
      /events/,
    ],
    [{ id: 'X-3', modified: '2024-01-01T00:00:00Z', affected: [{ ranges: [{ type: 'WEIRD', events: [{ introduced: '0' }] }] }] }, /type/],
    ['not an object', /root/],
  ])('names the file and id of a record that breaks the schema (%j)', (value, where) => {
    let error: unknown;
    try {
      parseOsvRecord(value, 'feed/bad.json');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OsvRecordError);
    expect((error as Error).message).toMatch(/^feed\/bad\.json/);
    expect((error as Error).message).toMatch(where);
    const id = (value as { id?: string }).id;
    if (id) expect((error as Error).message).toContain(`(${id})`);
  });
});
