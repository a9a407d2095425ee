import { errorFactory } from '../lib/app-error.ts';

/**
 * A refused job is a bug in the code that sends it, never the caller's input (services validate
 * requests before they enqueue), hence 500s: the HTTP layer must not echo job internals.
 */
export const JOB_ERRORS = {
  JOB_DEFINITION_INVALID: { status: 500, title: 'A job definition is not valid' },
  JOB_PAYLOAD_INVALID: { status: 500, title: 'A job payload is not valid' },
  JOB_NOT_REGISTERED: { status: 500, title: 'The job is not registered with this queue' },
  JOB_QUEUE_NOT_RUNNING: { status: 503, title: 'The job queue is not running' },
  JOB_HANDLER_TIMEOUT: { status: 500, title: 'A job handler ran past its expiry' },
  JOB_ABANDONED: { status: 503, title: 'The worker stopped before the job finished' },
} as const;

export const jobError = errorFactory(JOB_ERRORS);
