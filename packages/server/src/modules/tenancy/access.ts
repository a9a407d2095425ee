import type { Role } from '../../db/schema.ts';
import { CLIENT_ROLES } from '../../db/schema.ts';
import type { TenantContext } from '../../db/tenant.ts';
import { fail } from '../../lib/app-error.ts';
import { ASSIGNABLE_ROLES, can, type Permission } from './permissions.ts';

/** The one permission check every service uses. */
export const access = {
  require(ctx: TenantContext, permission: Permission): void {
    if (!can(ctx.role, permission)) throw fail('FORBIDDEN', `your role (${ctx.role}) does not allow ${permission}`);
  },

  /** Whether the actor may see rows of this client (null: agency-level rows). */
  seesClient(ctx: TenantContext, clientId: string | null): boolean {
    if (ctx.clientIds === 'all') return true;
    return clientId !== null && ctx.clientIds.includes(clientId);
  },

  /** Refuses giving, or taking away, a role the actor does not rank for. */
  requireAssignable(ctx: TenantContext, role: Role): void {
    if (!ASSIGNABLE_ROLES[ctx.role].includes(role)) {
      throw fail('FORBIDDEN', `your role (${ctx.role}) cannot manage members with role ${role}`);
    }
  },
};

export function isClientRole(role: Role): boolean {
  return (CLIENT_ROLES as readonly Role[]).includes(role);
}
