import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type ActionResult, actionListSchema } from '@vigil/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processRunner, runPendingActions } from '../../../../agent/src/actions/index.ts';
import { actionKeys } from './actions.signing.ts';
import { type ActionsKit, call, createActionsKit } from './actions.test-kit.ts';

/**
 * Both sides for real: the server signs an approved action through its routes, the agent's
 * actions runner pulls it through those routes (app.inject standing in for the network), checks
 * it against the published keys, runs it as a real child process and reports back.
 */
let kit: ActionsKit;
beforeAll(async () => {
  kit = await createActionsKit();
});
afterAll(() => kit?.close());

function agentSide(token: string, assetId: string, calls: string[][]) {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-cross-'));
  const real = processRunner(70_000);
  const logged: string[] = [];
  const log = { info: (m: string) => logged.push(m), warn: (m: string) => logged.push(m), error: (m: string) => logged.push(m) };
  return {
    logged,
    run: () =>
      runPendingActions({
        fetchActions: async () => actionListSchema.parse((await call(kit.app, 'GET', '/agent/actions', token)).json()),
        reportResult: async (actionId: string, result: ActionResult) => {
          const response = await call(kit.app, 'POST', `/agent/actions/${actionId}/result`, token, result);
          if (response.statusCode !== 204) throw new Error(`server answered ${response.statusCode}`);
        },
        assetId,
        trustedKeys: actionKeys(kit.keyring),
        replayStorePath: path.join(dir, 'action-nonces.json'),
        // A real child process stands in for systemctl: it prints what it was asked to do.
        runner: (argv, timeoutMs) => {
          calls.push([...argv]);
          return real([process.execPath, '-e', 'process.stdout.write("restarted " + process.argv.at(-1))', ...argv], timeoutMs);
        },
        log,
        root: dir,
      }),
  };
}

describe('a server-signed action, run by the agent', () => {
  it('is verified with the published key, run once, and its result lands on the action', async () => {
    const w = await kit.world();
    const engineer = await w.person('ENGINEER');
    const command = { kind: 'restart_service', unit: 'nginx.service' };
    const pending = (await call(kit.app, 'POST', `/assets/${w.server.id}/actions`, engineer.auth, { command })).json();
    const calls: string[][] = [];
    const agent = agentSide(w.agent(w.server.id), w.server.id, calls);

    // Unapproved: the agent gets nothing, runs nothing.
    expect(await agent.run()).toEqual({ ran: 0, refused: 0, unreported: 0, resent: 0 });
    await call(kit.app, 'POST', `/actions/${pending.id}/approve`, (await w.person('ADMIN')).auth);

    expect(await agent.run()).toEqual({ ran: 1, refused: 0, unreported: 0, resent: 0 });
    expect(calls).toEqual([['/usr/bin/systemctl', 'restart', 'nginx.service']]);
    const done = (await call(kit.app, 'GET', `/actions/${pending.id}`, engineer.auth)).json();
    expect(done).toMatchObject({ status: 'succeeded', result: { outcome: 'succeeded', exitCode: 0, truncated: false } });
    expect(done.result.stdout).toContain('restarted nginx.service');
    // Nothing left to run.
    expect(await agent.run()).toEqual({ ran: 0, refused: 0, unreported: 0, resent: 0 });
    expect(calls).toHaveLength(1);
  });

  it('is refused by an agent that believes it is another server, and the refusal is recorded on the action', async () => {
    const w = await kit.world();
    const command = { kind: 'restart_service', unit: 'nginx.service' };
    const created = (await call(kit.app, 'POST', `/assets/${w.server.id}/actions`, (await w.person('ENGINEER')).auth, { command })).json();
    await call(kit.app, 'POST', `/actions/${created.id}/approve`, (await w.person('ADMIN')).auth);
    // The right token (so the server delivers it), but an agent that believes it is another server.
    const calls: string[][] = [];
    const confused = agentSide(w.agent(w.server.id), w.clientServer.id, calls);
    expect(await confused.run()).toEqual({ ran: 0, refused: 1, unreported: 0, resent: 0 });
    expect(calls).toEqual([]);
    const view = (await call(kit.app, 'GET', `/actions/${created.id}`, (await w.person('OWNER')).auth)).json();
    expect(view).toMatchObject({ status: 'refused', result: { outcome: 'refused', refusal: expect.stringMatching(/another server/) } });
  });
});
