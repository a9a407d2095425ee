/**
 * One import in a process of its own, so its peak memory is its own: prints one JSON line with the
 * records read, the seconds the import took (and a second, warm run's), and the process's peak RSS.
 * Usage: tsx import-one.ts pglite DATA_DIR FILE | tsx import-one.ts postgres URL FILE
 */
import { openDatabase } from '../../src/db/database.ts';
import { importFeed } from '../../src/modules/intel/feed-import.service.ts';
import { identifySource } from '../../src/modules/intel/feed-source.ts';
import { peakRssMb } from './peak-memory.ts';

const [kind, where, file] = process.argv.slice(2);
if (!kind || !where || !file) throw new Error('usage: import-one.ts pglite|postgres DATA_DIR|URL FILE');
const database =
  kind === 'postgres'
    ? await openDatabase({
        kind: 'postgres',
        url: where,
        migrationUrl: where,
        poolMax: 2,
        dataDir: '/nonexistent',
        allowPrivilegedLogin: true,
      })
    : await openDatabase({ kind: 'pglite', dataDir: where });
try {
  const started = performance.now();
  // `-`: the baseline, the database opened and nothing imported.
  const report = file === '-' ? { records: 0 } : await importFeed(database, await identifySource(file));
  const seconds = (performance.now() - started) / 1000;
  const peakMb = peakRssMb();
  // The same source again into a second feed of the same kind, in the same process: the rate of
  // a running server's sync, whose code is compiled and warm (advisory feeds only: KEV, EPSS and
  // NVD have one feed each).
  let warmSeconds: number | null = null;
  if (file !== '-') {
    const source = await identifySource(file);
    if (source.kind === 'osv') {
      const again = performance.now();
      await importFeed(database, { ...source, name: `${source.name}.again` });
      warmSeconds = (performance.now() - again) / 1000;
    }
  }
  process.stdout.write(`${JSON.stringify({ records: report.records, seconds, warmSeconds, peakMb })}\n`);
} finally {
  await database.close();
}
