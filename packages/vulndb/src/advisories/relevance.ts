/**
 * A scan needs only the advisories of the ecosystems it found installed. Parsing is most of the
 * cost of loading (YAML especially), so a document that cannot concern any of those ecosystems is
 * passed over unparsed. The test is conservative: a document is parsed unless it is certainly
 * about other ecosystems only.
 * - Any escape that could spell letters differently (`\u`, `\x`, `\U`) anywhere: parsed.
 * - Every occurrence of the word `ecosystem` must be an `ecosystem:` entry whose value is written
 *   out plainly (no alias, tag, block scalar, comment, escape or line break before it); one that
 *   is not (`"ecosystem"` then a newline, a YAML explicit key, prose): parsed.
 * - A value whose first word is a wanted ecosystem's: parsed.
 * - The shape of a distribution or WordPress feed (Alpine secdb `distroversion`, Debian tracker
 *   `releases` with `urgency`, WordPress `advisoryId` or `affected_versions`), when that feed's
 *   ecosystem is wanted: parsed, whatever its prose says.
 * - Skipped: OSV documents whose every entry names another ecosystem, and feeds of an unwanted
 *   kind. A document of no recognisable kind is parsed (and reported if it is not advisories).
 */
// The OSV key is `ecosystem`, lower case (keys are case-sensitive); `ECOSYSTEM` is a range type.
const ECOSYSTEM_VALUE = /ecosystem["']?[ \t]*:[ \t]*["']?([^\s"',}\]:]*)/g;
const ECOSYSTEM_WORD = /ecosystem(?![A-Za-z0-9_])/g;
const LETTER_ESCAPE = /\\[uxU]/;
const FEED_SHAPES: readonly { word: string; test: (text: string) => boolean }[] = [
  { word: 'alpine', test: (text) => /distroversion/.test(text) },
  { word: 'debian', test: (text) => /"releases"/.test(text) && /"urgency"/.test(text) },
  { word: 'wordpress', test: (text) => /"advisoryId"|"affected_versions"/.test(text) },
];

export type DocumentFilter = (text: string) => boolean;

/** The filter for a scan of `ecosystems` (names as OSV writes them, releases allowed: `Ubuntu:18.04:LTS`). */
export function documentFilterFor(ecosystems: Iterable<string>): DocumentFilter {
  const words = new Set<string>();
  for (const ecosystem of ecosystems) {
    const first = ecosystem.split(':')[0]?.trim().split(/\s+/)[0];
    if (first) words.add(first.toLowerCase());
  }
  return (text) => {
    if (LETTER_ESCAPE.test(text)) return true;
    let entries = 0;
    for (const match of text.matchAll(ECOSYSTEM_VALUE)) {
      entries++;
      const value = (match[1] ?? '').toLowerCase();
      if (value === '' || /^[*&!|>#]/.test(value) || value.includes('\\') || words.has(value)) return true;
    }
    let occurrences = 0;
    for (const _ of text.matchAll(ECOSYSTEM_WORD)) occurrences++;
    if (occurrences > entries) return true;
    let feedShape = false;
    for (const shape of FEED_SHAPES) {
      if (!shape.test(text)) continue;
      if (words.has(shape.word)) return true;
      feedShape = true;
    }
    return entries === 0 && !feedShape;
  };
}
