import { bootstrapFirstOrganization } from '../../modules/tenancy/index.ts';
import { createLogger, openConfiguredDatabase, readConfig } from '../runtime.ts';

export async function bootstrapCommand(options: { org: string; email: string }): Promise<void> {
  const config = readConfig();
  const logger = createLogger(config);
  const database = await openConfiguredDatabase(config, logger);
  try {
    const result = await bootstrapFirstOrganization({ db: database.db, config }, { orgName: options.org, email: options.email });
    process.stdout.write(
      [
        `Created organization "${options.org.trim()}" with owner ${options.email}.`,
        `Open this one-time link to set the password (it is shown only now and expires ${result.expiresAt.toISOString()}):`,
        `  ${result.setupLink}`,
        '',
      ].join('\n'),
    );
  } finally {
    await database.close();
  }
}
