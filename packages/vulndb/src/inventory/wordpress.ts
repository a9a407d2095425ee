import { constants } from 'node:fs';
import { lstat, open, opendir, realpath } from 'node:fs/promises';
import { sep } from 'node:path';
import { Warnings } from './lockfile-common.ts';
import type { InstalledPackage, ParsedInventory } from './model.ts';

/**
 * A WordPress installation read from its files (not from its database): core, plugins and themes,
 * ecosystem 'WordPress', location the path read, relative to the root.
 *
 * - Core: `$wp_version = '6.4.2';` in `wp-includes/version.php` → name `wordpress`. Without that
 *   file (a regular file inside the root) the directory is not a WordPress root: null.
 * - Plugins, as WordPress's get_plugins() finds them: each directory in `wp-content/plugins/` is a
 *   plugin whose main file is the first top-level `.php` file (`<slug>.php` tried first, then the
 *   others in name order) with a `Plugin Name:` header; a `.php` file directly in
 *   `wp-content/plugins/` with that header is a single-file plugin (hello.php → slug `hello`).
 *   Name `plugin/<slug>`, version from `Version:`.
 * - Must-use plugins: top-level `.php` files of `wp-content/mu-plugins/` with a `Plugin Name:`
 *   header, reported as `plugin/<file name without .php>` (WordPress loads only that level there).
 *   Files without a header are skipped silently: most mu-plugins are loaders with none.
 * - Themes: `wp-content/themes/<slug>/style.css` with `Theme Name:` → `theme/<slug>`.
 *
 * Headers are read as get_file_data() reads them: only the first 8 KiB of the file, a header line
 * being optional `<?php`, then any of ` \t/*#@`, then `Name:` (case-insensitive) and the value up to
 * a `*\/` or `?>`; the first such line wins. Packages whose header has no Version are skipped with a
 * warning. A custom WP_CONTENT_DIR (set in wp-config.php) is not followed.
 *
 * Safety: every path opened is first resolved with realpath and must stay inside the root's real
 * path, so a symlink (a plugin directory, wp-content itself, a style.css) that leaves the root is
 * never read; it is reported as a warning. Only regular files are read (never a FIFO or device):
 * the type is checked again on the open handle, so a file swapped after the check is skipped.
 * At most MAX_DIR_ENTRIES entries are read from each directory listed and MAX_PHP_FILES `.php`
 * files per plugin directory; no more than HEADER_BYTES bytes are read from any file.
 */

/** Opens without following a last-component symlink and without waiting on a FIFO (see Root.head). */
const SAFE_OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

export const HEADER_BYTES = 8 * 1024;
export const MAX_DIR_ENTRIES = 5_000;
export const MAX_PHP_FILES = 100;
// version.php is ~1.5 KB; the assignment sits after the doc comments, so read a little more.
const VERSION_PHP_BYTES = 64 * 1024;

type Entry = { name: string; kind: 'file' | 'dir' };

class Root {
  readonly warnings = new Warnings();
  private constructor(
    readonly dir: string,
    private readonly real: string,
  ) {}

  static async open(dir: string): Promise<Root | null> {
    try {
      const real = await realpath(dir);
      return (await lstat(real)).isDirectory() ? new Root(dir, real) : null;
    } catch {
      return null;
    }
  }

  /** The real path of `rel` when it exists and stays inside the root; undefined otherwise. */
  private async resolve(rel: string): Promise<{ real: string; kind: 'file' | 'dir' | 'other' } | undefined> {
    let real: string;
    try {
      real = await realpath(`${this.real}${sep}${rel.split('/').join(sep)}`);
    } catch {
      return undefined;
    }
    if (real !== this.real && !real.startsWith(`${this.real}${sep}`)) {
      this.warnings.add(`${rel}: a symlink leading outside the root, not read`);
      return undefined;
    }
    const stat = await lstat(real).catch(() => undefined);
    if (!stat) return undefined;
    return { real, kind: stat.isFile() ? 'file' : stat.isDirectory() ? 'dir' : 'other' };
  }

  /**
   * The first `max` bytes of the regular file `rel` as UTF-8, or undefined. The type seen by
   * `resolve` is checked again on the open handle: a web-root user can swap the file for a FIFO
   * (a plain open would block the root agent forever) or a symlink (a root-only file, a path
   * outside the root) after that check. O_NOFOLLOW refuses the symlink, O_NONBLOCK opens a FIFO
   * without waiting, and fstat on the handle decides; anything but a regular file is skipped.
   */
  async head(rel: string, max: number): Promise<string | undefined> {
    const target = await this.resolve(rel);
    if (target?.kind !== 'file') return undefined;
    const handle = await open(target.real, SAFE_OPEN_FLAGS).catch(() => undefined);
    if (!handle) {
      this.warnings.add(`${rel}: could not be opened as a regular file (replaced while being read?); not read`);
      return undefined;
    }
    try {
      if (!(await handle.stat()).isFile()) {
        this.warnings.add(`${rel}: not a regular file when opened (replaced while being read); not read`);
        return undefined;
      }
      const buffer = Buffer.alloc(max);
      const { bytesRead } = await handle.read(buffer, 0, max, 0);
      return buffer.subarray(0, bytesRead).toString('utf8');
    } catch {
      return undefined;
    } finally {
      await handle.close();
    }
  }

  /**
   * Files and directories in `rel` (symlinks resolved, inside the root only), sorted by name; only
   * names `accept` keeps are resolved, so a plugin's vendor tree costs no more than its listing.
   */
  async list(rel: string, accept: (name: string) => boolean = () => true): Promise<Entry[]> {
    const target = await this.resolve(rel);
    if (target?.kind !== 'dir') return [];
    const names: string[] = [];
    try {
      const dir = await opendir(target.real);
      for await (const dirent of dir) {
        if (names.length >= MAX_DIR_ENTRIES) {
          this.warnings.add(`${rel}: more than ${MAX_DIR_ENTRIES} entries; the rest not read`);
          break;
        }
        // WordPress skips dot entries in these folders.
        if (!dirent.name.startsWith('.') && accept(dirent.name)) names.push(dirent.name);
      }
    } catch {
      return [];
    }
    names.sort();
    const out: Entry[] = [];
    for (const name of names) {
      const entry = await this.resolve(`${rel}/${name}`);
      if (entry && entry.kind !== 'other') out.push({ name, kind: entry.kind });
    }
    return out;
  }
}

/** The value of header `field` in a file's first 8 KiB, as WordPress's get_file_data() reads it. */
export function readHeader(head: string, field: string): string | undefined {
  // get_file_data() turns CR into LF before matching, so old Mac line ends split lines too.
  const text = (head.length > HEADER_BYTES ? head.slice(0, HEADER_BYTES) : head).replace(/\r/g, '\n');
  const want = `${field.toLowerCase()}:`;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    let line = text.slice(start, end);
    start = end + 1;
    line = line.replace(/^[ \t]*<\?php/, '');
    let i = 0;
    while (i < line.length && ' \t/*#@'.includes(line[i] as string)) i++;
    if (line.slice(i, i + want.length).toLowerCase() !== want) continue;
    let value = line.slice(i + want.length);
    const close = value.search(/\*\/|\?>/);
    if (close >= 0) value = value.slice(0, close);
    return value.trim();
  }
  return undefined;
}

const isPhp = (name: string): boolean => name.endsWith('.php');

const WP_VERSION = /\$wp_version\s*=\s*(['"])([^'"\r\n]{1,100})\1\s*;/;

/** Core, plugins and themes of the WordPress root `dir` (see the file comment); null if `dir` is not one. */
export async function readWordPressRoot(dir: string): Promise<ParsedInventory | null> {
  const root = await Root.open(dir);
  if (!root) return null;
  const versionPhp = await root.head('wp-includes/version.php', VERSION_PHP_BYTES);
  if (versionPhp === undefined) return null;
  const { warnings } = root;
  const packages: InstalledPackage[] = [];
  const coreVersion = WP_VERSION.exec(versionPhp)?.[2]?.trim();
  if (coreVersion) packages.push({ ecosystem: 'WordPress', name: 'wordpress', version: coreVersion, location: 'wp-includes/version.php' });
  else warnings.add('wp-includes/version.php: no $wp_version assignment; WordPress core not reported');

  const add = (kind: 'plugin' | 'theme', slug: string, location: string, head: string): void => {
    const version = readHeader(head, 'Version');
    if (!version) {
      warnings.add(`${location}: ${kind} ${JSON.stringify(slug)} has no Version header, skipped`);
      return;
    }
    packages.push({ ecosystem: 'WordPress', name: `${kind}/${slug}`, version, location });
  };

  const plugins = 'wp-content/plugins';
  for (const entry of await root.list(plugins)) {
    if (entry.kind === 'file') {
      if (!entry.name.endsWith('.php')) continue;
      const location = `${plugins}/${entry.name}`;
      const head = await root.head(location, HEADER_BYTES);
      if (head !== undefined && readHeader(head, 'Plugin Name')) add('plugin', entry.name.slice(0, -4), location, head);
      continue;
    }
    const slug = entry.name;
    const files = (await root.list(`${plugins}/${slug}`, isPhp)).filter((f) => f.kind === 'file').map((f) => f.name);
    // The main file is usually <slug>.php: try it first to read fewer files.
    const main = files.indexOf(`${slug}.php`);
    if (main > 0) files.unshift(...files.splice(main, 1));
    if (files.length > MAX_PHP_FILES) warnings.add(`${plugins}/${slug}: more than ${MAX_PHP_FILES} .php files; only the first are read`);
    let found = false;
    for (const name of files.slice(0, MAX_PHP_FILES)) {
      const location = `${plugins}/${slug}/${name}`;
      const head = await root.head(location, HEADER_BYTES);
      if (head === undefined || !readHeader(head, 'Plugin Name')) continue;
      add('plugin', slug, location, head);
      found = true;
      break;
    }
    if (!found) warnings.add(`${plugins}/${slug}: no .php file with a Plugin Name header; not a plugin`);
  }

  const mu = 'wp-content/mu-plugins';
  for (const entry of await root.list(mu, isPhp)) {
    if (entry.kind !== 'file') continue;
    const location = `${mu}/${entry.name}`;
    const head = await root.head(location, HEADER_BYTES);
    if (head !== undefined && readHeader(head, 'Plugin Name')) add('plugin', entry.name.slice(0, -4), location, head);
  }

  const themes = 'wp-content/themes';
  for (const entry of await root.list(themes)) {
    if (entry.kind !== 'dir') continue;
    const location = `${themes}/${entry.name}/style.css`;
    const head = await root.head(location, HEADER_BYTES);
    if (head === undefined) continue;
    if (!readHeader(head, 'Theme Name')) {
      warnings.add(`${location}: no Theme Name header; not a theme`);
      continue;
    }
    add('theme', entry.name, location, head);
  }
  return { type: 'wordpress', packages, warnings: warnings.done() };
}
