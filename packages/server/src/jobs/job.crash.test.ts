import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crashProbeJob, memoryLogger, type Numbered } from '../../test/fixtures/jobs/test-jobs.ts';
import { spawnWorker, type WorkerEvent, type WorkerProcess } from '../../test/fixtures/jobs/worker-process.ts';
import { waitFor } from '../../test/helpers/processes.ts';
import { createTestDatabase, onPostgres, type TestDatabase } from '../../test/helpers/test-database.ts';
import { openDatabase } from '../db/database.ts';
import { createJobQueue } from './job.queue.ts';

/**
 * A worker that dies with kill -9 in the middle of a job must not lose it. The job was claimed
 * (state active) by the dead process; once its 2 s expiry passes, maintenance puts it back and
 * another worker runs it. On PostgreSQL the second worker is another process, started after the kill;
 * on PGlite, where one process at a time may open the data, it is the test process, which takes
 * over the dead worker's data directory. Either way the job sits claimed by a dead process until
 * its expiry, and nothing but the expiry brings it back.
 */
interface Outcome {
  claimed: WorkerEvent;
  handled: { jobId: string; attempt: number; n: number };
  state: string | undefined;
}

let t: TestDatabase | null = null;
const workers: WorkerProcess[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  if (onPostgres) t = await createTestDatabase();
});
afterAll(async () => {
  for (const worker of workers) worker.kill('SIGKILL');
  await t?.destroy();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function track(worker: WorkerProcess): WorkerProcess {
  workers.push(worker);
  return worker;
}

const mustNotRun = async () => {
  throw new Error('this process only sends');
};

async function crashOnPostgres(test: TestDatabase): Promise<Outcome> {
  const url = test.url as string;
  const probe = crashProbeJob(mustNotRun);
  const sender = createJobQueue({ database: test.database, logger: memoryLogger(), concurrency: 1, pollIntervalSeconds: 1, jobs: [probe] });
  await sender.start({ work: false });
  try {
    const { id } = await sender.send(probe, { n: 7 });
    const doomed = track(spawnWorker({ database: { kind: 'postgres', url }, job: 'crash-probe', behaviour: 'hang', concurrency: 1 }));
    const claimed = await doomed.waitFor((e) => e.event === 'claimed', 30_000, 'the first claim');
    expect(claimed.jobId).toBe(id);
    // Killed at once: left alive past the 2 s expiry, its own runner would time the run out and
    // might claim the job again before the kill.
    doomed.kill('SIGKILL');
    expect((await doomed.exited).signal).toBe('SIGKILL');
    expect(doomed.events().filter((e) => e.event === 'claimed')).toHaveLength(1);
    const survivor = track(spawnWorker({ database: { kind: 'postgres', url }, job: 'crash-probe', behaviour: 'complete', concurrency: 2 }));

    const handled = await survivor.waitFor((e) => e.event === 'handled', 30_000, 'the job, handled by the second worker');
    await waitFor(async () => (await sender.getJob(probe, id))?.state === 'completed', 10_000, 'the completion');
    survivor.kill('SIGTERM');
    const finished = await survivor.exited;
    expect(finished.code).toBe(0);
    expect(survivor.events().filter((e) => e.event === 'handled')).toHaveLength(1);
    return {
      claimed,
      handled: { jobId: handled.jobId ?? '', attempt: handled.attempt ?? 0, n: handled.n ?? -1 },
      state: (await sender.getJob(probe, id))?.state,
    };
  } finally {
    await sender.stop({ graceful: false, timeoutMs: 1_000 });
  }
}

async function crashOnPglite(): Promise<Outcome> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vigil-jobs-crash-'));
  dirs.push(dataDir);
  const doomed = track(
    spawnWorker({ database: { kind: 'pglite', dataDir }, job: 'crash-probe', behaviour: 'hang', concurrency: 1, send: 1 }),
  );
  const claimed = await doomed.waitFor((e) => e.event === 'claimed', 60_000, 'the first claim');
  doomed.kill('SIGKILL');
  expect((await doomed.exited).signal).toBe('SIGKILL');
  expect(doomed.events().filter((e) => e.event === 'claimed')).toHaveLength(1);

  // The dead worker's lock on the directory is stale, so this process may take it over.
  const database = await openDatabase({ kind: 'pglite', dataDir });
  const handled: Outcome['handled'][] = [];
  const probe = crashProbeJob(async (payload: Numbered, ctx) => {
    handled.push({ jobId: ctx.jobId, attempt: ctx.attempt, n: payload.n });
  });
  const queue = createJobQueue({
    database,
    logger: memoryLogger(),
    concurrency: 2,
    pollIntervalSeconds: 0.2,
    maintenanceIntervalSeconds: 1,
    jobs: [probe],
  });
  try {
    await queue.start({ work: true });
    await waitFor(async () => (await queue.getJob(probe, claimed.jobId ?? ''))?.state === 'completed', 30_000, 'the completion');
    expect(handled).toHaveLength(1);
    return { claimed, handled: handled[0] as Outcome['handled'], state: (await queue.getJob(probe, claimed.jobId ?? ''))?.state };
  } finally {
    await queue.stop({ graceful: true, timeoutMs: 1_000 });
    await database.close();
  }
}

describe('a worker killed with SIGKILL mid-job', () => {
  it('does not lose the job: another worker completes it after the job’s expiry', async () => {
    const outcome = t ? await crashOnPostgres(t) : await crashOnPglite();
    expect(outcome.claimed).toMatchObject({ event: 'claimed', attempt: 1 });
    // The second run is the same job, counted as the second attempt.
    expect(outcome.handled).toEqual({ jobId: outcome.claimed.jobId, attempt: 2, n: outcome.claimed.n });
    expect(outcome.state).toBe('completed');
  });
});
