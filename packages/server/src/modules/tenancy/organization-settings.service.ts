import { eq } from 'drizzle-orm';
import type { z } from 'zod';
import type { Db } from '../../db/database.ts';
import { organizations } from '../../db/schema.ts';
import { type TenantContext, withTenant } from '../../db/tenant.ts';
import { fail } from '../../lib/app-error.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { access } from './access.ts';
import { tenancyError } from './tenancy.errors.ts';
import { presentOrganization } from './tenancy.presenters.ts';
import type { updateOrganizationBody } from './tenancy.schemas.ts';

export interface ChangeMeta {
  ip: string | null;
  userAgent: string | null;
  /** Whether a person made the request from a session that passed a second factor. */
  personWithSecondFactor: boolean;
}

/**
 * Renames the organization or changes its settings, recording before and after in the audit
 * log in the same transaction (a settings change that is not audited does not happen).
 */
export async function updateOrganization(db: Db, ctx: TenantContext, input: z.infer<typeof updateOrganizationBody>, meta: ChangeMeta) {
  access.require(ctx, 'organization:update');
  // The 2FA requirement is changed only by a person who uses 2FA: an API key (which no second
  // factor protects) or a password-only session must not be able to switch it off.
  if (input.settings?.requireMfa !== undefined && !meta.personWithSecondFactor) {
    throw fail('FORBIDDEN', 'changing the second-factor requirement needs a signed-in session that passed a second factor');
  }
  // Dropping the second approver lets one account run commands as root on every server: the
  // same bar as the 2FA requirement, so a stolen API key or password alone cannot do it.
  if (input.settings?.requireActionApproval === false && !meta.personWithSecondFactor) {
    throw fail('FORBIDDEN', 'switching off action approval needs a signed-in session that passed a second factor');
  }
  return withTenant(db, ctx, async (tx) => {
    const [current] = await tx.select().from(organizations).where(eq(organizations.id, ctx.orgId)).for('update');
    if (!current) throw tenancyError('ORGANIZATION_NOT_FOUND');
    const before = presentOrganization(current);
    const settings = { ...current.settings, ...(input.settings ?? {}) };
    const [updated] = await tx
      .update(organizations)
      .set({ name: input.name ?? current.name, settings })
      .where(eq(organizations.id, ctx.orgId))
      .returning();
    if (!updated) throw tenancyError('ORGANIZATION_NOT_FOUND');
    const after = presentOrganization(updated);
    await recordAudit(tx, ctx, {
      action: 'organization.updated',
      targetType: 'organization',
      targetId: ctx.orgId,
      ip: meta.ip,
      userAgent: meta.userAgent,
      before: { name: before.name, settings: before.settings },
      after: { name: after.name, settings: after.settings },
    });
    return after;
  });
}
