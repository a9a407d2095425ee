import { stat } from 'node:fs/promises';
import type { FactSeverity } from '@vigil/protocol';
import { fileInRoot } from '@vigil/vulndb';
import type { Collector } from './context.ts';
import { findRpmDb } from './rpm.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

export function staleness(days: number): FactSeverity {
  if (days > 90) return 'MEDIUM';
  if (days > 30) return 'LOW';
  return 'NONE';
}

/**
 * When the package database last changed (any install, upgrade or removal rewrites it): a machine
 * whose packages have not changed for months is not being patched. The observed text names the
 * date, not a count of days, so it stays the same from one run to the next until a threshold passes.
 */
export const packageAgeCollector: Collector = {
  name: 'package_age',
  async run(ctx) {
    const candidates: { shown: string; host: string | null }[] = [
      { shown: '/var/lib/dpkg/status', host: await fileInRoot(ctx.root, 'var/lib/dpkg/status') },
      { shown: '/lib/apk/db/installed', host: await fileInRoot(ctx.root, 'lib/apk/db/installed') },
    ];
    const rpmdb = await findRpmDb(ctx.root);
    if (rpmdb) candidates.push({ shown: `/${rpmdb.file}`, host: await fileInRoot(ctx.root, rpmdb.file) });
    let newest: { shown: string; mtime: Date } | null = null;
    for (const c of candidates) {
      if (c.host === null) continue;
      const { mtime } = await stat(c.host);
      if (!newest || mtime > newest.mtime) newest = { shown: c.shown, mtime };
    }
    if (newest === null) return { status: 'skipped', message: 'no package database found' };
    ctx.host.packagesUpdatedAt = newest.mtime.toISOString();
    const days = Math.max(0, Math.floor((ctx.now.getTime() - newest.mtime.getTime()) / DAY_MS));
    const severity = staleness(days);
    const observed = `package database last changed on ${newest.mtime.toISOString().slice(0, 10)}${severity === 'NONE' ? '' : `, more than ${severity === 'MEDIUM' ? 90 : 30} days ago`}`;
    return { facts: [{ id: 'packages.last_update', severity, observed, evidence: [newest.shown] }] };
  },
};
