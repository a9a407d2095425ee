import { type NvdCve, NvdError, readNvd } from '@vigil/vulndb';
import { contentHash, unstorableJson } from '../../lib/canonical-json.ts';
import { Batcher, type ImportContext, type KindResult } from './import-context.ts';
import { fail } from './intel.errors.ts';

const BATCH = 500;

interface NvdRow {
  cve: NvdCve;
  hash: string;
}

/**
 * Imports an NVD CVE API 2.0 document (a page of results, a single CVE, or a larger export). NVD
 * is fetched in pages, so every import adds and updates and never removes: a CVE missing from a
 * page is simply on another page. A CVE whose stored copy is identical is not written.
 */
export async function importNvd(ctx: ImportContext): Promise<KindResult> {
  const { session, source } = ctx;
  let records = 0;
  let added = 0;
  let modified = 0;
  const batch = new Batcher<NvdRow>(BATCH, async (rows) => {
    const { rows: existing } = await session.query<{ cve_id: string; record_sha256: string; last_modified: string }>(
      'SELECT cve_id, record_sha256, last_modified FROM vigil.nvd_cves WHERE cve_id = ANY($1::text[])',
      [rows.map((row) => row.cve.id)],
    );
    const before = new Map(existing.map((row) => [row.cve_id, row.record_sha256]));
    const storedModified = new Map(existing.map((row) => [row.cve_id, Date.parse(row.last_modified)]));
    // The same CVE twice in one document: the later copy wins, as it would on a second import.
    const latest = new Map(rows.map((row) => [row.cve.id, row]));
    const changed = [...latest.values()].filter((row) => {
      if (before.get(row.cve.id) === row.hash) return false;
      // An older page (or an old export) must not undo what a newer one brought.
      const stored = storedModified.get(row.cve.id);
      const incoming = Date.parse(row.cve.lastModified);
      if (stored !== undefined && !Number.isNaN(stored) && !Number.isNaN(incoming) && incoming < stored) {
        ctx.problem({
          file: source.path,
          record: row.cve.id,
          row: null,
          reason: `older than the stored copy (lastModified ${row.cve.lastModified}); the stored one is kept`,
        });
        return false;
      }
      return true;
    });
    for (const row of changed) {
      if (before.has(row.cve.id)) modified++;
      else added++;
      before.set(row.cve.id, row.hash);
    }
    if (changed.length > 0) await writeCves(ctx, changed);
  });
  try {
    await readNvd(
      source.path,
      (cve) => {
        records++;
        ctx.progress(records);
        const unstorable = unstorableJson(JSON.stringify(cve));
        if (unstorable) {
          ctx.problem({ file: source.path, record: cve.id, row: null, reason: `${unstorable}; skipped` });
          return;
        }
        batch.push({ cve, hash: contentHash(cve) });
      },
      (p) => ctx.problem({ file: p.file, record: p.record, row: null, reason: p.reason }),
      { ...ctx.options.limits, drain: () => batch.drain() },
    );
  } catch (error) {
    if (error instanceof NvdError) throw fail('FEED_SOURCE_INVALID', error.message);
    throw error;
  }
  await batch.flush();
  if (records === 0) throw fail('FEED_EMPTY', `${source.display}: the NVD document holds no CVE; the feed is left as it was`);
  const { rows } = await session.query<{ count: string }>('SELECT count(*) AS count FROM vigil.nvd_cves');
  return {
    counts: { records, added, modified, withdrawn: 0 },
    recordCount: Number(rows[0]?.count ?? 0),
    edition: null,
    releasedAt: null,
  };
}

async function writeCves(ctx: ImportContext, rows: NvdRow[]): Promise<void> {
  const column = <T>(pick: (cve: NvdCve) => T) => rows.map((row) => pick(row.cve));
  await ctx.session.query(
    `INSERT INTO vigil.nvd_cves (cve_id, published, last_modified, vuln_status, description, cvss, cwes, configurations, record_sha256, import_id)
     SELECT t.id, t.published, t.modified, t.status, t.description, t.cvss::jsonb, ARRAY(SELECT jsonb_array_elements_text(t.cwes::jsonb)),
       t.configurations::jsonb, t.hash, $1
     FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
       AS t(id, published, modified, status, description, cvss, cwes, configurations, hash)
     ON CONFLICT (cve_id) DO UPDATE SET published = EXCLUDED.published, last_modified = EXCLUDED.last_modified,
       vuln_status = EXCLUDED.vuln_status, description = EXCLUDED.description, cvss = EXCLUDED.cvss, cwes = EXCLUDED.cwes,
       configurations = EXCLUDED.configurations, record_sha256 = EXCLUDED.record_sha256, import_id = EXCLUDED.import_id`,
    [
      ctx.importId,
      column((c) => c.id),
      column((c) => c.published),
      column((c) => c.lastModified),
      column((c) => c.vulnStatus),
      column((c) => c.description),
      column((c) => JSON.stringify(c.cvss)),
      column((c) => JSON.stringify(c.cwes)),
      column((c) => (c.configurations === null || c.configurations === undefined ? null : JSON.stringify(c.configurations))),
      rows.map((row) => row.hash),
    ],
  );
}
