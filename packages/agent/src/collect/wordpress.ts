import type { Dirent } from 'node:fs';
import { posix } from 'node:path';
import type { InventoryPackage, WordPressInstall } from '@vigil/protocol';
import { dirInRoot, fileInRoot, readWordPressRoot } from '@vigil/vulndb';
import { type CollectContext, type Collector, listDir, oneLine } from './context.ts';
import { PSEUDO_FS } from './lockfiles.ts';

export const WORDPRESS_LIMITS = { depth: 4, entries: 50_000, installs: 200 } as const;
/** Never an install's root, and large: WordPress's own folders, dependencies, VCS data. */
const SKIPPED_DIRS = new Set(['wp-admin', 'wp-includes', 'wp-content', 'node_modules', 'vendor', '.git', '.svn', 'cache']);
/** A plugin folder renamed with this suffix is the usual way to switch a plugin off by hand. */
const DISABLED_SUFFIX = '.disabled';

/** WordPress roots (directories holding wp-includes/version.php) under one configured web root. */
async function findInstalls(ctx: CollectContext, configured: string, notes: string[]): Promise<{ host: string; path: string }[]> {
  const start = await dirInRoot(ctx.root, configured);
  if (start === null) {
    notes.push(`${configured}: not a directory`);
    return [];
  }
  const found: { host: string; path: string }[] = [];
  const queue = [{ host: start, path: posix.normalize(`/${configured}`), depth: 0 }];
  let entries = 0;
  while (queue.length > 0) {
    const dir = queue.shift() as (typeof queue)[number];
    if (await fileInRoot(dir.host, 'wp-includes/version.php')) found.push({ host: dir.host, path: dir.path });
    let list: Dirent[];
    try {
      // Bounded per directory too: the count below stops the walk, this stops one huge listing.
      list = (await listDir(dir.host, WORDPRESS_LIMITS.entries - entries + 1)).entries;
    } catch {
      continue;
    }
    for (const entry of list) {
      if (++entries > WORDPRESS_LIMITS.entries) {
        notes.push(`${configured}: more than ${WORDPRESS_LIMITS.entries} entries, the rest not searched`);
        return found;
      }
      // Symlinked directories are not followed (isDirectory is false for a link): a link can lead out of the root.
      const pseudo = dir.path === '/' && PSEUDO_FS.has(entry.name);
      if (entry.isDirectory() && !SKIPPED_DIRS.has(entry.name) && !pseudo && dir.depth + 1 <= WORDPRESS_LIMITS.depth) {
        queue.push({ host: posix.join(dir.host, entry.name), path: posix.join(dir.path, entry.name), depth: dir.depth + 1 });
      }
    }
  }
  return found;
}

type Extension = WordPressInstall['plugins'][number];

/**
 * Whether a plugin or theme is active lives in WordPress's database (the `active_plugins` and
 * `template`/`stylesheet` options), which the agent does not read: it would need the database
 * password from wp-config.php, and an agent that reads credentials is a bigger risk than the
 * answer is worth. So `active` is null, except where the files decide it:
 * - must-use plugins (wp-content/mu-plugins) are always loaded → true;
 * - a plugin folder renamed `<slug>.disabled` → false: WordPress deactivates a plugin whose main
 *   file moved. Its files are still on disk and reachable over HTTP, so it is still reported
 *   under its real slug (its vulnerabilities in directly requested files remain).
 */
function extensionOf(p: InventoryPackage & { location: string }): { kind: 'plugin' | 'theme'; ext: Extension; name: string } | null {
  const [kind, ...rest] = p.name.split('/');
  let slug = rest.join('/');
  if ((kind !== 'plugin' && kind !== 'theme') || slug === '') return null;
  let active: boolean | null = null;
  if (kind === 'plugin' && p.location.startsWith('wp-content/mu-plugins/')) active = true;
  if (kind === 'plugin' && slug.endsWith(DISABLED_SUFFIX) && slug.length > DISABLED_SUFFIX.length) {
    slug = slug.slice(0, -DISABLED_SUFFIX.length);
    active = false;
  }
  // A control character in a folder name is shown escaped, in the list and in the package name alike.
  const shownSlug = oneLine(slug, 200);
  // The install record allows shorter versions than a package: an odd header version is shown as unknown there.
  const version = p.version.length <= 64 && oneLine(p.version) === p.version ? p.version : null;
  return { kind, ext: { slug: shownSlug, version, active }, name: `${kind}/${shownSlug}` };
}

/** WordPress installs under the configured web roots: core, plugins and themes (vulndb's reader). */
export const wordpressCollector: Collector = {
  name: 'wordpress',
  async run(ctx) {
    if (ctx.webRoots.length === 0) return { status: 'skipped', message: 'no web roots configured' };
    const notes: string[] = [];
    const installs: { host: string; path: string }[] = [];
    for (const configured of ctx.webRoots) {
      // Overlapping web roots (/var/www and /var/www/site) find the same install twice: keep one.
      for (const found of await findInstalls(ctx, configured, notes))
        if (!installs.some((i) => i.path === found.path)) installs.push(found);
    }
    const packages: InventoryPackage[] = [];
    const wordpress: WordPressInstall[] = [];
    for (const install of installs.slice(0, WORDPRESS_LIMITS.installs)) {
      const parsed = await readWordPressRoot(install.host);
      if (!parsed) continue;
      if (parsed.warnings.length) notes.push(`${install.path}: ${parsed.warnings.length} warning(s), e.g. ${parsed.warnings[0]}`);
      const entry: WordPressInstall = { path: install.path, coreVersion: '', plugins: [], themes: [] };
      for (const p of parsed.packages) {
        const location = p.location ?? '';
        const where = posix.join(install.path, location);
        if (p.name === 'wordpress') {
          entry.coreVersion = p.version;
          packages.push({ ecosystem: 'WordPress', name: 'wordpress', version: p.version, location: where });
          continue;
        }
        const ext = extensionOf({ ...p, location });
        if (!ext) continue;
        (ext.kind === 'plugin' ? entry.plugins : entry.themes).push(ext.ext);
        packages.push({ ecosystem: 'WordPress', name: ext.name, version: p.version, location: where });
      }
      // The protocol's caps per install; the packages above still carry every one.
      entry.plugins = entry.plugins.slice(0, 2_000);
      entry.themes = entry.themes.slice(0, 500);
      if (entry.coreVersion) wordpress.push(entry);
      else notes.push(`${install.path}: no readable core version; its plugins and themes are reported as packages only`);
    }
    if (installs.length > WORDPRESS_LIMITS.installs)
      notes.push(`${installs.length} installs found; only ${WORDPRESS_LIMITS.installs} read`);
    return { packages, wordpress, items: wordpress.length, ...(notes.length ? { message: notes.slice(0, 20).join('; ') } : {}) };
  },
};
