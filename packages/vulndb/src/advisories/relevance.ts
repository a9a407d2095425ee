/**
 * A scan needs only the advisories of the ecosystems it found installed. Parsing is most of the
 * cost of loading (YAML especially), so a document that cannot concern any of those ecosystems is
 * passed over unparsed. The test is conservative; a document is parsed unless all of these hold:
 * - it has `ecosystem` keys; a document without them is parsed too, unless it reads as an Alpine
 *   secdb (`distroversion`) or a Debian tracker (`releases` with `urgency`) and Alpine or Debian,
 *   whose records are the only ones those feeds give, is not wanted;
 * - it uses no escape that could spell a letter differently (`\u`, `\x`, `\U`, in JSON or YAML);
 * - every `ecosystem:` value is written out plainly (not an alias, tag or block scalar) and its
 *   first word is none of the wanted ecosystems' first words, in any letter case.
 * Skipping is never a guess about a record that concerns the scan.
 */
const ECOSYSTEM_VALUE = /ecosystem["']?[ \t]*:[ \t]*["']?([^\s"',}\]:]*)/gi;
const LETTER_ESCAPE = /\\[uxU]/;
const DISTROVERSION = /distroversion/;
const TRACKER_RELEASES = /"releases"/;
const TRACKER_URGENCY = /"urgency"/;

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
    let seen = false;
    for (const match of text.matchAll(ECOSYSTEM_VALUE)) {
      seen = true;
      const value = (match[1] ?? '').toLowerCase();
      if (value === '' || /^[*&!|>]/.test(value) || words.has(value)) return true;
    }
    if (seen) return false;
    if (DISTROVERSION.test(text)) return words.has('alpine');
    if (TRACKER_RELEASES.test(text) && TRACKER_URGENCY.test(text)) return words.has('debian');
    return true;
  };
}
