import { verifyAuditChains } from '../../modules/audit/audit.verify.ts';
import { CliExit, EXIT } from '../exit-codes.ts';
import { createLogger, openConfiguredDatabase, readConfig } from '../runtime.ts';

/**
 * `vigil audit verify`: walks every organization's audit chain; exit 0 when all hold, exit 1
 * naming the first broken link of each broken chain.
 */
export async function auditVerifyCommand(): Promise<void> {
  const config = readConfig();
  const logger = createLogger(config);
  const database = await openConfiguredDatabase(config, logger);
  let result: Awaited<ReturnType<typeof verifyAuditChains>>;
  try {
    result = await verifyAuditChains(database.db);
  } finally {
    await database.close();
  }
  if (result.breaks.length > 0) {
    const lines = result.breaks.map(
      (b) => `audit chain broken: org ${b.orgId} entry ${b.seq} (${b.id === null ? 'no such row' : `id ${b.id}`}): ${b.reason}`,
    );
    throw new CliExit(EXIT.FAILURE, lines.join('\n'));
  }
  process.stdout.write(`audit chain verified: ${result.entries} entries in ${result.orgs} organizations\n`);
}
