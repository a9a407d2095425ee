import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { jobError } from './job.errors.ts';

export interface RetryPolicy {
  /** Retries after the first attempt, so a job runs at most `limit + 1` times. */
  readonly limit: number;
  readonly delaySeconds: number;
  /** Doubles the delay on every retry, with jitter (pg-boss: delay·2^n/2 + random·delay·2^n/2). */
  readonly backoff: boolean;
}

export interface JobContext {
  readonly jobId: string;
  readonly name: string;
  /** 1 on the first run; a run cut short by a crash or an expiry counts as an attempt. */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** Aborted when the run outlives its expiry or the worker gives the job back; pass it on to I/O. */
  readonly signal: AbortSignal;
}

export interface JobDefinition<P = unknown> {
  readonly name: string;
  readonly payload: z.ZodType<P>;
  readonly retry: RetryPolicy;
  /** How long a run may take; after it another worker may claim the job again. */
  readonly expireInSeconds: number;
  /** A five-field cron expression, evaluated in UTC; a scheduled run receives the payload `{}`. */
  readonly schedule?: string;
  // Method syntax on purpose: it makes a JobDefinition<{ n: number }> usable where a list of
  // JobDefinition<unknown> is expected, which the queue needs to hold jobs of every shape.
  handler(payload: P, ctx: JobContext): Promise<void>;
}

/** Lower-case words joined by dots or hyphens; `__` stays free for the queue's own suffixes. */
const JOB_NAME = /^[a-z][a-z0-9]*(?:[.-][a-z0-9]+)*$/;
// pg-boss refuses expiries of 24 hours or more.
const MAX_EXPIRE_SECONDS = 24 * 60 * 60 - 1;

export function defineJob<P>(definition: JobDefinition<P>): JobDefinition<P> {
  const { name, retry, expireInSeconds, schedule } = definition;
  const invalid = (detail: string) => jobError('JOB_DEFINITION_INVALID', `job ${name}: ${detail}`);
  if (!JOB_NAME.test(name) || name.length > 100) throw invalid('the name must be lower-case words joined by dots or hyphens');
  if (!Number.isInteger(retry.limit) || retry.limit < 0 || retry.limit > 100) throw invalid('retry.limit must be an integer from 0 to 100');
  if (!Number.isInteger(retry.delaySeconds) || retry.delaySeconds < 0) throw invalid('retry.delaySeconds must be a non-negative integer');
  if (!Number.isInteger(expireInSeconds) || expireInSeconds < 1 || expireInSeconds > MAX_EXPIRE_SECONDS) {
    throw invalid(`expireInSeconds must be an integer from 1 to ${MAX_EXPIRE_SECONDS}`);
  }
  if (schedule !== undefined) {
    if (schedule.trim().split(/\s+/).length !== 5) throw invalid('schedule must be a five-field cron expression');
    // Cron runs carry no data, so a schedule on a job that cannot take `{}` would dead-letter every run.
    if (!definition.payload.safeParse({}).success) throw invalid('a scheduled job must accept the empty payload {}');
  }
  return Object.freeze({ ...definition });
}

/** The queue that receives a job's runs once their attempts are exhausted. */
export function deadLetterQueueName(name: string): string {
  return `${name}__dead`;
}

/**
 * Validates a payload for sending and returns what will be stored. The value must also survive
 * the trip through jsonb: a Date or a Map would pass here yet fail on receipt, after the caller
 * has moved on, so it is refused now instead.
 */
export function encodePayload<P>(job: JobDefinition<P>, payload: P): object {
  const checked = job.payload.safeParse(payload);
  if (!checked.success) throw jobError('JOB_PAYLOAD_INVALID', `job ${job.name}: ${describeIssues(checked.error)}`);
  const stored: unknown = JSON.parse(JSON.stringify(checked.data) ?? 'null');
  // An object leaves room to add fields later without breaking jobs already queued.
  if (typeof stored !== 'object' || stored === null || Array.isArray(stored)) {
    throw jobError('JOB_PAYLOAD_INVALID', `job ${job.name}: a payload must be a JSON object`);
  }
  const reread = job.payload.safeParse(stored);
  if (!reread.success) {
    throw jobError('JOB_PAYLOAD_INVALID', `job ${job.name}: the payload does not survive JSON storage (${describeIssues(reread.error)})`);
  }
  return stored;
}

export type DecodedPayload<P> = { ok: true; payload: P } | { ok: false; detail: string };

/** Validates a stored payload on receipt: a job sent by an older version may no longer fit. */
export function decodePayload<P>(job: JobDefinition<P>, data: unknown): DecodedPayload<P> {
  const checked = job.payload.safeParse(data);
  return checked.success ? { ok: true, payload: checked.data } : { ok: false, detail: describeIssues(checked.error) };
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(payload)'}: ${issue.message}`).join('; ');
}

/**
 * The job id for an idempotency key. pg-boss's singletonKey alone does not deduplicate on a
 * standard queue (only its short/singleton/stately policies index it), but the job id is the
 * primary key and pg-boss inserts with ON CONFLICT DO NOTHING: a second send with the same key
 * is a no-op for as long as the first job is kept (until pg-boss archives it).
 */
export function idempotentJobId(name: string, key: string): string {
  const bytes = createHash('sha256').update(`vigil.job\u0000${name}\u0000${key}`).digest().subarray(0, 16);
  // RFC 9562 version 8 (custom; its example is a SHA-256 name-based UUID) and the RFC variant bits.
  bytes.writeUInt8((bytes.readUInt8(6) & 0x0f) | 0x80, 6);
  bytes.writeUInt8((bytes.readUInt8(8) & 0x3f) | 0x80, 8);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
