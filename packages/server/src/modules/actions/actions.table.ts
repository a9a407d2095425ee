import type { ActionCommand, ActionOutcome, Envelope } from '@vigil/protocol';
import { foreignKey, index, integer, jsonb, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { assets, clients, organizations, users, vigil } from '../../db/schema.ts';

/**
 * The typed view of `vigil.agent_actions` (migration 0009). Kept beside the module that alone
 * reads and writes it; the SQL file is the source of truth, with the grants and RLS policy.
 */
export const ACTION_STATUSES = [
  'pending_approval',
  'approved',
  'denied',
  'cancelled',
  'expired',
  'delivered',
  'succeeded',
  'failed',
  'timed_out',
  'refused',
] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];

/** What the agent reported, as stored (the output already capped by the protocol schema). */
export interface StoredActionResult {
  outcome: ActionOutcome;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  truncated: boolean;
  startedAt: string | null;
  finishedAt: string;
  refusal: string | null;
}

const at = (name: string) => timestamp(name, { withTimezone: true });

export const agentActions = vigil.table(
  'agent_actions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    clientId: uuid('client_id'),
    assetId: uuid('asset_id')
      .notNull()
      .references(() => assets.id, { onDelete: 'cascade' }),
    command: jsonb('command').$type<ActionCommand>().notNull(),
    timeoutSeconds: integer('timeout_seconds').notNull(),
    status: text('status').$type<ActionStatus>().notNull(),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: at('created_at').notNull().defaultNow(),
    approvalExpiresAt: at('approval_expires_at').notNull(),
    approvedBy: uuid('approved_by').references(() => users.id, { onDelete: 'set null' }),
    approvedAt: at('approved_at'),
    deniedBy: uuid('denied_by').references(() => users.id, { onDelete: 'set null' }),
    deniedAt: at('denied_at'),
    expiresAt: at('expires_at'),
    nonce: text('nonce').notNull().unique(),
    envelope: jsonb('envelope').$type<Envelope>(),
    deliveredAt: at('delivered_at'),
    result: jsonb('result').$type<StoredActionResult>(),
    finishedAt: at('finished_at'),
  },
  (t) => [
    foreignKey({ columns: [t.orgId, t.clientId], foreignColumns: [clients.orgId, clients.id] }).onDelete('cascade'),
    index('agent_actions_asset_idx').on(t.assetId, t.createdAt),
  ],
);

export type ActionRow = typeof agentActions.$inferSelect;
