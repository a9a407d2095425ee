import type { Config } from '../../config/config.ts';
import type { Database } from '../../db/database.ts';
import { AppError } from '../../lib/app-error.ts';
import { redactUrl } from '../../lib/outbound/index.ts';
import { type ImportReport, importFeed } from '../../modules/intel/feed-import.service.ts';
import { identifySource } from '../../modules/intel/feed-source.ts';
import { feedStatus } from '../../modules/intel/feed-status.service.ts';
import { importFromUrl, syncFeeds } from '../../modules/intel/feed-sync.service.ts';
import { CliExit, EXIT } from '../exit-codes.ts';
import { createProgress } from '../progress.ts';
import { createLogger, openConfiguredDatabase, readConfig } from '../runtime.ts';

interface ImportFlags {
  feed?: string;
  partial?: boolean;
  allowOlder?: boolean;
  json?: boolean;
}

const isUrl = (text: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(text);

async function withDatabase<T>(fn: (database: Database, config: Config) => Promise<T>): Promise<T> {
  const config = readConfig();
  const logger = createLogger(config);
  const database = await openConfiguredDatabase(config, logger);
  try {
    return await fn(database, config);
  } finally {
    await database.close();
  }
}

function progressFor(label: string) {
  const progress = createProgress(label, { tty: process.stderr.isTTY === true, write: (text) => process.stderr.write(text) });
  return { progress, observer: { progress: (records: number, expected: number | null) => progress.update(records, expected) } };
}

export function summary(report: ImportReport): string {
  if (report.status === 'unchanged') {
    return `${report.feed}: unchanged (already imported from this exact file, ${report.sha256.slice(0, 12)}); nothing written`;
  }
  const problems = report.problems > 0 ? `, ${report.problems} problem(s)` : '';
  return `${report.feed}: ${report.records} records read: ${report.added} added, ${report.modified} modified, ${report.withdrawn} withdrawn${problems}; ${report.recordCount} in the feed`;
}

/** Feed content on a terminal: control characters (escape sequences) shown, never obeyed. */
const printable = (text: string): string =>
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is replaced
  text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

function printProblems(report: ImportReport): void {
  for (const p of report.problemSamples.slice(0, 20)) {
    const where = `${p.file}${p.row === null ? '' : `:${p.row}`}${p.record ? ` ${p.record}` : ''}`;
    process.stderr.write(`  problem: ${printable(`${where}: ${p.reason}`)}\n`);
  }
  if (report.problems > 20) process.stderr.write(`  … ${report.problems - 20} more problem(s)\n`);
}

const jsonReport = (report: ImportReport) => ({ ...report, changes: undefined });

/**
 * `vigil feeds import FILE|DIR|URL...`: each source in its own transaction; one that fails leaves
 * its feed as it was and the others still import. Exit 1 when any failed.
 */
export async function feedsImportCommand(sources: string[], flags: ImportFlags): Promise<void> {
  if (flags.feed !== undefined && sources.length > 1) {
    throw new CliExit(EXIT.USAGE, '--feed names one feed: give it one source at a time');
  }
  await withDatabase(async (database, config) => {
    let failed = 0;
    const reports: ImportReport[] = [];
    for (const source of sources) {
      const { progress, observer } = progressFor(isUrl(source) ? redactUrl(source) : source);
      const options = { ...(flags.partial ? { partial: true } : {}), ...(flags.allowOlder ? { allowOlder: true } : {}) };
      try {
        const report = isUrl(source)
          ? await importFromUrl(database, config, source, { ...options, ...(flags.feed ? { feed: flags.feed } : {}) }, observer)
          : await importFeed(database, await identifySource(source, flags.feed ? { name: flags.feed } : {}), options, observer);
        progress.end();
        reports.push(report);
        if (!flags.json) {
          process.stdout.write(`${printable(summary(report))}\n`);
          printProblems(report);
        }
      } catch (error) {
        progress.end();
        if (!(error instanceof AppError)) throw error;
        failed++;
        process.stderr.write(`vigil: ${printable(error.message)}\n`);
      }
    }
    if (flags.json) process.stdout.write(`${JSON.stringify(reports.map(jsonReport), null, 2)}\n`);
    if (failed > 0) throw new CliExit(EXIT.FAILURE, `${failed} of ${sources.length} source(s) not imported; their feeds are unchanged`);
  });
}

export async function feedsStatusCommand(flags: { json?: boolean }): Promise<void> {
  await withDatabase(async (database, config) => {
    const feeds = await feedStatus(database, config.feeds.maxAgeHours);
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ maxAgeHours: config.feeds.maxAgeHours, feeds }, null, 2)}\n`);
    } else if (feeds.length === 0) {
      process.stdout.write(
        'no feed imported yet: run `vigil feeds import FILE|DIR|URL` or configure FEED_MIRRORS and run `vigil feeds sync`\n',
      );
    } else {
      const rows = feeds.map((f) => [
        f.name,
        f.kind,
        String(f.recordCount),
        f.importedAt.toISOString().slice(0, 16).replace('T', ' '),
        age(f.ageHours),
        f.edition ?? '',
        f.source,
      ]);
      const header = ['FEED', 'KIND', 'RECORDS', 'LAST IMPORT (UTC)', 'AGE', 'EDITION', 'SOURCE'];
      const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
      for (const row of [header, ...rows]) {
        process.stdout.write(
          `${printable(row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '))}\n`,
        );
      }
    }
    for (const f of feeds.filter((feed) => feed.stale)) {
      process.stderr.write(
        `warning: feed ${f.name} was last confirmed ${age(f.ageHours)} ago, more than FEED_MAX_AGE_HOURS (${config.feeds.maxAgeHours} h); findings may miss what was published since\n`,
      );
    }
  });
}

export async function feedsSyncCommand(): Promise<void> {
  await withDatabase(async (database, config) => {
    if (config.feeds.mirrors.length === 0) {
      throw new CliExit(EXIT.CONFIG, 'no mirror configured: set FEED_MIRRORS to feed=URL pairs (see docs/configuration.md)');
    }
    const bars: Array<{ end(): void }> = [];
    const results = await syncFeeds(database, config, (feed) => {
      const { progress, observer } = progressFor(feed);
      bars.push(progress);
      return observer;
    });
    for (const bar of bars) bar.end();
    let failed = 0;
    for (const result of results) {
      if (result.report) process.stdout.write(`${printable(summary(result.report))}\n`);
      else {
        failed++;
        process.stderr.write(`vigil: ${result.url}: ${result.error}\n`);
      }
    }
    if (failed > 0) throw new CliExit(EXIT.FAILURE, `${failed} of ${results.length} mirror(s) failed; their feeds are unchanged`);
  });
}

function age(hours: number): string {
  if (hours < 1) return `${Math.round(hours * 60)} min`;
  if (hours < 48) return `${Math.round(hours)} h`;
  return `${Math.round(hours / 24)} d`;
}
