import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFactories } from '../../../test/helpers/factories.ts';
import { createTestApp, type TestApp } from '../../../test/helpers/test-app.ts';
import { encodeCursor } from '../../lib/page-cursor.ts';
import { FINDING_SORTS, type FindingPage, type FindingSort, type FindingView, SEVERITIES } from './findings.schemas.ts';
import { type SeedFinding, seedFindings } from './findings.test-kit.ts';

/**
 * Sorting and cursor pages: each sort, both directions, on rows full of ties (equal priorities,
 * severities, names, and times equal to the millisecond but not the microsecond), read in small
 * pages: the pages together are the whole set, once each, in the order one big page has.
 */
let ta: TestApp;
let owner: string;
let all: string[];

const SEVERITY_CYCLE = ['HIGH', 'LOW', 'HIGH', 'CRITICAL', 'MEDIUM'] as const;
// Three instants a microsecond apart (one millisecond as JavaScript sees them), and one later.
const TIMES = ['2026-03-01T10:00:00.000001Z', '2026-03-01T10:00:00.000002Z', '2026-03-01T10:00:00.000003Z', '2026-03-02T08:00:00Z'];

beforeAll(async () => {
  ta = await createTestApp();
  const f = createFactories(ta.t.database.db);
  const org = await f.org();
  const assets = [
    await f.asset(org.id, { name: 'host-a.example.test' }),
    await f.asset(org.id, { name: 'host-b.example.test' }),
    await f.asset(org.id, { name: 'host-c.example.test' }),
  ];
  const seeds: SeedFinding[] = Array.from({ length: 23 }, (_, i) => ({
    assetId: (assets[i % 3] as { id: string }).id,
    clientId: null,
    vulnId: `CVE-2026-${String(1000 + i)}`,
    severity: SEVERITY_CYCLE[i % SEVERITY_CYCLE.length],
    priorityScore: [10, 20.5, 20.5, 7][i % 4],
    packageName: ['alpha', 'beta', 'gamma'][i % 3 === 0 ? 0 : i % 2],
    packageVersion: ['1.0', '2.0'][i % 2],
    firstSeenAt: TIMES[i % TIMES.length],
    lastSeenAt: TIMES[(i + 1) % TIMES.length],
  }));
  all = await seedFindings(ta.t.database.db, org.id, seeds);
  const a = await f.actor(org.id, 'VIEWER');
  owner = ta.tokenFor({ kind: 'user', id: a.user.id, tenant: a.ctx });
});
afterAll(() => ta?.close());

async function page(query: string): Promise<FindingPage> {
  const response = await ta.app.inject({ method: 'GET', url: `/api/v1/findings?${query}`, headers: { authorization: owner } });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<FindingPage>();
}

async function walk(query: string, limit: number): Promise<FindingView[]> {
  const seen: FindingView[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const p = await page(`${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(p.items.length).toBeLessThanOrEqual(limit);
    seen.push(...p.items);
    cursor = p.nextCursor;
    if (!cursor) return seen;
  }
  throw new Error('the cursor never ran out');
}

/** The sort key as the test can compute it from a response (times only to the millisecond). */
const keyOf: Record<FindingSort, (item: FindingView) => Array<number | string>> = {
  priority: (i) => [i.priorityScore],
  severity: (i) => [SEVERITIES.length - SEVERITIES.indexOf(i.severity), i.priorityScore],
  firstSeen: (i) => [Date.parse(i.firstSeenAt)],
  lastSeen: (i) => [Date.parse(i.lastSeenAt)],
  package: (i) => [i.package?.name ?? '', i.package?.version ?? ''],
  asset: (i) => [i.asset.name],
};

function compare(a: Array<number | string>, b: Array<number | string>): number {
  for (let i = 0; i < a.length; i++) {
    const [x, y] = [a[i] as number | string, b[i] as number | string];
    if (x < y) return -1;
    if (x > y) return 1;
  }
  return 0;
}

describe.each(FINDING_SORTS.flatMap((sort) => (['asc', 'desc'] as const).map((order) => [sort, order] as const)))(
  'sort=%s order=%s',
  (sort, order) => {
    it.each([1, 4, 7])('pages of %i hold every finding once, in the one-page order', async (limit) => {
      const whole = (await page(`sort=${sort}&order=${order}&limit=200`)).items;
      expect(whole.map((i) => i.id).sort()).toEqual([...all].sort());
      const paged = await walk(`sort=${sort}&order=${order}`, limit);
      expect(paged.map((i) => i.id)).toEqual(whole.map((i) => i.id));
    });

    it('orders by the sort key, then by id, in the asked direction', async () => {
      const items = (await page(`sort=${sort}&order=${order}&limit=200`)).items;
      const sign = order === 'asc' ? 1 : -1;
      for (let i = 1; i < items.length; i++) {
        const [prev, next] = [items[i - 1] as FindingView, items[i] as FindingView];
        const byKey = compare(keyOf[sort](prev), keyOf[sort](next)) * sign;
        expect(byKey, `${sort} ${order} at ${i}`).toBeLessThanOrEqual(0);
        // Times tie here only to the millisecond; the database orders them by the microsecond.
        if (byKey === 0 && sort !== 'firstSeen' && sort !== 'lastSeen') expect(compare([prev.id], [next.id]) * sign).toBe(-1);
      }
    });
  },
);

describe('defaults', () => {
  it('sorts by priority, highest first, when no sort is given', async () => {
    const items = (await page('limit=200')).items;
    expect(items.map((i) => i.priorityScore)).toEqual([...items.map((i) => i.priorityScore)].sort((a, b) => b - a));
    expect(items[0]?.priorityScore).toBe(20.5);
  });
});

describe('cursors', () => {
  async function firstCursor(query: string): Promise<string> {
    const cursor = (await page(`${query}&limit=2`)).nextCursor;
    if (!cursor) throw new Error('expected a next page');
    return cursor;
  }
  const status = async (query: string) =>
    (await ta.app.inject({ method: 'GET', url: `/api/v1/findings?${query}`, headers: { authorization: owner } })).statusCode;

  it('refuses an edited cursor with 400', async () => {
    const cursor = await firstCursor('sort=priority');
    const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString());
    const forged = (change: object) => Buffer.from(JSON.stringify({ ...decoded, ...change })).toString('base64url');
    const flipped = cursor.slice(0, 10) + (cursor[10] === 'A' ? 'B' : 'A') + cursor.slice(11);
    for (const bad of [
      flipped,
      cursor.slice(0, -4),
      forged({ k: ['99', decoded.k[1]] }),
      forged({ k: [decoded.k[0]] }),
      forged({ s: 'findings.severity:desc' }),
      Buffer.from('not json').toString('base64url'),
      Buffer.from('[]').toString('base64url'),
    ]) {
      expect(await status(`sort=priority&cursor=${bad}`), bad).toBe(400);
    }
  });

  it('refuses a cursor made for another sort or direction', async () => {
    const cursor = await firstCursor('sort=priority&order=desc');
    expect(await status(`sort=priority&order=desc&cursor=${cursor}`)).toBe(200);
    expect(await status(`sort=priority&order=asc&cursor=${cursor}`)).toBe(400);
    expect(await status(`sort=severity&cursor=${cursor}`)).toBe(400);
  });

  it('refuses a well-formed cursor whose values cannot be bound (no database error)', async () => {
    for (const keys of [
      ['1; DROP TABLE x', '00000000-0000-0000-0000-000000000000'],
      ['10', 'not-a-uuid'],
      ['1e999', '00000000-0000-0000-0000-000000000000'],
    ]) {
      expect(await status(`sort=priority&cursor=${encodeCursor('findings.priority:desc', keys)}`)).toBe(400);
    }
    const ts = encodeCursor('findings.firstSeen:desc', ['yesterday', '00000000-0000-0000-0000-000000000000']);
    expect(await status(`sort=firstSeen&cursor=${ts}`)).toBe(400);
  });

  it('accepts a hand-made valid cursor: it only moves where the caller’s own list starts', async () => {
    const cursor = encodeCursor('findings.priority:desc', ['20.5', 'ffffffff-ffff-ffff-ffff-ffffffffffff']);
    const items = (await page(`sort=priority&limit=200&cursor=${cursor}`)).items;
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((i) => i.priorityScore <= 20.5)).toBe(true);
  });
});
