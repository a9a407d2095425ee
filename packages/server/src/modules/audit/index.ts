import type { Db } from '../../db/database.ts';
import { auditRoutes } from './audit.routes.ts';
import { createAuditService } from './audit.service.ts';

export { type AuditEntryInput, type AuditScope, recordAudit } from './audit.service.ts';
export { verifyAuditChains } from './audit.verify.ts';

export function createAuditModule(deps: { db: Db }) {
  const service = createAuditService(deps);
  return { service, routes: auditRoutes(service) };
}
