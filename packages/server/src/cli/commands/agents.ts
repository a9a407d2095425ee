import { listAgents, revokeAgentToken, rotateAgentToken } from '../../modules/agents/agents.admin.ts';
import { createLogger, openConfiguredDatabase, readConfig } from '../runtime.ts';

async function withDatabase<T>(fn: (database: Awaited<ReturnType<typeof openConfiguredDatabase>>) => Promise<T>): Promise<T> {
  const config = readConfig();
  const database = await openConfiguredDatabase(config, createLogger(config));
  try {
    return await fn(database);
  } finally {
    await database.close();
  }
}

/** `vigil agents list`: every server with its agent's state and token prefix (never a token). */
export async function agentsListCommand(options: { json?: boolean }): Promise<void> {
  const agents = await withDatabase(listAgents);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(agents, null, 2)}\n`);
    return;
  }
  const lines = agents.map((a) =>
    [a.assetId, a.orgSlug, a.name, a.state, a.agentVersion ?? '-', a.lastSeenAt ?? 'never', a.tokenPrefix ?? 'no token'].join('\t'),
  );
  process.stdout.write(
    `${['ASSET', 'ORG', 'NAME', 'STATE', 'VERSION', 'LAST SEEN', 'TOKEN'].join('\t')}\n${lines.join('\n')}${lines.length ? '\n' : ''}`,
  );
}

/** `vigil agents rotate ASSET_ID`: prints the new agent token, once; the previous one stops working. */
export async function agentsRotateCommand(assetId: string): Promise<void> {
  const token = await withDatabase((database) => rotateAgentToken(database, assetId));
  process.stdout.write(`${token}\n`);
  process.stderr.write(
    'vigil: the previous agent token of this server is revoked; put this one in the agent’s configuration (shown once)\n',
  );
}

/** `vigil agents revoke ASSET_ID`: the server's agent is refused from its next request. */
export async function agentsRevokeCommand(assetId: string): Promise<void> {
  await withDatabase((database) => revokeAgentToken(database, assetId));
  process.stdout.write(`agent token of ${assetId} revoked\n`);
}
