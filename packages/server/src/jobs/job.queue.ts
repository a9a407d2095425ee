import PgBoss from 'pg-boss';
import type { Database } from '../db/database.ts';
import { BOSS_SCHEMA, createBossDb, installBossSchema } from './boss.adapter.ts';
import { deadLetterQueueName, encodePayload, idempotentJobId, type JobDefinition } from './job.definition.ts';
import { jobError } from './job.errors.ts';
import { type JobFailure, type JobLogger, type JobRunner, startJobRunner } from './job.worker.ts';

export interface JobQueueOptions {
  database: Pick<Database, 'kind' | 'query' | 'exec'>;
  logger: JobLogger;
  /** Handlers of one job type that run at once in this process. */
  concurrency: number;
  /** How long an idle worker waits before it looks for new jobs again. */
  pollIntervalSeconds: number;
  /** How often expired runs are given back and old jobs archived (one process does it per interval). */
  maintenanceIntervalSeconds?: number;
  /** How often cron schedules are checked; at most 30 so that no minute is skipped. */
  cronIntervalSeconds?: number;
  jobs: readonly JobDefinition[];
}

export interface SendOptions {
  /** Sending the same key for the same job again creates no second job while the first is kept. */
  idempotencyKey?: string;
  /** A moment, or a delay in seconds. */
  startAfter?: Date | number;
}

export interface SendResult {
  id: string;
  /** False when the idempotency key had already been used. */
  created: boolean;
}

export type JobState = 'created' | 'retry' | 'active' | 'completed' | 'cancelled' | 'failed';

export interface JobSnapshot {
  id: string;
  state: JobState;
  /** Runs started so far, including ones cut short by a crash or an expiry. */
  attempts: number;
  payload: unknown;
  startAfter: Date;
  startedOn: Date | null;
  completedOn: Date | null;
  output: unknown;
}

export interface DeadLetter {
  /** The dead-letter entry's own id; the failed job's id is in `error.jobId` when known. */
  id: string;
  payload: unknown;
  error: JobFailure;
  deadAt: Date;
}

export interface JobQueue {
  /** `work: false` only sends (API processes); `work: true` also runs handlers, schedules and maintenance. */
  start(options: { work: boolean }): Promise<void>;
  send<P>(job: JobDefinition<P>, payload: NoInfer<P>, options?: SendOptions): Promise<SendResult>;
  /** Graceful: waits up to `timeoutMs` for running handlers; what is still running is then given back. */
  stop(options: { graceful: boolean; timeoutMs: number }): Promise<void>;
  getJob(job: JobDefinition, id: string): Promise<JobSnapshot | null>;
  /** The newest first; for tests and the admin view. */
  deadLetters(job: JobDefinition, options?: { limit?: number }): Promise<DeadLetter[]>;
  schedules(): Promise<{ name: string; cron: string; timezone: string }[]>;
}

// pg-boss's default, and the bound its cron check relies on: a schedule is due when its previous
// occurrence lies within the last 60 seconds.
const DEFAULT_CRON_INTERVAL_SECONDS = 30;

export function createJobQueue(options: JobQueueOptions): JobQueue {
  const { database, logger, jobs } = options;
  assertOptions(options);
  const registered = new Map(jobs.map((job) => [job.name, job]));
  let state: 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' = 'idle';
  let boss: PgBoss | null = null;
  let runners: JobRunner[] = [];
  let starting: Promise<void> | null = null;
  let stopping: Promise<void> | null = null;

  function running(): PgBoss {
    if (state !== 'running' || !boss) throw jobError('JOB_QUEUE_NOT_RUNNING', `the job queue is ${state}`);
    return boss;
  }

  function assertRegistered(job: JobDefinition): void {
    // pg-boss silently drops a job sent to a queue that does not exist: refuse it instead.
    if (registered.get(job.name) !== job) throw jobError('JOB_NOT_REGISTERED', `job ${job.name} is not registered with this queue`);
  }

  function start({ work }: { work: boolean }): Promise<void> {
    if (state !== 'idle') return Promise.reject(jobError('JOB_QUEUE_NOT_RUNNING', `the job queue cannot start: it is ${state}`));
    state = 'starting';
    starting = startUp(work);
    return starting;
  }

  async function startUp(work: boolean): Promise<void> {
    const cronIntervalSeconds = options.cronIntervalSeconds ?? DEFAULT_CRON_INTERVAL_SECONDS;
    try {
      await installBossSchema(database);
      const b = new PgBoss({
        db: createBossDb(database),
        schema: BOSS_SCHEMA,
        migrate: true,
        // An API-only process keeps no timers: maintenance and cron belong to workers.
        supervise: work,
        schedule: work && jobs.some((job) => job.schedule !== undefined),
        maintenanceIntervalSeconds: options.maintenanceIntervalSeconds ?? 120,
        cronMonitorIntervalSeconds: cronIntervalSeconds,
        // pg-boss turns a due schedule into a job through an internal queue, polled this often.
        cronWorkerIntervalSeconds: Math.min(cronIntervalSeconds, 5),
      });
      // Without a listener, an 'error' event (a failed maintenance round) would crash the process.
      b.on('error', (error) => logger.error({ err: error }, 'job queue background task failed'));
      boss = b;
      await b.start();
      for (const job of jobs) await declareQueue(b, job);
      if (work) {
        await syncSchedules(b);
        const runnerOptions = { concurrency: options.concurrency, pollIntervalMs: options.pollIntervalSeconds * 1000 };
        runners = jobs.map((job) => startJobRunner(job, runnerOptions, { boss: b, database, logger }));
      }
      state = 'running';
      logger.info({ work, jobs: jobs.map((job) => job.name) }, 'job queue started');
    } catch (error) {
      state = 'stopped';
      await boss?.stop({ graceful: false, close: false, wait: true }).catch(() => {});
      throw error;
    }
  }

  async function shutDown(graceful: boolean, timeoutMs: number): Promise<void> {
    try {
      await Promise.all(runners.map((runner) => runner.stop({ graceful, timeoutMs })));
      await boss?.stop({ graceful: false, close: false, wait: true });
    } finally {
      state = 'stopped';
      logger.info({ graceful }, 'job queue stopped');
    }
  }

  /** Creates the job's queue and dead-letter queue, and brings the retry policy in line with the code. */
  async function declareQueue(b: PgBoss, job: JobDefinition): Promise<void> {
    const deadLetter = deadLetterQueueName(job.name);
    await b.createQueue(deadLetter, { name: deadLetter });
    const queue: PgBoss.Queue = {
      name: job.name,
      retryLimit: job.retry.limit,
      retryDelay: job.retry.delaySeconds,
      retryBackoff: job.retry.backoff,
      expireInSeconds: job.expireInSeconds,
      deadLetter,
    };
    await b.createQueue(job.name, queue);
    // createQueue leaves an existing queue alone; the definition in code is the truth.
    await b.updateQueue(job.name, queue);
  }

  async function syncSchedules(b: PgBoss): Promise<void> {
    for (const job of jobs) {
      if (job.schedule === undefined) await b.unschedule(job.name);
      else await b.schedule(job.name, job.schedule, {}, { tz: 'UTC' });
    }
  }

  return {
    start,

    async send(job, payload, sendOptions = {}) {
      const b = running();
      assertRegistered(job);
      const data = encodePayload(job, payload);
      const { idempotencyKey, startAfter } = sendOptions;
      if (idempotencyKey !== undefined && (idempotencyKey.length === 0 || idempotencyKey.length > 255)) {
        throw jobError('JOB_PAYLOAD_INVALID', `job ${job.name}: an idempotency key must have 1 to 255 characters`);
      }
      const id = idempotencyKey === undefined ? undefined : idempotentJobId(job.name, idempotencyKey);
      const created = await b.send(job.name, data, {
        ...(id === undefined ? {} : { id, singletonKey: idempotencyKey }),
        ...(startAfter === undefined ? {} : { startAfter }),
      });
      if (created === null && id === undefined) {
        throw jobError('JOB_NOT_REGISTERED', `job ${job.name} was not stored: its queue is missing from the database`);
      }
      return { id: created ?? (id as string), created: created !== null };
    },

    async stop({ graceful, timeoutMs }) {
      // A stop during start-up (a signal at boot) waits for it, so no runner starts afterwards.
      if (state === 'starting') await starting?.catch(() => {});
      if (state === 'running') {
        state = 'stopping';
        stopping = shutDown(graceful, timeoutMs);
      }
      await stopping;
    },

    async getJob(job, id) {
      const found = await running().getJobById<unknown>(job.name, id, { includeArchive: true });
      if (!found) return null;
      return {
        id: found.id,
        state: found.state,
        attempts: found.startedOn ? found.retryCount + 1 : 0,
        payload: found.data,
        startAfter: found.startAfter,
        startedOn: found.startedOn ?? null,
        completedOn: found.completedOn,
        output: found.output,
      };
    },

    async deadLetters(job, { limit = 100 } = {}) {
      running();
      const { rows } = await database.query<{ id: string; data: unknown; output: unknown; created_on: Date }>(
        `SELECT id, data, output, created_on FROM ${BOSS_SCHEMA}.job WHERE name = $1 ORDER BY created_on DESC, id LIMIT $2`,
        [deadLetterQueueName(job.name), limit],
      );
      return rows.map((row) => ({ id: row.id, payload: row.data, error: readFailure(row.output), deadAt: row.created_on }));
    },

    async schedules() {
      running();
      const { rows } = await database.query<{ name: string; cron: string; timezone: string }>(
        `SELECT name, cron, timezone FROM ${BOSS_SCHEMA}.schedule ORDER BY name`,
      );
      return rows;
    },
  };
}

function assertOptions({ concurrency, pollIntervalSeconds, maintenanceIntervalSeconds, cronIntervalSeconds, jobs }: JobQueueOptions): void {
  const invalid = (detail: string) => jobError('JOB_DEFINITION_INVALID', `job queue: ${detail}`);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 100) throw invalid('concurrency must be an integer from 1 to 100');
  if (!(pollIntervalSeconds >= 0.05 && pollIntervalSeconds <= 60)) throw invalid('pollIntervalSeconds must be from 0.05 to 60');
  if (maintenanceIntervalSeconds !== undefined && !(Number.isInteger(maintenanceIntervalSeconds) && maintenanceIntervalSeconds >= 1)) {
    throw invalid('maintenanceIntervalSeconds must be a positive integer');
  }
  if (
    cronIntervalSeconds !== undefined &&
    !(Number.isInteger(cronIntervalSeconds) && cronIntervalSeconds >= 1 && cronIntervalSeconds <= 30)
  ) {
    throw invalid('cronIntervalSeconds must be an integer from 1 to 30');
  }
  const names = new Set<string>();
  for (const job of jobs) {
    if (names.has(job.name)) throw invalid(`job ${job.name} is registered twice`);
    names.add(job.name);
  }
}

/** Our runner stores a JobFailure; pg-boss's expiry stores `{ value: { message } }`. */
function readFailure(output: unknown): JobFailure {
  const record = (value: unknown): Record<string, unknown> | null =>
    typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  const out = record(output);
  if (out && typeof out.message === 'string') {
    return {
      name: typeof out.name === 'string' ? out.name : 'Error',
      message: out.message,
      ...(typeof out.code === 'string' ? { code: out.code } : {}),
      ...(typeof out.stack === 'string' ? { stack: out.stack } : {}),
      ...(typeof out.jobId === 'string' ? { jobId: out.jobId } : {}),
      ...(typeof out.attempt === 'number' ? { attempt: out.attempt } : {}),
    };
  }
  const inner = record(out?.value);
  return { name: 'Error', message: typeof inner?.message === 'string' ? inner.message : 'the job failed without a recorded error' };
}
