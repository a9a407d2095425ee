import { type Inventory, type InventoryReceipt, inventoryDigest, inventorySchema } from '@vigil/protocol';
import type { Db } from '../../db/database.ts';
import { type TenantContext, withTenant } from '../../db/tenant.ts';
import { fail } from '../../lib/app-error.ts';
import type { Logger } from '../../logger.ts';
import type { AgentIdentity } from '../agents/index.ts';
import { unseenByFailedCollectors } from './collector-coverage.ts';
import { evaluateConfigFacts } from './config-findings.ts';
import { findingsRepo } from './findings.repo.ts';
import { precheckInventory } from './inventory.body.ts';
import { inventoryError } from './inventory.errors.ts';
import { inventoryRepo } from './inventory.repo.ts';
import { diffPackages, firstDuplicate, storedOf } from './package-diff.ts';
import { evaluatePackages, packageKeyOf } from './package-findings.ts';
import { digestBeforeValidation } from './unchanged-digest.ts';

export interface IngestServiceDeps {
  db: Db;
  logger: Logger;
  /** Told after a changed inventory was stored (alerting can hook in here). */
  onIngested?: (ctx: TenantContext, assetId: string, receipt: InventoryReceipt) => void;
}

export type IngestService = ReturnType<typeof createIngestService>;

export function createIngestService({ db, logger, onIngested }: IngestServiceDeps) {
  return {
    /**
     * Stores what a server reported, in one transaction in its organization: an unchanged
     * inventory (same digest) only moves last_seen_at; a changed one is diffed against the
     * packages held, its history appended, and only the packages added, changed or removed are
     * matched again, with the configuration facts.
     */
    async ingest(agent: AgentIdentity, body: unknown): Promise<InventoryReceipt> {
      precheckInventory(body);
      const quickDigest = digestBeforeValidation(body as object);
      // The whole organization's rows of this one server (the token fixed which server): a
      // server moved to another client still finds the packages and findings it had.
      const scope: TenantContext = { orgId: agent.tenant.orgId, userId: null, role: 'VIEWER', clientIds: 'all' };
      const unchangedReceipt = (digest: string, open: number): InventoryReceipt => ({
        digest,
        changed: false,
        packages: { added: 0, removed: 0, changed: 0 },
        findings: { opened: 0, fixed: 0, reopened: 0, open },
      });
      const receipt = await withTenant(db, scope, async (tx): Promise<InventoryReceipt> => {
        // The common case first, before the schema walks 1,000 packages (see unchanged-digest.ts).
        if (quickDigest) {
          const unchanged = await inventoryRepo.touchIfUnchanged(tx, agent.assetId, quickDigest);
          if (unchanged) return unchangedReceipt(quickDigest, unchanged.open);
        }
        const inventory = validInventory(body);
        const incoming = inventory.packages.map(storedOf);
        const duplicate = firstDuplicate(incoming);
        if (duplicate) {
          const where = [duplicate.arch && `arch ${duplicate.arch}`, duplicate.location && `in ${duplicate.location}`]
            .filter(Boolean)
            .join(' ');
          throw inventoryError(
            'INVENTORY_DUPLICATE_PACKAGE',
            `${duplicate.ecosystem} package ${duplicate.name}${where ? ` (${where})` : ''} is listed twice`,
          );
        }
        const digest = inventoryDigest(inventory);
        // The schema's defaults can make the validated inventory's digest differ from the body's.
        if (digest !== quickDigest) {
          const unchanged = await inventoryRepo.touchIfUnchanged(tx, agent.assetId, digest);
          if (unchanged) return unchangedReceipt(digest, unchanged.open);
        }
        const asset = await inventoryRepo.lockAsset(tx, agent.assetId);
        if (!asset) throw inventoryError('INVENTORY_ASSET_GONE');
        const stored = await inventoryRepo.packages(tx, asset.id);
        const diff = diffPackages(stored, incoming, unseenByFailedCollectors(inventory));
        const counts = { added: diff.added.length, removed: diff.removed.length, changed: diff.changed.length };
        const inventoryId = await inventoryRepo.insertInventory(tx, asset, inventory, digest, counts);
        await inventoryRepo.upsertPackages(tx, asset, [...diff.added, ...diff.changed]);
        await inventoryRepo.deletePackages(tx, asset.id, diff.removed);
        await inventoryRepo.insertChanges(tx, asset, inventoryId, diff.changes);
        await inventoryRepo.recordHost(tx, asset.id, inventory, digest);

        const osEcosystem = inventory.host.os?.ecosystem ?? null;
        // A new OS release (or the first one known) changes what every OS package matches against.
        const touched = osEcosystem !== asset.osEcosystem ? incoming : [...diff.added, ...diff.changed];
        const today = new Date().toISOString().slice(0, 10);
        const packages = await evaluatePackages(tx, asset, osEcosystem, touched, diff.removed.map(packageKeyOf), today);
        if (packages.unmatchedOsPackages > 0) {
          logger.info(
            { assetId: asset.id, packages: packages.unmatchedOsPackages },
            'OS release unknown: OS packages stored but not matched',
          );
        }
        const config = await evaluateConfigFacts(tx, asset, inventory.configFacts, today);
        return {
          digest,
          changed: true,
          packages: counts,
          findings: {
            opened: packages.counts.opened + config.opened,
            fixed: packages.counts.fixed + config.fixed,
            reopened: packages.counts.reopened + config.reopened,
            open: await findingsRepo.openCount(tx, asset.id),
          },
        };
      });
      if (receipt.changed) onIngested?.(agent.tenant, agent.assetId, receipt);
      return receipt;
    },
  };
}

function validInventory(body: unknown): Inventory {
  const parsed = inventorySchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw fail('VALIDATION_FAILED', `${issue?.path.join('.') || 'inventory'}: ${issue?.message}`);
  }
  return parsed.data;
}

export type { Inventory };
