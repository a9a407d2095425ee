export { BOSS_SCHEMA } from './boss.adapter.ts';
export {
  deadLetterQueueName,
  defineJob,
  type JobContext,
  type JobDefinition,
  type RetryPolicy,
} from './job.definition.ts';
export { JOB_ERRORS } from './job.errors.ts';
export {
  createJobQueue,
  type DeadLetter,
  type JobQueue,
  type JobQueueOptions,
  type JobSnapshot,
  type JobState,
  type SendOptions,
  type SendResult,
} from './job.queue.ts';
export type { JobFailure, JobLogger } from './job.worker.ts';
