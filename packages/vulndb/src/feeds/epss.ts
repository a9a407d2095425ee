import { FeedError, type FeedLimits, type FeedProblem, FeedProblemGate, lines, openFeedText } from './input.ts';

/**
 * FIRST EPSS scores (Exploit Prediction Scoring System), as the daily bulk file
 * `epss_scores-YYYY-MM-DD.csv.gz` prints them, plain or gzip-compressed:
 *
 *     #model_version:v2025.03.14,score_date:2025-08-16T00:00:00+0000   (optional)
 *     cve,epss,percentile
 *     CVE-1999-0001,0.01141,0.77744
 *
 * Also accepted: the headerless `;`-separated form `CVE-ID;epss;percentile` (one row per line, as
 * the EMBA EPSS-data per-year files hold them; the tar.gz bundling those files is not read here),
 * and a `cve;epss;percentile` header. Rows are streamed to the caller one at a time: memory stays
 * flat whatever the file size. Duplicate CVEs are not detected (that would mean holding every id);
 * each row is passed on as it comes.
 */

/** One score row. The numbers are the parsed values; the texts are exactly as in the file. */
export interface EpssRow {
  cve: string;
  /** Probability of exploitation in the next 30 days, 0..1. */
  epss: number;
  /** Rank of `epss` among all scored CVEs, 0..1. */
  percentile: number;
  epssText: string;
  percentileText: string;
  /** 1-based line in the (decompressed) file. */
  line: number;
}

export interface EpssSummary {
  /** From the `#model_version:` comment line (`v2025.03.14`), or null when the file has none. */
  modelVersion: string | null;
  /** From the `score_date:` field of that line, as given (`2025-08-16T00:00:00+0000`), or null. */
  scoreDate: string | null;
  /** `,` for the bulk CSV with its header, `;` for the headerless semicolon form. */
  separator: ',' | ';';
  /** Rows passed to `onRow`. */
  rows: number;
  /** Rows skipped, each reported (up to the cap) through `onProblem`. */
  problems: number;
}

const CVE_ID = /^CVE-\d{4}-\d{4,19}$/;
// A plain decimal, optionally with an exponent (a writer may print 1e-05): no nested quantifiers.
const NUMBER = /^\d{1,20}(?:\.\d{1,40})?(?:[eE][-+]?\d{1,3})?$/;

const excerpt = (text: string, max = 60): string => JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);

/**
 * Reads the EPSS file at `path` and calls `onRow` for each valid row, in file order (when `onRow`
 * returns a promise it is awaited before the next row is read). A broken row (wrong field count,
 * bad CVE id, a score that is not a number or is outside 0..1) is reported through `onProblem`
 * with its line number and skipped; the rest is read on. Blank lines are passed over.
 *
 * Throws FeedError when the file is empty, when the header (after the optional comment lines) is
 * neither `cve,epss,percentile` nor a `;`-separated row, and on every fatal input error
 * (truncated gzip, gzip bomb, not UTF-8, a line longer than the limit: see openFeedText, lines).
 */
export async function readEpss(
  path: string,
  onRow: (row: EpssRow) => void | Promise<void>,
  onProblem: (problem: FeedProblem) => void = () => {},
  limits: Partial<FeedLimits> = {},
): Promise<EpssSummary> {
  const problems = new FeedProblemGate(path, onProblem);
  const summary: EpssSummary = { modelVersion: null, scoreDate: null, separator: ',', rows: 0, problems: 0 };
  let sep: ',' | ';' | null = null;
  try {
    for await (const { text, number } of lines(openFeedText(path, limits), path, limits.maxLineLength)) {
      if (sep === null) {
        if (text.startsWith('#')) {
          readComment(text, number, summary, problems);
          continue;
        }
        const header = text.trim().toLowerCase();
        if (header === 'cve,epss,percentile' || header === 'cve;epss;percentile') {
          sep = header.includes(';') ? ';' : ',';
          summary.separator = sep;
          continue;
        }
        if (text.startsWith('CVE-') && text.includes(';')) {
          sep = ';';
          summary.separator = sep;
        } else {
          throw new FeedError(path, `missing header: expected "cve,epss,percentile", found ${excerpt(text)}`, { row: number });
        }
      }
      if (text === '') continue;
      const row = parseRow(text, number, sep, problems);
      if (row === null) continue;
      summary.rows++;
      const pending = onRow(row);
      if (pending) await pending;
    }
    if (sep === null) throw new FeedError(path, 'no header and no rows: not an EPSS scores file');
  } finally {
    problems.finish();
    summary.problems = problems.count;
  }
  return summary;
}

/** `#model_version:v2025.03.14,score_date:2025-08-16T00:00:00+0000`; unknown keys are ignored. */
function readComment(text: string, line: number, summary: EpssSummary, problems: FeedProblemGate): void {
  for (const part of text.slice(1).split(',')) {
    const colon = part.indexOf(':');
    if (colon < 0) continue;
    const key = part.slice(0, colon).trim();
    const value = part.slice(colon + 1).trim();
    if (key === 'model_version') {
      if (value === '') problems.add(line, null, 'empty model_version in the comment line');
      else summary.modelVersion = value;
    } else if (key === 'score_date') {
      if (!/^\d{4}-\d{2}-\d{2}/.test(value)) problems.add(line, null, `score_date ${excerpt(value)} is not a date, ignored`);
      else summary.scoreDate = value;
    }
  }
}

function parseRow(text: string, line: number, sep: string, problems: FeedProblemGate): EpssRow | null {
  const first = text.indexOf(sep);
  const second = first < 0 ? -1 : text.indexOf(sep, first + 1);
  if (second < 0 || text.indexOf(sep, second + 1) >= 0) {
    const count = text.split(sep).length;
    problems.add(line, null, `expected 3 fields separated by "${sep}", found ${count}: ${excerpt(text)}`);
    return null;
  }
  const cve = text.slice(0, first);
  const epssText = text.slice(first + 1, second);
  const percentileText = text.slice(second + 1);
  if (!CVE_ID.test(cve)) {
    problems.add(line, null, `bad CVE id ${excerpt(cve)}`);
    return null;
  }
  const epss = score(epssText);
  if (epss === null) {
    problems.add(line, cve, `epss ${excerpt(epssText)} is not a number from 0 to 1`);
    return null;
  }
  const percentile = score(percentileText);
  if (percentile === null) {
    problems.add(line, cve, `percentile ${excerpt(percentileText)} is not a number from 0 to 1`);
    return null;
  }
  return { cve, epss, percentile, epssText, percentileText, line };
}

function score(text: string): number | null {
  if (!NUMBER.test(text)) return null;
  const value = Number(text);
  return Number.isFinite(value) && value >= 0 && value <= 1 ? value : null;
}
