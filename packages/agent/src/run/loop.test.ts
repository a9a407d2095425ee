import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_PATHS } from '@vigil/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentClient } from '../client/agent-client.ts';
import {
  ACTION_KEY,
  AGENT_TOKEN,
  type FakeVigilServer,
  sendJson,
  sendProblem,
  startFakeVigilServer,
} from '../client/fake-vigil-server.testkit.ts';
import { makeInventory } from '../client/inventory.testkit.ts';
import { EMPTY_STATE } from '../state/agent-state.ts';
import { agentPaths } from '../state/paths.ts';
import type { CycleContext } from './cycle.ts';
import { runLoop } from './loop.ts';
import { BACKOFF_CAP_MS, backoffMs, jittered } from './timing.ts';

let server: FakeVigilServer;
let dir: string;
beforeEach(async () => {
  server = await startFakeVigilServer();
  dir = await mkdtemp(join(tmpdir(), 'vigil-agent-loop-'));
});
afterEach(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

function context(controller: AbortController, lines: string[]): CycleContext {
  return {
    client: new AgentClient({ server: server.url, token: AGENT_TOKEN, agentVersion: '1.0.0', timeoutMs: 5_000 }),
    paths: agentPaths({ configDir: join(dir, 'etc'), stateDir: dir }),
    config: {
      server: server.url,
      insecureHttp: false,
      assetId: server.assetId,
      enrolledAt: new Date().toISOString(),
      actionKeys: [ACTION_KEY],
      checkInSeconds: 300,
    },
    state: { ...EMPTY_STATE },
    root: dir,
    collect: async () => makeInventory(),
    hooks: {},
    agentVersion: '1.0.0',
    log: { info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) },
    signal: controller.signal,
    now: () => new Date(),
    uptimeSeconds: () => 1,
  };
}

describe('runLoop', () => {
  it('backs off exponentially on 5xx, then returns to the server interval', async () => {
    let failing = 3;
    server.handle(AGENT_PATHS.checkIn, (_request, response) => {
      if (failing-- > 0) return sendProblem(response, 503, 'Service Unavailable');
      sendJson(response, 200, { ...server.checkIn, nextCheckInSeconds: 600 });
    });
    const controller = new AbortController();
    const waits: number[] = [];
    const lines: string[] = [];
    const outcome = await runLoop(context(controller, lines), {
      once: false,
      random: () => 1,
      sleep: async (ms) => {
        waits.push(ms);
        if (waits.length === 5) controller.abort();
      },
    });
    expect(outcome).toBe('stopped');
    expect(waits).toEqual([15_000, 30_000, 60_000, 660_000, 660_000]);
    expect(lines.filter((line) => line.startsWith('warn'))).toHaveLength(3);
    expect(lines[0]).toMatch(/^warn the server answered 503 Service Unavailable; retrying in 15 s$/);
  });

  it('keeps the normal interval after a 4xx, and stops at once on 401', async () => {
    let answers = [422, 401];
    server.handle(AGENT_PATHS.checkIn, (_request, response) => sendProblem(response, answers[0] ?? 500, 'Refused'));
    const waits: number[] = [];
    const lines: string[] = [];
    const outcome = await runLoop(context(new AbortController(), lines), {
      once: false,
      random: () => 0.5,
      sleep: async (ms) => {
        waits.push(ms);
        answers = answers.slice(1);
      },
    });
    expect(outcome).toBe('token-refused');
    expect(waits).toEqual([300_000]);
    expect(server.requests).toHaveLength(2);
  });

  it('returns once-failed on an unreachable server with --once, without waiting', async () => {
    await server.close();
    const waits: number[] = [];
    const outcome = await runLoop(context(new AbortController(), []), { once: true, sleep: async (ms) => void waits.push(ms) });
    expect(outcome).toBe('once-failed');
    expect(waits).toEqual([]);
    server = await startFakeVigilServer();
  });
});

describe('timing', () => {
  it('caps the back-off and keeps it between half and all of the ceiling', () => {
    expect(backoffMs(1, () => 0)).toBe(7_500);
    expect(backoffMs(100, () => 1)).toBe(BACKOFF_CAP_MS);
    expect(backoffMs(100, () => 0)).toBe(BACKOFF_CAP_MS / 2);
  });

  it('jitters the check-in interval by ±10%', () => {
    expect(jittered(100, () => 0)).toBe(90_000);
    expect(jittered(100, () => 1)).toBe(110_000);
  });
});
