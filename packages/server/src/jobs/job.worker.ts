import type PgBoss from 'pg-boss';
import type { Database } from '../db/database.ts';
import { AppError } from '../lib/app-error.ts';
import { BOSS_SCHEMA } from './boss.adapter.ts';
import { decodePayload, type JobContext, type JobDefinition } from './job.definition.ts';
import { jobError } from './job.errors.ts';

/** The part of a pino logger the queue uses. */
export interface JobLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** What a failed run stores as its output, and what its dead letter carries. */
export interface JobFailure {
  name: string;
  message: string;
  code?: string;
  stack?: string;
  jobId?: string;
  attempt?: number;
}

export interface JobRunnerDeps {
  boss: Pick<PgBoss, 'fetch' | 'complete' | 'fail'>;
  database: Pick<Database, 'query'>;
  logger: JobLogger;
}

export interface JobRunner {
  stop(options: { graceful: boolean; timeoutMs: number }): Promise<void>;
}

interface Claim {
  readonly ctx: JobContext;
  readonly controller: AbortController;
  /** Set once the job was given back on stop: what the handler does after that is not recorded. */
  abandoned: boolean;
  done: Promise<void>;
}

/**
 * Runs one job type: claims up to `concurrency` jobs at a time (pg-boss's fetch, FOR UPDATE SKIP
 * LOCKED), runs each handler, and records the outcome. Our own loop instead of pg-boss's work():
 * work() records outcomes without awaiting them, cannot fail a job without retries, and gives a
 * handler no signal when its run is cut short.
 */
export function startJobRunner(
  job: JobDefinition,
  options: { concurrency: number; pollIntervalMs: number },
  deps: JobRunnerDeps,
): JobRunner {
  const claims = new Map<string, Claim>();
  const log = { job: job.name };
  let stopping = false;
  let waiter: { wake: () => void; forSlot: boolean } | null = null;

  /** Waits `ms`, or until stop; with `forSlot`, also until a running job finishes. */
  function idle(ms: number, forSlot: boolean): Promise<void> {
    return new Promise((resolve) => {
      const timer = Number.isFinite(ms) ? setTimeout(wake, ms) : undefined;
      function wake() {
        clearTimeout(timer);
        waiter = null;
        resolve();
      }
      waiter = { wake, forSlot };
    });
  }

  async function loop(): Promise<void> {
    while (!stopping) {
      const free = options.concurrency - claims.size;
      if (free <= 0) {
        await idle(Number.POSITIVE_INFINITY, true);
        continue;
      }
      // pg-boss's fetch swallows database errors and returns no jobs, so an outage reads as idle.
      const jobs = await deps.boss.fetch<unknown>(job.name, { batchSize: free, includeMetadata: true });
      for (const claimed of jobs) track(claimed);
      // A full batch means more may be waiting: claim again as soon as a slot frees.
      if (jobs.length < free && !stopping) await idle(options.pollIntervalMs, false);
    }
  }

  function track(claimed: PgBoss.JobWithMetadata<unknown>): void {
    const controller = new AbortController();
    const ctx: JobContext = {
      jobId: claimed.id,
      name: job.name,
      attempt: claimed.retryCount + 1,
      maxAttempts: claimed.retryLimit + 1,
      signal: controller.signal,
    };
    const claim: Claim = { ctx, controller, abandoned: false, done: Promise.resolve() };
    claims.set(claimed.id, claim);
    claim.done = run(claimed, claim)
      .catch((error: unknown) => deps.logger.error({ ...log, jobId: claimed.id, err: error }, 'job run broke down'))
      .finally(() => {
        claims.delete(claimed.id);
        if (waiter?.forSlot) waiter.wake();
      });
  }

  async function run(claimed: PgBoss.JobWithMetadata<unknown>, claim: Claim): Promise<void> {
    const { ctx } = claim;
    const decoded = decodePayload(job, claimed.data);
    if (!decoded.ok) {
      // Retrying cannot repair a payload: exhaust the retries so that this failure dead-letters now.
      await record(ctx, 'exhausted retries', () =>
        deps.database.query(`UPDATE ${BOSS_SCHEMA}.job SET retry_limit = retry_count WHERE name = $1 AND id = $2 AND state = 'active'`, [
          job.name,
          claimed.id,
        ]),
      );
      const error = jobError('JOB_PAYLOAD_INVALID', `job ${job.name}: the stored payload is not valid: ${decoded.detail}`);
      await recordFailure({ ...ctx, maxAttempts: ctx.attempt }, error);
      return;
    }
    // The expiry the job was stored with (pg also returns it as a numeric string), else the definition's.
    const expireMs = (Number(claimed.expireInSeconds) || job.expireInSeconds) * 1000;
    let failure: unknown = null;
    try {
      await withinExpiry(job.handler(decoded.payload, ctx), expireMs, claim.controller, job.name);
    } catch (error) {
      failure = error ?? new Error('the handler rejected without a reason');
    }
    if (claim.abandoned) return;
    if (failure === null) await record(ctx, 'completion', () => deps.boss.complete(job.name, claimed.id));
    else await recordFailure(ctx, failure);
  }

  async function recordFailure(ctx: JobContext, error: unknown): Promise<void> {
    const last = ctx.attempt >= ctx.maxAttempts;
    const fields = { ...log, jobId: ctx.jobId, attempt: ctx.attempt, maxAttempts: ctx.maxAttempts, err: error };
    if (last) deps.logger.error(fields, 'job failed for the last time; moved to its dead-letter queue');
    else deps.logger.warn(fields, 'job failed; it will be retried');
    await record(ctx, 'failure', () => deps.boss.fail(job.name, ctx.jobId, describeFailure(error, ctx)));
  }

  async function record(ctx: JobContext, what: string, write: () => Promise<unknown>): Promise<void> {
    try {
      await write();
    } catch (error) {
      // The job stays active; pg-boss's maintenance expires it and it runs again.
      deps.logger.error({ ...log, jobId: ctx.jobId, err: error }, `could not record the job's ${what}; it will run again after its expiry`);
    }
  }

  const looping = loop().catch((error: unknown) => {
    deps.logger.error({ ...log, err: error }, 'job runner stopped unexpectedly');
  });

  return {
    async stop({ graceful, timeoutMs }) {
      stopping = true;
      waiter?.wake();
      await looping;
      if (graceful && claims.size > 0) {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        });
        await Promise.race([Promise.all([...claims.values()].map((claim) => claim.done)), timeout]);
        clearTimeout(timer);
      }
      // Whatever still runs is given back now rather than after its expiry. Like a crash, this
      // counts as an attempt (pg-boss does the same on its own shutdown).
      const left = [...claims.values()];
      await Promise.all(
        left.map(async (claim) => {
          claim.abandoned = true;
          const error = jobError('JOB_ABANDONED', `job ${job.name} was given back when its worker stopped`);
          claim.controller.abort(error);
          deps.logger.warn({ ...log, jobId: claim.ctx.jobId, attempt: claim.ctx.attempt }, 'job given back unfinished');
          await record(claim.ctx, 'return', () => deps.boss.fail(job.name, claim.ctx.jobId, describeFailure(error, claim.ctx)));
        }),
      );
    },
  };
}

async function withinExpiry(work: Promise<void>, ms: number, controller: AbortController, name: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // Past its expiry, maintenance may hand the job to another worker; failing it now (as
      // pg-boss's work() does) keeps a late finish from completing someone else's claim.
      const error = jobError('JOB_HANDLER_TIMEOUT', `job ${name} ran longer than its expiry of ${ms / 1000}s`);
      controller.abort(error);
      reject(error);
    }, ms);
  });
  try {
    await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

const MAX_STACK = 4000;

function describeFailure(error: unknown, ctx: Pick<JobContext, 'jobId' | 'attempt'>): JobFailure {
  const base = { jobId: ctx.jobId, attempt: ctx.attempt };
  if (!(error instanceof Error)) return { ...base, name: 'Error', message: String(error) };
  return {
    ...base,
    name: error.name,
    message: error.message,
    ...(error instanceof AppError ? { code: error.code } : {}),
    ...(error.stack ? { stack: error.stack.slice(0, MAX_STACK) } : {}),
  };
}
