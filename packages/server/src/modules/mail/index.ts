import type { Db } from '../../db/database.ts';
import { mailRoutes } from './mail.routes.ts';
import { createMailService } from './mail.service.ts';

export type { OutboxEntry, OutboxPage } from './mail.schemas.ts';
export type { MailService } from './mail.service.ts';

/** The mail outbox as the API shows it; sending stays in `lib/mailer`. */
export function createMailModule(deps: { db: Db }) {
  const service = createMailService(deps);
  return { service, routes: mailRoutes(service) };
}
