import type { ApiKeyRow } from './api-keys.repo.ts';
import type { ApiKeyView } from './api-keys.schemas.ts';

/** An allow-list of the row's columns: the secret hash (or a column added later) never leaves. */
export function presentApiKey(row: ApiKeyRow): ApiKeyView {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    prefix: row.prefix,
    role: row.role,
    clientId: row.clientId,
    assetId: row.assetId,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt?.toISOString() ?? null,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

/** What the audit log says about a key: who can use it for what, never its token or hash. */
export function auditedKey(row: ApiKeyRow): Record<string, unknown> {
  return {
    kind: row.kind,
    name: row.name,
    prefix: row.prefix,
    role: row.role,
    clientId: row.clientId,
    assetId: row.assetId,
    expiresAt: row.expiresAt?.toISOString() ?? null,
  };
}
