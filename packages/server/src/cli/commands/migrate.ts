import { createLogger, openConfiguredDatabase, readConfig } from '../runtime.ts';

export async function migrateCommand(): Promise<void> {
  const config = readConfig();
  const logger = createLogger(config);
  let applied: string[] = [];
  const database = await openConfiguredDatabase(config, logger, {
    onMigrated: (result) => {
      applied = result.applied;
    },
  });
  await database.close();
  process.stdout.write(applied.length > 0 ? `applied ${applied.length} migration(s): ${applied.join(', ')}\n` : 'database is up to date\n');
}
