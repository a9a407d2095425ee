import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { memoryLogger } from '../../test/fixtures/jobs/test-jobs.ts';
import { waitFor } from '../../test/helpers/processes.ts';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/test-database.ts';
import { defineJob, type JobContext, type JobDefinition } from './job.definition.ts';
import { createJobQueue, type JobQueue, type JobQueueOptions } from './job.queue.ts';

/**
 * The queue's behaviour in one process, on whichever driver the suite runs on (PGlite by
 * default, PostgreSQL under DATABASE_URL). Each test uses its own job names, so their queues
 * never see each other's jobs.
 */
let t: TestDatabase;
const open: JobQueue[] = [];

function makeQueue(jobs: JobDefinition[], overrides: Partial<JobQueueOptions> = {}): JobQueue {
  const queue = createJobQueue({
    database: t.database,
    logger: memoryLogger(),
    concurrency: 2,
    pollIntervalSeconds: 0.2,
    maintenanceIntervalSeconds: 1,
    jobs,
    ...overrides,
  });
  open.push(queue);
  return queue;
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const nothing = async () => {};

async function countJobs(name: string): Promise<number> {
  const { rows } = await t.database.query<{ n: number }>('SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1', [name]);
  return rows[0]?.n ?? -1;
}

beforeAll(async () => {
  t = await createTestDatabase();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((queue) => queue.stop({ graceful: false, timeoutMs: 1_000 })));
});
afterAll(() => t?.destroy());

describe('retries and dead letters', () => {
  it('retries a throwing job with exponential backoff, then dead-letters it with its payload and error', async () => {
    const runs: { attempt: number; at: number; startedOn: Date; startAfter: Date }[] = [];
    const failing: JobDefinition<{ site: string }> = defineJob({
      name: 'test.always-fails',
      payload: z.object({ site: z.string() }),
      retry: { limit: 2, delaySeconds: 1, backoff: true },
      expireInSeconds: 30,
      async handler(_payload, ctx) {
        const at = Date.now();
        const row = await queue.getJob(failing, ctx.jobId);
        if (!row?.startedOn) throw new Error('the running job must be readable');
        runs.push({ attempt: ctx.attempt, at, startedOn: row.startedOn, startAfter: row.startAfter });
        throw new Error(`upstream refused (attempt ${ctx.attempt} of ${ctx.maxAttempts})`);
      },
    });
    const queue = makeQueue([failing]);
    await queue.start({ work: true });

    const { id } = await queue.send(failing, { site: 'example.org' });
    await waitFor(async () => (await queue.deadLetters(failing)).length > 0, 20_000, 'the dead letter');

    expect(runs.map((run) => run.attempt)).toEqual([1, 2, 3]);
    const [first, second, third] = runs as [(typeof runs)[0], (typeof runs)[0], (typeof runs)[0]];
    // The delay each failure scheduled, from the database's own timestamps: pg-boss draws retry n
    // from [delay·2^(n-1), delay·2^n), so with 1 s the first lies in [1, 2) and the second in [2, 4).
    const scheduled = [
      (second.startAfter.getTime() - first.startedOn.getTime()) / 1000,
      (third.startAfter.getTime() - second.startedOn.getTime()) / 1000,
    ] as const;
    expect(scheduled[0]).toBeGreaterThanOrEqual(1);
    expect(scheduled[0]).toBeLessThan(2.5);
    expect(scheduled[1]).toBeGreaterThanOrEqual(2);
    expect(scheduled[1]).toBeGreaterThan(scheduled[0]);
    // And the runs really waited that long (a few milliseconds of slack between the two clocks).
    expect(second.at - first.at).toBeGreaterThanOrEqual(900);
    expect(third.at - second.at).toBeGreaterThanOrEqual(1_900);

    const [dead, ...more] = await queue.deadLetters(failing);
    expect(more).toEqual([]);
    expect(dead?.payload).toEqual({ site: 'example.org' });
    expect(dead?.error).toMatchObject({ name: 'Error', message: 'upstream refused (attempt 3 of 3)', jobId: id, attempt: 3 });
    expect(dead?.error.stack).toContain('upstream refused');
    expect(await queue.getJob(failing, id)).toMatchObject({ state: 'failed', attempts: 3 });
  });

  it('dead-letters a stored payload that no longer fits its job, without retrying and without running the handler', async () => {
    // A job queued by the previous release, whose payload shape this release has changed.
    const before = defineJob({
      name: 'test.reshaped',
      payload: z.object({ host: z.string() }),
      retry: { limit: 3, delaySeconds: 0, backoff: false },
      expireInSeconds: 30,
      handler: nothing,
    });
    let ran = 0;
    const after = defineJob({
      ...before,
      payload: z.object({ hostname: z.string() }),
      async handler() {
        ran++;
      },
    });
    const sender = makeQueue([before]);
    await sender.start({ work: false });
    const { id } = await sender.send(before, { host: 'db1' });
    const worker = makeQueue([after]);
    await worker.start({ work: true });

    await waitFor(async () => (await worker.deadLetters(after)).length > 0, 10_000, 'the dead letter');
    const [dead] = await worker.deadLetters(after);
    expect(dead?.payload).toEqual({ host: 'db1' });
    expect(dead?.error).toMatchObject({ code: 'JOB_PAYLOAD_INVALID', attempt: 1 });
    expect(dead?.error.message).toContain('hostname: Invalid input');
    expect(await worker.getJob(after, id)).toMatchObject({ state: 'failed', attempts: 1 });
    expect(ran).toBe(0);
  });
});

describe('sending', () => {
  const reading = defineJob({
    name: 'test.reading',
    payload: z.object({ n: z.number().int().nonnegative() }),
    retry: { limit: 0, delaySeconds: 0, backoff: false },
    expireInSeconds: 30,
    handler: nothing,
  });

  it('refuses a malformed payload on send with a clear error, and stores nothing', async () => {
    const queue = makeQueue([reading]);
    await queue.start({ work: false });
    await expect(queue.send(reading, { n: -1 })).rejects.toMatchObject({
      code: 'JOB_PAYLOAD_INVALID',
      message: 'job test.reading: n: Too small: expected number to be >=0',
    });
    await expect(queue.send(reading, { n: 'one' } as unknown as { n: number })).rejects.toMatchObject({ code: 'JOB_PAYLOAD_INVALID' });

    // A Date passes the schema but comes back from jsonb as a string: refused now, not on receipt.
    const dated = defineJob({ ...reading, name: 'test.dated', payload: z.object({ at: z.date() }), handler: nothing });
    const datedQueue = makeQueue([dated]);
    await datedQueue.start({ work: false });
    await expect(datedQueue.send(dated, { at: new Date() })).rejects.toMatchObject({
      code: 'JOB_PAYLOAD_INVALID',
      message: expect.stringContaining('does not survive JSON storage'),
    });
    expect(await countJobs('test.reading')).toBe(0);
    expect(await countJobs('test.dated')).toBe(0);
  });

  it('creates one job for an idempotency key sent twice', async () => {
    const queue = makeQueue([reading]);
    await queue.start({ work: false });
    const first = await queue.send(reading, { n: 1 }, { idempotencyKey: 'scan:42' });
    const again = await queue.send(reading, { n: 1 }, { idempotencyKey: 'scan:42' });
    const other = await queue.send(reading, { n: 1 }, { idempotencyKey: 'scan:43' });
    expect(first.created).toBe(true);
    expect(again).toEqual({ id: first.id, created: false });
    expect(other.created).toBe(true);
    expect(other.id).not.toBe(first.id);
    expect(await countJobs('test.reading')).toBe(2);
  });

  it('refuses to send before start, after stop, or a job it was not given', async () => {
    const queue = makeQueue([reading]);
    await expect(queue.send(reading, { n: 1 })).rejects.toMatchObject({ code: 'JOB_QUEUE_NOT_RUNNING' });
    await queue.start({ work: false });
    const stranger = defineJob({ ...reading, name: 'test.stranger' });
    // pg-boss would drop a job for a queue it does not know without a word.
    await expect(queue.send(stranger, { n: 1 })).rejects.toMatchObject({ code: 'JOB_NOT_REGISTERED' });
    await queue.stop({ graceful: true, timeoutMs: 1_000 });
    await expect(queue.send(reading, { n: 1 })).rejects.toMatchObject({ code: 'JOB_QUEUE_NOT_RUNNING' });
  });

  it('runs nothing in a send-only process: the job waits for a worker', async () => {
    const handledBy: string[] = [];
    const definition = (who: string) =>
      defineJob({
        ...reading,
        name: 'test.handed-over',
        async handler() {
          handledBy.push(who);
        },
      });
    const api = definition('api');
    const worker = definition('worker');
    const apiQueue = makeQueue([api]);
    await apiQueue.start({ work: false });
    const { id } = await apiQueue.send(api, { n: 1 });
    const workerQueue = makeQueue([worker]);
    await workerQueue.start({ work: true });
    await waitFor(async () => (await apiQueue.getJob(api, id))?.state === 'completed', 10_000, 'completion');
    expect(handledBy).toEqual(['worker']);
  });
});

describe('schedules', () => {
  it('registers a cron schedule and runs its job', async () => {
    const ticks: JobContext[] = [];
    const everyMinute = defineJob({
      name: 'test.every-minute',
      payload: z.object({}),
      retry: { limit: 0, delaySeconds: 0, backoff: false },
      expireInSeconds: 30,
      schedule: '* * * * *',
      async handler(_payload, ctx) {
        ticks.push(ctx);
      },
    });
    const queue = makeQueue([everyMinute], { cronIntervalSeconds: 1 });
    await queue.start({ work: true });
    expect(await queue.schedules()).toEqual([{ name: 'test.every-minute', cron: '* * * * *', timezone: 'UTC' }]);
    // pg-boss fires a schedule whose last occurrence lies within the past minute, so `* * * * *`
    // is due at once; the next check (one second here) sends it.
    await waitFor(async () => ticks.length > 0, 15_000, 'the scheduled run');
    expect(ticks[0]?.attempt).toBe(1);
  });
});

describe('stopping', () => {
  const slowJob = (name: string, handler: JobDefinition<{ n: number }>['handler']) =>
    defineJob({
      name,
      payload: z.object({ n: z.number() }),
      retry: { limit: 1, delaySeconds: 0, backoff: false },
      expireInSeconds: 60,
      handler,
    });

  it('waits for a running handler when graceful, and records its outcome', async () => {
    const started = deferred();
    const release = deferred();
    const slow = slowJob('test.slow', async () => {
      started.resolve();
      await release.promise;
    });
    const observer = makeQueue([slow]);
    await observer.start({ work: false });
    const queue = makeQueue([slow]);
    await queue.start({ work: true });
    const { id } = await queue.send(slow, { n: 1 });
    await started.promise;

    let stopped = false;
    const stopping = queue.stop({ graceful: true, timeoutMs: 30_000 }).then(() => {
      stopped = true;
    });
    // Stop has stopped claiming but must still be waiting for the handler.
    await waitFor(async () => (await observer.getJob(slow, id))?.state === 'active', 5_000, 'the job to stay active');
    expect(stopped).toBe(false);
    release.resolve();
    await stopping;
    expect(await observer.getJob(slow, id)).toMatchObject({ state: 'completed', attempts: 1 });
  });

  it('gives a job back when its handler outlasts the grace period, and tells the handler', async () => {
    const started = deferred();
    let reason: unknown = null;
    const stuck = slowJob('test.stuck', async (_payload, ctx) => {
      started.resolve();
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
      reason = ctx.signal.reason;
    });
    const observer = makeQueue([stuck]);
    await observer.start({ work: false });
    const queue = makeQueue([stuck]);
    await queue.start({ work: true });
    const { id } = await queue.send(stuck, { n: 1 });
    await started.promise;

    const began = Date.now();
    await queue.stop({ graceful: true, timeoutMs: 300 });
    expect(Date.now() - began).toBeGreaterThanOrEqual(290);
    expect(reason).toMatchObject({ code: 'JOB_ABANDONED' });
    // Back in the queue for the next worker, instead of waiting out its 60 s expiry.
    expect(await observer.getJob(stuck, id)).toMatchObject({ state: 'retry', attempts: 1, output: { code: 'JOB_ABANDONED' } });
  });
});
