import { requireText, show, Warnings } from './lockfile-common.ts';
import { type InstalledPackage, InventoryParseError, type ParsedInventory } from './model.ts';
import { forEachLine } from './text.ts';

/**
 * Go `go.mod`: the modules of `require` lines and blocks (`// indirect` ones too; go.mod records
 * no dev dependencies), with `replace` directives applied, plus the Go toolchain as the `stdlib`
 * package. Ecosystem 'Go'; module versions are kept as written (with their `v`); location
 * `line N` of the require.
 *
 * - `replace old [v] => new vX` reports `new@vX` in place of `old` (of any version, or only of the
 *   given one); `replace old [v] => ./dir` (a local path) drops the module with a warning.
 * - `exclude` and `retract` are ignored; `module`, `godebug` and unknown verbs too.
 * - `stdlib` comes from `toolchain go1.22.1` when present, else `go 1.21.3`; release candidates
 *   and betas (`1.21rc2`) become SemVer pre-releases (`1.21.0-rc.2`). No `v` is added.
 *
 * Line-oriented and linear: lines are split with indexOf and fields on whitespace; no regex runs
 * over the whole text. A file with neither a `module` nor a `go` directive nor any require is
 * an InventoryParseError.
 */

interface Requirement {
  path: string;
  version: string;
  line: number;
}

interface Replacement {
  /** Only this version of the old module is replaced, or every version when undefined. */
  oldVersion: string | undefined;
  path: string;
  /** Undefined for a local directory replacement. */
  version: string | undefined;
  line: number;
}

const VERBS = new Set(['module', 'go', 'toolchain', 'require', 'replace', 'exclude', 'retract', 'godebug', 'tool', 'ignore']);
const MODULE_PATH = /^[A-Za-z0-9][A-Za-z0-9._~+/-]*$/;
const VERSION = /^v[0-9][0-9A-Za-z.+-]*$/;

export function parseGoMod(text: string, file: string): ParsedInventory {
  const body = requireText(text, file);
  if (body.trim() === '') throw new InventoryParseError(file, 'empty file, expected a go.mod');
  const warnings = new Warnings();
  const requires: Requirement[] = [];
  const replaces = new Map<string, Replacement[]>();
  let goVersion: string | undefined;
  let toolchain: string | undefined;
  let sawDirective = false;
  let block: string | undefined;

  const onDirective = (verb: string, args: string[], lineNumber: number): void => {
    const where = `line ${lineNumber}`;
    if (verb === 'go') {
      if (args.length === 1 && args[0] !== undefined) goVersion = args[0];
      else warnings.add(`${where}: malformed go directive, ignored`);
    } else if (verb === 'toolchain') {
      const name = args[0];
      if (args.length === 1 && name !== undefined && name.startsWith('go')) toolchain = name.slice(2);
      else if (name !== 'default') warnings.add(`${where}: malformed toolchain directive, ignored`);
    } else if (verb === 'require') {
      const [path, version] = args;
      if (args.length !== 2 || path === undefined || version === undefined || !MODULE_PATH.test(path) || !VERSION.test(version)) {
        warnings.add(`${where}: malformed require ${show(args.join(' '))}, skipped`);
        return;
      }
      requires.push({ path, version, line: lineNumber });
    } else if (verb === 'replace') {
      const arrow = args.indexOf('=>');
      const left = arrow < 0 ? [] : args.slice(0, arrow);
      const right = arrow < 0 ? [] : args.slice(arrow + 1);
      const [oldPath, oldVersion] = left;
      const [newPath, newVersion] = right;
      if (oldPath === undefined || newPath === undefined || left.length > 2 || right.length > 2 || !MODULE_PATH.test(oldPath)) {
        warnings.add(`${where}: malformed replace ${show(args.join(' '))}, ignored`);
        return;
      }
      const local = isLocalPath(newPath);
      if (local ? right.length !== 1 : newVersion === undefined || !VERSION.test(newVersion) || !MODULE_PATH.test(newPath)) {
        warnings.add(`${where}: malformed replace ${show(args.join(' '))}, ignored`);
        return;
      }
      const list = replaces.get(oldPath) ?? [];
      list.push({ oldVersion, path: newPath, version: local ? undefined : newVersion, line: lineNumber });
      replaces.set(oldPath, list);
    }
  };

  forEachLine(body, (raw, lineNumber) => {
    const comment = raw.indexOf('//');
    const tokens = tokenize(comment >= 0 ? raw.slice(0, comment) : raw);
    if (tokens === undefined) {
      warnings.add(`line ${lineNumber}: unterminated quoted string, skipped`);
      return;
    }
    if (tokens.length === 0) return;
    if (block !== undefined) {
      if (tokens.length === 1 && tokens[0] === ')') {
        block = undefined;
        return;
      }
      onDirective(block, tokens, lineNumber);
      return;
    }
    const [verb, ...args] = tokens;
    if (verb === undefined) return;
    if (!VERBS.has(verb)) {
      warnings.add(`line ${lineNumber}: unknown directive ${show(verb)}, ignored`);
      return;
    }
    sawDirective = true;
    if (args.length === 1 && args[0] === '(') {
      block = verb;
      return;
    }
    // `require ()` on one line is an empty block.
    if (args.length === 2 && args[0] === '(' && args[1] === ')') return;
    onDirective(verb, args, lineNumber);
  });
  if (block !== undefined) warnings.add(`unterminated ${block} block at end of file`);
  if (!sawDirective) throw new InventoryParseError(file, 'not a go.mod: no module, go or require directive');

  const packages: InstalledPackage[] = [];
  const seen = new Set<string>();
  for (const req of requires) {
    let path = req.path;
    let version = req.version;
    const candidates = replaces.get(path);
    if (candidates !== undefined) {
      // A version-specific replace wins over a blanket one, as in cmd/go.
      const hit = candidates.find((r) => r.oldVersion === version) ?? candidates.find((r) => r.oldVersion === undefined);
      if (hit !== undefined) {
        if (hit.version === undefined) {
          warnings.add(
            `line ${req.line} ${path} ${show(version)}: replaced by local directory ${show(hit.path)} (line ${hit.line}), skipped`,
          );
          continue;
        }
        path = hit.path;
        version = hit.version;
      }
    }
    const key = `${path} ${version}`;
    if (seen.has(key)) continue;
    seen.add(key);
    packages.push({ ecosystem: 'Go', name: path, version, location: `line ${req.line}` });
  }
  const goRelease = toolchain ?? goVersion;
  if (goRelease !== undefined) {
    const version = stdlibVersion(goRelease);
    if (version === undefined) warnings.add(`go version ${show(goRelease)} not understood, stdlib not reported`);
    else packages.push({ ecosystem: 'Go', name: 'stdlib', version, location: toolchain !== undefined ? 'toolchain' : 'go' });
  }
  return { type: 'go.mod', packages, warnings: warnings.done() };
}

function isLocalPath(path: string): boolean {
  return (
    path.startsWith('./') ||
    path.startsWith('../') ||
    path.startsWith('/') ||
    path === '.' ||
    path === '..' ||
    /^[A-Za-z]:[\\/]/.test(path) ||
    path.startsWith('.\\') ||
    path.startsWith('..\\')
  );
}

/** `1.21.3` stays; `1.21` stays; `1.21rc2` → `1.21.0-rc.2`; `1.22beta1` → `1.22.0-beta.1`. */
function stdlibVersion(release: string): string | undefined {
  const match = /^(\d{1,9})\.(\d{1,9})(?:\.(\d{1,9}))?(?:(rc|beta)(\d{1,9}))?$/.exec(release);
  if (!match) return undefined;
  const [, major, minor, patch, pre, preNumber] = match;
  if (pre !== undefined) return `${major}.${minor}.${patch ?? '0'}-${pre}.${preNumber}`;
  return patch === undefined ? `${major}.${minor}` : `${major}.${minor}.${patch}`;
}

/** Splits on spaces and tabs; "quoted" and `raw` strings are single tokens. Undefined when a quote is not closed. */
function tokenize(line: string): string[] | undefined {
  const tokens: string[] = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    const c = line[i];
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '"' || c === '`') {
      const end = line.indexOf(c, i + 1);
      if (end < 0) return undefined;
      tokens.push(line.slice(i + 1, end));
      i = end + 1;
      continue;
    }
    let j = i;
    while (j < n && line[j] !== ' ' && line[j] !== '\t' && line[j] !== '\r') j++;
    tokens.push(line.slice(i, j));
    i = j;
  }
  return tokens;
}
