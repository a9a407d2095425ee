import type { ActionView } from './actions.schemas.ts';
import type { ActionRow } from './actions.table.ts';

const iso = (value: Date | null) => (value === null ? null : value.toISOString());

/** Rows never leave as they are: each response is built field by field from an allow-list. */
export function presentAction(row: ActionRow): ActionView {
  return {
    id: row.id,
    assetId: row.assetId,
    clientId: row.clientId,
    command: row.command,
    timeoutSeconds: row.timeoutSeconds,
    status: row.status,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    approvalExpiresAt: row.approvalExpiresAt.toISOString(),
    approvedBy: row.approvedBy,
    approvedAt: iso(row.approvedAt),
    deniedBy: row.deniedBy,
    deniedAt: iso(row.deniedAt),
    expiresAt: iso(row.expiresAt),
    deliveredAt: iso(row.deliveredAt),
    finishedAt: iso(row.finishedAt),
    signed: row.envelope ? { payload: row.envelope.payload, kid: row.envelope.kid, signature: row.envelope.signature } : null,
    result: row.result
      ? {
          outcome: row.result.outcome,
          exitCode: row.result.exitCode,
          stdout: row.result.stdout,
          stderr: row.result.stderr,
          truncated: row.result.truncated,
          startedAt: row.result.startedAt,
          finishedAt: row.result.finishedAt,
          refusal: row.result.refusal,
        }
      : null,
  };
}

/** Facts for the audit log: which change on which server, never its output. */
export function auditFacts(row: ActionRow): Record<string, unknown> {
  // The command itself (package names and versions, a unit, sshd settings: no personal data), so
  // the audit trail says which root command ran even after the server and its actions are deleted.
  return { assetId: row.assetId, kind: row.command.kind, command: row.command, status: row.status };
}
