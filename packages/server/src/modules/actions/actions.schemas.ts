import { ACTION_OUTCOMES, actionCommandSchema, signedActionSchema } from '@vigil/protocol';
import { z } from 'zod';
import { ACTION_STATUSES } from './actions.table.ts';

export const actionStatusSchema = z.enum(ACTION_STATUSES);

/** How long the agent lets the command run before it kills it (the signed `timeoutSeconds`). */
export const DEFAULT_TIMEOUT_SECONDS = 900;

export const createActionBody = z.strictObject({
  command: actionCommandSchema,
  timeoutSeconds: z.number().int().min(1).max(3_600).default(DEFAULT_TIMEOUT_SECONDS),
});

export const assetActionParams = z.strictObject({ assetId: z.uuid() });
export const actionParams = z.strictObject({ actionId: z.uuid() });

const actionResultView = z.object({
  outcome: z.enum(ACTION_OUTCOMES),
  exitCode: z.number().int().nullable(),
  stdout: z.string(),
  stderr: z.string(),
  truncated: z.boolean(),
  startedAt: z.string().nullable(),
  finishedAt: z.string(),
  /** The agent's reason for refusing; as trustworthy as the agent that sent it. */
  refusal: z.string().nullable(),
});

const time = z.iso.datetime();

/** An action as the dashboard sees it: an allow-list, built field by field by the presenter. */
export const actionSchema = z.object({
  id: z.uuid(),
  assetId: z.uuid(),
  clientId: z.uuid().nullable(),
  command: actionCommandSchema,
  timeoutSeconds: z.number().int(),
  status: actionStatusSchema,
  createdBy: z.uuid().nullable(),
  createdAt: time,
  approvalExpiresAt: time,
  approvedBy: z.uuid().nullable(),
  approvedAt: time.nullable(),
  deniedBy: z.uuid().nullable(),
  deniedAt: time.nullable(),
  /** The run deadline signed into the action. */
  expiresAt: time.nullable(),
  deliveredAt: time.nullable(),
  finishedAt: time.nullable(),
  /** The signed envelope the agent receives (public: it proves what the server asked for). */
  signed: signedActionSchema.nullable(),
  result: actionResultView.nullable(),
});
export const actionListSchema = z.object({ items: z.array(actionSchema) });

export type ActionView = z.infer<typeof actionSchema>;
export type CreateActionInput = z.output<typeof createActionBody>;
