import { FeedError, type KevEntry, readKev } from '@vigil/vulndb';
import { contentHash, unstorableJson } from '../../lib/canonical-json.ts';
import { type ChangeKind, recordChanges } from './feed-store.repo.ts';
import type { ImportContext, KindResult } from './import-context.ts';
import { parseReleaseDate } from './import-context.ts';
import { fail } from './intel.errors.ts';

const BATCH = 1000;

/**
 * Imports a CISA KEV catalog, which is always the whole list. The catalog's release (its
 * `dateReleased`; for the CSV form, which has none, its newest `dateAdded`) must not be older than
 * the one stored: an older copy from a stale mirror would silently drop newly listed CVEs, so it is
 * refused unless `allowOlder` is set. A catalog with an entry that cannot be read is refused too,
 * naming the line or entry: the catalog is small, published whole, and a gap in it is a corrupt copy.
 */
export async function importKev(ctx: ImportContext): Promise<KindResult> {
  const { session, source } = ctx;
  let catalog: Awaited<ReturnType<typeof readKev>>;
  const problems: string[] = [];
  try {
    catalog = await readKev(
      source.path,
      (p) => {
        ctx.problem({ file: p.file, record: p.record, row: p.row, reason: p.reason });
        problems.push(`${p.file}${p.row === null ? '' : `:${p.row}`}: ${p.record ? `${p.record}: ` : ''}${p.reason}`);
      },
      ctx.options.limits,
    );
  } catch (error) {
    if (error instanceof FeedError) throw fail('FEED_SOURCE_INVALID', error.message);
    throw error;
  }
  if (catalog.skipped > 0 || (catalog.count !== null && catalog.count !== catalog.entries.length)) {
    throw fail(
      'FEED_SOURCE_INVALID',
      catalog.skipped > 0
        ? `${source.display}: ${catalog.skipped} KEV entries cannot be read, so the catalog is incomplete and was not imported: ${problems.slice(0, 3).join('; ')}`
        : `${source.display}: the catalog says it holds ${catalog.count} entries but lists ${catalog.entries.length}, so it is incomplete and was not imported`,
    );
  }
  if (catalog.entries.length === 0)
    throw fail('FEED_EMPTY', `${source.display}: the KEV catalog lists no vulnerability; the feed is left as it was`);
  ctx.progress(catalog.entries.length);

  const newestAdded =
    catalog.entries
      .map((e) => e.dateAdded)
      .sort()
      .at(-1) ?? '';
  const releasedAt = parseReleaseDate(catalog.dateReleased) ?? parseReleaseDate(newestAdded);
  const edition = catalog.catalogVersion ?? (newestAdded ? `dateAdded ${newestAdded}` : null);
  if (!ctx.options.allowOlder) await refuseOlder(ctx, { newestAdded, releasedAt, dated: catalog.dateReleased !== null, edition });

  const { rows } = await session.query<{ cve_id: string; record_sha256: string }>('SELECT cve_id, record_sha256 FROM vigil.kev_entries');
  const before = new Map(rows.map((row) => [row.cve_id, row.record_sha256]));
  const changes = new Map<string, ChangeKind>();
  const write: Array<{ entry: KevEntry; hash: string }> = [];
  for (const entry of catalog.entries) {
    const unstorable = unstorableJson(JSON.stringify(entry));
    if (unstorable) throw fail('FEED_SOURCE_INVALID', `${source.display}: ${entry.cveID}: ${unstorable}; the catalog was not imported`);
    const hash = contentHash(entry);
    const old = before.get(entry.cveID);
    before.delete(entry.cveID);
    if (old === hash) continue;
    changes.set(entry.cveID, old === undefined ? 'added' : 'modified');
    write.push({ entry, hash });
  }
  const gone = [...before.keys()];
  for (const cve of gone) changes.set(cve, 'withdrawn');

  for (let i = 0; i < write.length; i += BATCH) await writeEntries(ctx, write.slice(i, i + BATCH));
  if (gone.length > 0) await session.query('DELETE FROM vigil.kev_entries WHERE cve_id = ANY($1::text[])', [gone]);
  await recordChanges(session, ctx.importId, [...changes.keys()], [...changes.values()]);

  const counts = { records: catalog.entries.length, added: 0, modified: 0, withdrawn: 0 };
  for (const change of changes.values()) counts[change]++;
  return { counts, recordCount: catalog.entries.length, edition, releasedAt, changes };
}

/**
 * A catalog is older than the stored one when it lacks a later addition (its newest `dateAdded`
 * is before the stored newest), or when both are JSON catalogs and its `dateReleased` is on an
 * earlier day. The CSV form carries no release date, so a CSV is judged by its additions only:
 * CISA re-releases the JSON for note and ransomware changes without adding CVEs.
 */
async function refuseOlder(
  ctx: ImportContext,
  catalog: { newestAdded: string; releasedAt: Date | null; dated: boolean; edition: string | null },
): Promise<void> {
  const { rows } = await ctx.session.query<{ newest: string | null }>(
    `SELECT to_char(max(date_added), 'YYYY-MM-DD') AS newest FROM vigil.kev_entries`,
  );
  const storedNewest = rows[0]?.newest ?? null;
  const stored = ctx.previous;
  const day = (date: Date): string => date.toISOString().slice(0, 10);
  const storedDated = stored?.edition !== null && stored?.edition !== undefined && !stored.edition.startsWith('dateAdded ');
  const lacksAdditions = storedNewest !== null && catalog.newestAdded !== '' && catalog.newestAdded < storedNewest;
  const releasedEarlier =
    catalog.dated && storedDated && stored?.releasedAt && catalog.releasedAt && day(catalog.releasedAt) < day(stored.releasedAt);
  if (!lacksAdditions && !releasedEarlier) return;
  const what = lacksAdditions
    ? `its newest entry was added ${catalog.newestAdded}, the stored catalog's ${storedNewest}`
    : `it was released ${catalog.releasedAt?.toISOString()}, the stored one ${stored?.releasedAt?.toISOString()}`;
  throw fail(
    'FEED_OLDER_EDITION',
    `${ctx.source.display}: this KEV catalog (${catalog.edition ?? 'undated'}) is older than the one imported (${stored?.edition ?? ''}): ${what}; nothing was changed (pass --allow-older to import it anyway)`,
  );
}

async function writeEntries(ctx: ImportContext, rows: Array<{ entry: KevEntry; hash: string }>): Promise<void> {
  const column = <T>(pick: (entry: KevEntry) => T) => rows.map((row) => pick(row.entry));
  await ctx.session.query(
    `INSERT INTO vigil.kev_entries (cve_id, vendor_project, product, vulnerability_name, date_added, due_date, known_ransomware,
       short_description, required_action, notes, cwes, record_sha256, import_id)
     SELECT t.cve, t.vendor, t.product, t.name, t.added::date, t.due::date, t.ransomware, t.description, t.action, t.notes,
       ARRAY(SELECT jsonb_array_elements_text(t.cwes::jsonb)), t.hash, $1
     FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
       $11::text[], $12::text[], $13::text[])
       AS t(cve, vendor, product, name, added, due, ransomware, description, action, notes, cwes, hash)
     ON CONFLICT (cve_id) DO UPDATE SET vendor_project = EXCLUDED.vendor_project, product = EXCLUDED.product,
       vulnerability_name = EXCLUDED.vulnerability_name, date_added = EXCLUDED.date_added, due_date = EXCLUDED.due_date,
       known_ransomware = EXCLUDED.known_ransomware, short_description = EXCLUDED.short_description,
       required_action = EXCLUDED.required_action, notes = EXCLUDED.notes, cwes = EXCLUDED.cwes,
       record_sha256 = EXCLUDED.record_sha256, import_id = EXCLUDED.import_id`,
    [
      ctx.importId,
      column((e) => e.cveID),
      column((e) => e.vendorProject),
      column((e) => e.product),
      column((e) => e.vulnerabilityName),
      column((e) => e.dateAdded),
      column((e) => e.dueDate),
      column((e) => e.knownRansomwareCampaignUse),
      column((e) => e.shortDescription),
      column((e) => e.requiredAction),
      column((e) => e.notes),
      column((e) => JSON.stringify(e.cwes)),
      rows.map((row) => row.hash),
    ],
  );
}
