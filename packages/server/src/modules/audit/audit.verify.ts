import type { Db } from '../../db/database.ts';
import { type TenantContext, withSystem, withTenant } from '../../db/tenant.ts';
import { auditHash, GENESIS_HASH } from './audit.chain.ts';
import { auditRepo as repo } from './audit.repo.ts';

/** The first link of one organization's chain that does not hold. */
export interface BrokenLink {
  orgId: string;
  /** The entry where the chain breaks (for missing newest entries: the first missing seq). */
  seq: number;
  /** That entry's id, or null when the entry itself is gone. */
  id: string | null;
  reason: string;
}

export interface AuditVerification {
  /** Organizations with an audit chain. */
  orgs: number;
  /** Entries read. */
  entries: number;
  /** The first broken link found (organizations in id order), or null when every chain holds. */
  broken: BrokenLink | null;
  /** The first broken link of every broken chain. */
  breaks: BrokenLink[];
}

const PAGE = 1000;

const missing = (from: number, to: number) => (from === to ? `entry ${from}` : `entries ${from}–${to}`);

/**
 * Walks every organization's chain from its first entry and reports where it first breaks:
 * - an entry whose content no longer gives its hash was edited;
 * - a seq that skips, or a prev_hash that is not the previous entry's hash, follows a deletion
 *   (or an edit that recomputed the hash, which then shows at the next entry);
 * - a head past the last entry means the newest entries were deleted.
 * A superuser who deletes the newest entries and also rewinds the head (both guarded by
 * triggers they would have to disable) is the one case a chain kept in the same database cannot
 * show; record the printed totals elsewhere to catch it.
 *
 * Each chain is read in its organization's org-wide tenant context (the app role, row-level
 * security on), so verification needs no privilege beyond the app's.
 */
export async function verifyAuditChains(db: Db): Promise<AuditVerification> {
  const orgIds = await withSystem(db, (tx) => repo.organizationIds(tx));
  const result: AuditVerification = { orgs: 0, entries: 0, broken: null, breaks: [] };
  for (const orgId of orgIds) {
    const chain = await verifyChain(db, orgId);
    if (!chain.exists) continue;
    result.orgs += 1;
    result.entries += chain.entries;
    if (chain.broken) result.breaks.push(chain.broken);
  }
  result.broken = result.breaks[0] ?? null;
  return result;
}

async function verifyChain(db: Db, orgId: string): Promise<{ exists: boolean; entries: number; broken: BrokenLink | null }> {
  const ctx: TenantContext = { orgId, userId: null, role: 'OWNER', clientIds: 'all' };
  return withTenant(db, ctx, async (tx) => {
    const head = await repo.head(tx, orgId);
    let entries = 0;
    let expectedSeq = 1;
    let prevHash = GENESIS_HASH;
    let broken: BrokenLink | null = null;
    let lastId: string | null = null;
    const breakAt = (seq: number, id: string | null, reason: string) => {
      broken ??= { orgId, seq, id, reason };
    };
    for (let after = 0; ; ) {
      const page = await repo.chainPage(tx, orgId, after, PAGE);
      for (const row of page) {
        entries += 1;
        if (broken) continue;
        if (row.seq !== expectedSeq) {
          breakAt(
            row.seq,
            row.id,
            `${missing(expectedSeq, row.seq - 1)} missing: seq jumps from ${expectedSeq - 1} to ${row.seq} (deleted)`,
          );
        } else if (row.prevHash !== prevHash) {
          breakAt(row.seq, row.id, 'previous hash does not match the previous entry (an entry before it was deleted or changed)');
        } else if (auditHash(row) !== row.hash) {
          breakAt(row.seq, row.id, 'hash mismatch: the entry was changed after it was written');
        }
        expectedSeq = row.seq + 1;
        prevHash = row.hash;
        lastId = row.id;
      }
      const last = page.at(-1);
      if (!last || page.length < PAGE) break;
      after = last.seq;
    }
    const lastSeq = expectedSeq - 1;
    if (!broken) {
      if (head === null && entries > 0) {
        breakAt(lastSeq, null, 'the chain has entries but no head (the head was deleted)');
      } else if (head !== null && head.seq > lastSeq) {
        breakAt(
          lastSeq + 1,
          null,
          `${missing(lastSeq + 1, head.seq)} missing: the chain ends before its head, entry ${head.seq} (deleted)`,
        );
      } else if (head !== null && head.seq < lastSeq) {
        breakAt(lastSeq, lastId, `the chain runs past its head, entry ${head.seq} (entries were added around the log)`);
      } else if (head !== null && head.hash !== prevHash) {
        breakAt(lastSeq, lastId, 'the last entry does not match the chain head (it was changed)');
      }
    }
    return { exists: head !== null || entries > 0, entries, broken };
  });
}
