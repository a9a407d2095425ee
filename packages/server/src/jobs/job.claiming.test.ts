import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimCounterJob, memoryLogger, type Numbered } from '../../test/fixtures/jobs/test-jobs.ts';
import { spawnWorker, type WorkerProcess } from '../../test/fixtures/jobs/worker-process.ts';
import { waitFor } from '../../test/helpers/processes.ts';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/test-database.ts';
import type { JobDefinition } from './job.definition.ts';
import { createJobQueue, type JobQueue } from './job.queue.ts';

/**
 * Several workers compete for the same 200 jobs; each job must be handled exactly once. On
 * PostgreSQL the workers are three processes with their own connection pools, which is what
 * SKIP LOCKED has to get right. PGlite admits one process, so there they are three independent
 * queues (each its own pg-boss and runner) in this process, sharing its one connection.
 */
const JOBS = 200;
const WORKERS = 3;

interface Claim {
  jobId: string;
  n: number;
  worker: string;
}

interface Workers {
  ready(): Promise<void>;
  claims(): Promise<Claim[]>;
  stop(): Promise<void>;
}

let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t?.destroy());

function processWorkers(test: TestDatabase): Workers {
  const { admin, url } = test;
  if (!admin || !url) throw new Error('PostgreSQL only');
  let children: WorkerProcess[] = [];
  return {
    async ready() {
      // Outside the app's schema on purpose: a plain table with no unique key, so a job handled
      // twice would show as two rows instead of failing the second insert.
      await admin.query('CREATE TABLE public.job_claims (job_id uuid NOT NULL, n int NOT NULL, worker text NOT NULL)');
      await admin.query('GRANT SELECT, INSERT ON public.job_claims TO vigil_app');
      children = Array.from({ length: WORKERS }, () =>
        spawnWorker({ database: { kind: 'postgres', url }, job: 'claim-counter', behaviour: 'record', concurrency: 4 }),
      );
      await Promise.all(children.map((child) => child.waitFor((e) => e.event === 'ready', 60_000, 'the worker to start')));
    },
    async claims() {
      const { rows } = await admin.query<Claim>('SELECT job_id AS "jobId", n, worker FROM public.job_claims');
      return rows;
    },
    async stop() {
      for (const child of children) child.kill('SIGTERM');
      const finished = await Promise.all(children.map((child) => child.exited));
      expect(finished.map((f) => f.code)).toEqual(children.map(() => 0));
      // Each worker reports the errors it logged; a failed completion would show here.
      for (const child of children) expect(child.events().find((e) => e.event === 'stopped')?.errors).toEqual([]);
    },
  };
}

function inProcessWorkers(test: TestDatabase): Workers {
  const claims: Claim[] = [];
  const loggers = Array.from({ length: WORKERS }, () => memoryLogger());
  const queues: JobQueue[] = loggers.map((logger, i) =>
    createJobQueue({
      database: test.database,
      logger,
      concurrency: 4,
      pollIntervalSeconds: 0.2,
      jobs: [
        claimCounterJob(async (payload: Numbered, ctx) => {
          claims.push({ jobId: ctx.jobId, n: payload.n, worker: `queue-${i}` });
          await sleep(5);
        }),
      ],
    }),
  );
  return {
    async ready() {
      for (const queue of queues) await queue.start({ work: true });
    },
    async claims() {
      return [...claims];
    },
    async stop() {
      await Promise.all(queues.map((queue) => queue.stop({ graceful: true, timeoutMs: 5_000 })));
      expect(loggers.flatMap((logger) => logger.lines.filter((line) => line.level === 'error'))).toEqual([]);
    },
  };
}

describe('claiming', () => {
  it(`hands each of ${JOBS} jobs to exactly one of ${WORKERS} competing workers`, async () => {
    const counter: JobDefinition<Numbered> = claimCounterJob(async () => {
      throw new Error('this process only sends');
    });
    const sender = createJobQueue({
      database: t.database,
      logger: memoryLogger(),
      concurrency: 1,
      pollIntervalSeconds: 1,
      jobs: [counter],
    });
    await sender.start({ work: false });
    const workers = t.url ? processWorkers(t) : inProcessWorkers(t);
    try {
      await workers.ready();
      const sent: string[] = [];
      for (let n = 0; n < JOBS; n++) sent.push((await sender.send(counter, { n })).id);

      // Every job completed means none can be claimed again: the count below is final.
      await waitFor(
        async () => {
          const { rows } = await t.database.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'test.claim-counter' AND state = 'completed'",
          );
          return rows[0]?.n === JOBS;
        },
        60_000,
        `${JOBS} completed jobs`,
      );
      await workers.stop();

      const claims = await workers.claims();
      expect(claims).toHaveLength(JOBS);
      expect(new Set(claims.map((c) => c.jobId))).toEqual(new Set(sent));
      expect(claims.map((c) => c.n).sort((a, b) => a - b)).toEqual(Array.from({ length: JOBS }, (_, n) => n));
      // They did compete: the work was shared, not drained by whoever started first.
      expect(new Set(claims.map((c) => c.worker)).size).toBeGreaterThanOrEqual(2);
    } finally {
      await sender.stop({ graceful: false, timeoutMs: 1_000 });
    }
  });
});
