import { pep503, requireText, show, Warnings } from './lockfile-common.ts';
import { type InstalledPackage, InventoryParseError, type ParsedInventory } from './model.ts';

/**
 * pip `requirements.txt`: only exactly pinned requirements become packages —
 * `name==version` or `name===version`, optionally with extras (`name[a,b]==1.0`), an environment
 * marker after `;`, and per-requirement options such as `--hash=sha256:…`. Lines ending in `\`
 * continue on the next line; `#` comments (at line start or after whitespace) are dropped.
 *
 * Everything else is a warning, never a package: unpinned or ranged requirements (`name>=1`,
 * `name==1.*`, `name==1,<2`), option lines (`-r`, `-c`, `-e`, `--index-url`, …), URLs and
 * `name @ url` direct references. Markers are not evaluated (the package is listed whatever the
 * marker says). Names are PEP 503 normalised; the version is as written. Location is `line N`
 * (the first physical line of the requirement). An empty file is a valid, empty requirements
 * file; binary input is an InventoryParseError.
 */
export function parseRequirementsTxt(text: string, file: string): ParsedInventory {
  const body = requireText(text, file);
  const warnings = new Warnings();
  const packages: InstalledPackage[] = [];
  const lines = body.split(/\r\n|\n|\r/);
  let logical = '';
  let startLine = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    if (logical === '') startLine = i + 1;
    if (raw.endsWith('\\') && !isComment(raw)) {
      logical += `${raw.slice(0, -1)} `;
      if (i < lines.length - 1) continue;
    } else {
      logical += raw;
    }
    const line = stripComment(logical).trim();
    logical = '';
    if (line === '') continue;
    const result = readRequirement(line);
    if (typeof result === 'string') warnings.add(`line ${startLine}: ${result}: ${show(line)}`);
    else packages.push({ ecosystem: 'PyPI', name: result.name, version: result.version, location: `line ${startLine}` });
  }
  if (packages.length === 0 && warnings.list.length > 0 && looksBinaryish(body)) {
    throw new InventoryParseError(file, 'not a requirements file');
  }
  return { type: 'requirements.txt', packages, warnings: warnings.done() };
}

function isComment(raw: string): boolean {
  return /^\s*#/.test(raw);
}

/** pip drops `#` to the end of the line when it starts the line or follows whitespace. */
function stripComment(line: string): string {
  const match = /(^|\s)#/.exec(line);
  return match ? line.slice(0, match.index) : line;
}

/** Over a specifier whose whitespace runs are single spaces, so the optional spaces cannot backtrack far. */
const PINNED = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?) ?(?:\[[A-Za-z0-9._, -]*\])? ?(===|==) ?([^\s,;*=<>!~]+)$/;

function readRequirement(line: string): { name: string; version: string } | string {
  if (line.startsWith('-')) return 'option line, not a pinned requirement';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(line) || line.startsWith('.') || line.startsWith('/')) return 'URL or path, not a pinned requirement';
  // The marker follows `;`; per-requirement options (`--hash`, `--config-settings` …) are the
  // whitespace-separated tokens from the first one starting with `-`; the rest is joined with
  // single spaces (linear, and the regex below then cannot backtrack over long whitespace runs).
  const tokens = (line.split(';', 1)[0] ?? '').split(/\s+/).filter((token) => token !== '');
  const firstOption = tokens.findIndex((token, i) => i > 0 && token.startsWith('-'));
  const spec = (firstOption === -1 ? tokens : tokens.slice(0, firstOption)).join(' ');
  if (/^[^=<>!~@]*@/.test(spec)) return 'direct reference, not a pinned requirement';
  const match = PINNED.exec(spec);
  if (!match) return 'not a pinned name==version requirement';
  const [, name = '', , version = ''] = match;
  return { name: pep503(name), version };
}

/** A file with no requirement at all whose lines are mostly not printable ASCII is not a requirements file. */
function looksBinaryish(body: string): boolean {
  let odd = 0;
  for (const ch of body.slice(0, 4096)) if (ch.charCodeAt(0) > 0x7e) odd++;
  return odd > Math.min(body.length, 4096) / 4;
}
