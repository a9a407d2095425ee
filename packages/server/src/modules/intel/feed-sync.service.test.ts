import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { intelDigest } from '../../../test/helpers/intel-digest.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/test-database.ts';
import { loadConfig } from '../../config/config.ts';
import { findFeed } from './feed-store.repo.ts';
import { importFromUrl, syncFeeds } from './feed-sync.service.ts';
import { feedSyncJob } from './intel.jobs.ts';

const KEV = readFileSync(path.resolve(import.meta.dirname, '../../../../../../shared/fixtures/kev/known_exploited_vulnerabilities.json'));

const OSV = readFileSync(path.resolve(import.meta.dirname, '../../../../../../shared/fixtures/osv/ghsa-npm/GHSA-35jh-r3h4-6jhm.json'));

let db: TestDatabase;
let server: Server;
let origin: string;
const requests: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (pathname === '/kev.json') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': KEV.length });
      res.end(KEV);
    } else if (pathname === '/mirror/Go/all.json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(OSV);
    } else if (pathname === '/to-private') {
      res.writeHead(302, { location: 'http://10.0.0.1/kev.json' });
      res.end();
    } else if (pathname === '/to-metadata') {
      res.writeHead(301, { location: 'http://169.254.169.254/latest/meta-data/' });
      res.end();
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await db?.destroy();
});

/** The configuration an admin writes to let Vigil reach a mirror on the local network over http. */
function mirrorConfig(mirrors: string, allowLocal = true) {
  return loadConfig({
    VIGIL_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'vigil-sync-')),
    FEED_MIRRORS: mirrors,
    ...(allowLocal ? { OUTBOUND_ALLOW_HTTP: 'true', OUTBOUND_ALLOW_PRIVATE_HOSTS: origin.replace('http://', '') } : {}),
  });
}

describe('feed sync from mirrors', () => {
  it('imports a mirror, then finds it unchanged and only confirms the feed current', async () => {
    const config = mirrorConfig(`kev=${origin}/kev.json`);
    const [first] = await syncFeeds(db.database, config);
    expect(first?.report).toMatchObject({ feed: 'kev', status: 'imported', added: 1404, source: `${origin}/kev.json` });
    const checked = (await findFeed(db.database, 'kev'))?.checkedAt as Date;

    const before = await intelDigest(db.database);
    const [second] = await syncFeeds(db.database, config);
    expect(second?.report?.status).toBe('unchanged');
    expect(await intelDigest(db.database)).toEqual(before);
    const confirmed = await findFeed(db.database, 'kev');
    expect(confirmed?.checkedAt.getTime()).toBeGreaterThanOrEqual(checked.getTime());
  });

  it('refuses a mirror that redirects to a private or metadata address, and changes nothing', async () => {
    const config = mirrorConfig(`kev=${origin}/to-private,nvd=${origin}/to-metadata`);
    const before = await intelDigest(db.database);
    const results = await syncFeeds(db.database, config);
    expect(results.map((r) => r.feed)).toEqual(['kev', 'nvd']);
    expect(results[0]?.error).toContain('10.0.0.1');
    expect(results[0]?.error).toMatch(/private/);
    expect(results[1]?.error).toContain('169.254.169.254');
    expect(await intelDigest(db.database)).toEqual(before);
  });

  it('refuses plain http and local addresses unless the configuration allows them', async () => {
    const config = mirrorConfig(`kev=${origin}/kev.json`, false);
    const count = requests.length;
    const [result] = await syncFeeds(db.database, config);
    expect(result?.error).toMatch(/http/i);
    expect(requests.length).toBe(count);
  });

  it('imports a URL given on the command line into the feed its content implies', async () => {
    const config = mirrorConfig('');
    const report = await importFromUrl(db.database, config, `${origin}/kev.json?token=s3cret`);
    expect(report.feed).toBe('kev');
    expect(report.source).not.toContain('s3cret');
  });

  it('names an advisory feed fetched from a URL after the URL, so the same URL updates the same feed', async () => {
    const config = mirrorConfig('');
    const first = await importFromUrl(db.database, config, `${origin}/mirror/Go/all.json`);
    expect(first).toMatchObject({ feed: 'osv:Go', status: 'imported', added: 1 });
    const again = await importFromUrl(db.database, config, `${origin}/mirror/Go/all.json`);
    expect(again).toMatchObject({ feed: 'osv:Go', status: 'unchanged' });
  });

  it('runs as the scheduled job, logging each mirror', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const config = mirrorConfig(`kev=${origin}/kev.json,epss=${origin}/missing.csv`);
    const job = feedSyncJob({ config, database: db.database, logger });
    expect(job.schedule).toBe('17 */6 * * *');
    await job.handler({}, { jobId: 'j', name: job.name, attempt: 1, maxAttempts: 3, signal: new AbortController().signal });
    expect(lines.find((l) => l.msg === 'feed synced')).toMatchObject({ feed: 'kev' });
    expect(lines.find((l) => l.msg === 'feed sync failed')).toMatchObject({ feed: 'epss' });
  });
});
