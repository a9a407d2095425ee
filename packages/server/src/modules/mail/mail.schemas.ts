import { z } from 'zod';

export const outboxQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().min(1).max(200).optional(),
});

/** What the outbox list shows: an allow-list, so a new column never reaches a client by accident. */
export const outboxEntrySchema = z.object({
  id: z.uuid(),
  to: z.string(),
  subject: z.string(),
  text: z.string(),
  html: z.string().nullable(),
  purpose: z.string(),
  createdAt: z.iso.datetime(),
  sentAt: z.iso.datetime().nullable(),
  error: z.string().nullable(),
});
export type OutboxEntry = z.infer<typeof outboxEntrySchema>;

export const outboxPageSchema = z.object({ items: z.array(outboxEntrySchema), nextCursor: z.string().nullable() });
export type OutboxPage = z.infer<typeof outboxPageSchema>;
