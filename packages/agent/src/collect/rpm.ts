import { realpath } from 'node:fs/promises';
import { posix } from 'node:path';
import { dirInRoot, fileInRoot, parseRpmQa } from '@vigil/vulndb';
import { type CollectContext, type Collector, shown } from './context.ts';
import { noteOsPackages, toInventoryPackage } from './os-packages.ts';

/** Where rpm keeps its database: the classic path, and the one Fedora 36+/openSUSE moved to. */
const DB_DIRS = ['var/lib/rpm', 'usr/lib/sysimage/rpm'];
/** The database files of rpm's three back ends (sqlite, ndb, Berkeley DB). */
const DB_FILES = ['rpmdb.sqlite', 'Packages.db', 'Packages'];

/**
 * EPOCH and SOURCERPM are what plain `rpm -qa` leaves out: without the epoch a version cannot be
 * compared exactly, without the source RPM advisories keyed by source package do not match.
 * `%{EPOCH}` prints `(none)` when there is none (EPOCHNUM would say 0 but needs rpm >= 4.9);
 * vulndb's parseRpmQa reads exactly this four-field form.
 */
export const RPM_QUERY_FORMAT = '%{NAME}\\t%{EPOCH}:%{VERSION}-%{RELEASE}\\t%{ARCH}\\t%{SOURCERPM}\\n';

/** os-release IDs of rpm distributions whose OSV ecosystem vulndb cannot name from os-release alone. */
const ECOSYSTEM_BY_ID: Record<string, string> = { rhel: 'Red Hat', rocky: 'Rocky Linux', almalinux: 'AlmaLinux', centos: 'Red Hat' };

/** The rpm database directory under the root, as the machine names it (`/var/lib/rpm`), or null. */
export async function findRpmDb(root: string): Promise<{ dir: string; host: string; file: string } | null> {
  const realRoot = await realpath(root);
  for (const dir of DB_DIRS) {
    const host = await dirInRoot(root, dir);
    if (host === null) continue;
    for (const file of DB_FILES) {
      if ((await fileInRoot(root, `${dir}/${file}`)) !== null) {
        // rpm resolves --dbpath under --root itself: hand it the path with symlinks already
        // resolved inside the root, so a link such as /var/lib/rpm -> /usr/lib/sysimage/rpm is
        // not followed on the agent's own machine.
        return { dir: shown(dir), host: `/${posix.relative(realRoot, host)}`, file: `${dir}/${file}` };
      }
    }
  }
  return null;
}

function packageEcosystem(ctx: CollectContext): { ecosystem: string; note?: string } {
  const fromRelease = ctx.host.os?.ecosystem?.split(':')[0];
  if (fromRelease) return { ecosystem: fromRelease };
  const id = ctx.host.os?.id ?? '';
  if (ECOSYSTEM_BY_ID[id]) return { ecosystem: ECOSYSTEM_BY_ID[id] as string };
  if (id) return { ecosystem: id, note: `no advisory ecosystem is known for ${id}; packages are reported under that name` };
  return { ecosystem: 'Red Hat', note: 'no os-release: packages reported as Red Hat' };
}

/**
 * RPM packages, by running the machine's own `rpm` against the database under the root (the
 * database is a binary format only rpm reads reliably). No shell, a timeout, bounded output.
 */
export const rpmCollector: Collector = {
  name: 'rpm',
  async run(ctx) {
    const db = await findRpmDb(ctx.root);
    if (db === null) return { status: 'skipped', message: `no rpm database in ${DB_DIRS.map(shown).join(' or ')}` };
    const rootArgs = ctx.live ? [] : ['--root', await realpath(ctx.root)];
    let result: Awaited<ReturnType<CollectContext['runCommand']>>;
    try {
      result = await ctx.runCommand('rpm', [...rootArgs, '--dbpath', db.host, '-qa', '--queryformat', RPM_QUERY_FORMAT], {
        timeoutMs: 120_000,
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return { status: 'skipped', message: `an rpm database is at ${db.dir} but the rpm program is not on PATH` };
      }
      throw error;
    }
    if (result.code !== 0) throw new Error(`rpm -qa exited with ${result.code}: ${result.stderr.trim().slice(0, 500)}`);
    const { ecosystem, note } = packageEcosystem(ctx);
    const parsed = parseRpmQa(result.stdout, `rpm -qa (${db.dir})`, { ecosystem });
    noteOsPackages(ctx, parsed.packages, 'rpm', null);
    const notes = [note, parsed.warnings.length ? `${parsed.warnings.length} entries skipped, e.g. ${parsed.warnings[0]}` : undefined];
    const message = notes.filter(Boolean).join('; ');
    return { packages: parsed.packages.map(toInventoryPackage), ...(message ? { message } : {}) };
  },
};
