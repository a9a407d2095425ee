import { posix } from 'node:path';
import { dirInRoot } from '@vigil/vulndb';
import { type CollectContext, listDir, numberedLines, oneLine, readRootText } from './context.ts';

/** Where a setting came from: the machine's path and line, `/etc/ssh/sshd_config.d/50-cloud.conf:3`. */
export interface SshdSetting {
  value: string;
  evidence: string;
  /** The Match condition it sits under ('User backup', 'all'), or null outside any Match block. */
  match: string | null;
}

export interface SshdConfig {
  /** keyword (lowercase) → the first value set outside Match blocks (sshd's "first obtained value"). */
  global: Map<string, SshdSetting>;
  /** keyword → every value set inside Match blocks, in order. */
  matched: Map<string, SshdSetting[]>;
  files: string[];
  notes: string[];
}

/** OpenSSH's own limit on nested Includes (SERVCONF_MAX_DEPTH). */
export const MAX_INCLUDE_DEPTH = 16;
export const MAX_CONFIG_FILES = 128;
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** sshd's tokenizer: words separated by whitespace, the keyword optionally followed by `=`, "double quotes" group. */
export function tokenize(line: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|([^\s"]+)/g;
  for (let m = re.exec(line); m !== null; m = re.exec(line)) words.push(m[1] ?? m[2] ?? '');
  if (words.length > 0) {
    // `Keyword=value` and `Keyword = value`: the first `=` separates the keyword from its value.
    const first = words[0] as string;
    const eq = first.indexOf('=');
    if (eq > 0) words.splice(0, 1, first.slice(0, eq), ...(first.slice(eq + 1) ? [first.slice(eq + 1)] : []));
    else if (words[1]?.startsWith('=')) words.splice(1, 1, ...(words[1].length > 1 ? [words[1].slice(1)] : []));
  }
  // Newer sshd ends the line at an unquoted word starting with '#'.
  const comment = words.findIndex((w, i) => i > 0 && w.startsWith('#'));
  return comment > 0 ? words.slice(0, comment) : words;
}

/** A glob (`*`, `?`, `[...]`) component as a regular expression. */
function globRegex(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) source += '\\[';
      else {
        const body = pattern
          .slice(i + 1, close)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        source += `[${body}]`;
        i = close;
      }
    } else source += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** The machine paths an Include pattern names, sorted as glob(3) sorts them. */
async function expand(ctx: CollectContext, pattern: string): Promise<string[]> {
  let paths = ['/'];
  for (const component of pattern.split('/').filter((c) => c !== '')) {
    const next: string[] = [];
    for (const base of paths) {
      if (!/[*?[]/.test(component)) {
        next.push(posix.join(base, component));
        continue;
      }
      const host = await dirInRoot(ctx.root, base);
      if (host === null) continue;
      const re = globRegex(component);
      const names = await listDir(host, 10_000).then(
        (list) => list.entries.map((e) => e.name),
        () => [] as string[],
      );
      for (const name of names) {
        if (name.startsWith('.') && !component.startsWith('.')) continue;
        if (re.test(name)) next.push(posix.join(base, name));
      }
    }
    paths = next.slice(0, MAX_CONFIG_FILES);
  }
  return paths;
}

/**
 * Reads sshd_config as sshd does: keywords case-insensitive, the first value obtained wins,
 * `Include` (globs, relative paths taken from /etc/ssh, nesting bounded) read in place, and
 * `Match` blocks kept apart: they apply to some connections only, so they never set the global
 * value. A Match opened inside an included file ends with that file, as in sshd. Returns null
 * when there is no sshd_config.
 */
export async function readSshdConfig(ctx: CollectContext, main = '/etc/ssh/sshd_config'): Promise<SshdConfig | null> {
  const config: SshdConfig = { global: new Map(), matched: new Map(), files: [], notes: [] };

  async function readFile(path: string, match: string | null, depth: number): Promise<boolean> {
    if (config.files.length >= MAX_CONFIG_FILES) {
      config.notes.push(`more than ${MAX_CONFIG_FILES} files included; ${path} not read`);
      return true;
    }
    const text = await readRootText(ctx, path, MAX_CONFIG_BYTES, (message) => config.notes.push(message));
    if (text === null) return false;
    config.files.push(path);
    let current = match;
    for (const { line, number } of numberedLines(text)) {
      const words = tokenize(line.trim());
      const keyword = words[0]?.toLowerCase();
      if (!keyword || keyword.startsWith('#')) continue;
      const evidence = oneLine(`${path}:${number}`, 1024);
      if (keyword === 'match') {
        const condition = words.slice(1).join(' ');
        // `Match all` is kept as 'all': it applies to every connection and overrides the global value.
        current = condition.toLowerCase() === 'all' ? 'all' : oneLine(condition || '(none)', 200);
        continue;
      }
      if (keyword === 'include') {
        if (depth + 1 > MAX_INCLUDE_DEPTH) {
          config.notes.push(`${evidence}: Include nested deeper than ${MAX_INCLUDE_DEPTH}; not followed`);
          continue;
        }
        for (const pattern of words.slice(1)) {
          const absolute = pattern.startsWith('/') ? pattern : `/etc/ssh/${pattern}`;
          for (const included of await expand(ctx, absolute)) await readFile(included, current, depth + 1);
        }
        continue;
      }
      const value = words[1];
      if (value === undefined) continue;
      const setting = { value, evidence, match: current };
      if (current === null) {
        if (!config.global.has(keyword)) config.global.set(keyword, setting);
      } else {
        const list = config.matched.get(keyword) ?? [];
        list.push(setting);
        config.matched.set(keyword, list);
      }
    }
    return true;
  }

  return (await readFile(main, null, 0)) ? config : null;
}
