import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineJob, encodePayload, idempotentJobId } from './job.definition.ts';

/** Pure checks, the same on both drivers: nothing here touches a database. */
const base = {
  name: 'test.definition',
  payload: z.object({ n: z.number() }),
  retry: { limit: 1, delaySeconds: 5, backoff: true },
  expireInSeconds: 60,
  handler: async () => {},
};

describe('defineJob', () => {
  it('refuses a definition that pg-boss or the queue could not honour', () => {
    const refused = (override: object) => () => defineJob({ ...base, ...override });
    expect(refused({ name: 'Bad Name' })).toThrow(expect.objectContaining({ code: 'JOB_DEFINITION_INVALID' }));
    // `__` is reserved for the dead-letter queue's suffix.
    expect(refused({ name: 'scan__dead' })).toThrow(/lower-case words/);
    expect(refused({ retry: { limit: -1, delaySeconds: 0, backoff: false } })).toThrow(/retry.limit/);
    expect(refused({ retry: { limit: 1, delaySeconds: 0.5, backoff: false } })).toThrow(/retry.delaySeconds/);
    expect(refused({ expireInSeconds: 24 * 60 * 60 })).toThrow(/expireInSeconds/);
    expect(refused({ schedule: '*/5 * *' })).toThrow(/five-field cron/);
    // A cron run carries `{}`; this payload requires `n`, so every run would dead-letter.
    expect(refused({ schedule: '0 3 * * *' })).toThrow(/accept the empty payload/);
    expect(defineJob({ ...base, payload: z.object({}), schedule: '0 3 * * *' }).schedule).toBe('0 3 * * *');
  });
});

describe('payloads', () => {
  it('stores only JSON objects that read back as valid', () => {
    const job = defineJob(base);
    expect(encodePayload(job, { n: 1 })).toEqual({ n: 1 });
    const scalar = defineJob({ ...base, payload: z.number() });
    expect(() => encodePayload(scalar, 3)).toThrow(/must be a JSON object/);
  });
});

describe('idempotency keys', () => {
  it('map to one stable UUID per job and key', () => {
    const id = idempotentJobId('feeds.import', 'osv:2024-06-01');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(idempotentJobId('feeds.import', 'osv:2024-06-01')).toBe(id);
    expect(idempotentJobId('feeds.import', 'osv:2024-06-02')).not.toBe(id);
    expect(idempotentJobId('alerts.send', 'osv:2024-06-01')).not.toBe(id);
  });
});
