/**
 * The load side of the ingest benchmark: C concurrent clients, each on its own keep-alive
 * connection, each owning a fixed share of the servers (one agent never sends two inventories of
 * its server at once, as a real one does not), posting inventories back to back for a fixed time.
 */
import { Agent, request } from 'node:http';

export interface PhaseResult {
  seconds: number;
  /** 200 answers whose receipt said what the phase expected (changed or not). */
  expected: number;
  /** Any other answer, by status (or `200 changed=…` when the receipt disagreed). */
  unexpected: Record<string, number>;
  /** Milliseconds, sorted. */
  latencies: number[];
  /** CPU time of this process (server and clients, all threads) over the phase, ms. */
  cpuMs: number;
  /** Findings the receipts said were opened, fixed or reopened: matching did work. */
  findingsMoved: number;
}

interface Receipt {
  changed: boolean;
  findings: { opened: number; fixed: number; reopened: number; open: number };
}

export const quantile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;

function post(agent: Agent, url: string, token: string, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-encoding': 'gzip',
          'content-length': body.length,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      },
    );
    req.setTimeout(120_000, () => req.destroy(new Error('inventory upload timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

/** Sends one inventory; throws unless it was accepted (set-up and warm-up must succeed). */
export async function sendOnce(url: string, token: string, body: Buffer): Promise<Receipt> {
  const agent = new Agent({ keepAlive: false });
  const answer = await post(agent, url, token, body);
  agent.destroy();
  if (answer.status !== 200) throw new Error(`inventory refused: ${answer.status} ${answer.text.slice(0, 300)}`);
  return JSON.parse(answer.text) as Receipt;
}

/**
 * For `seconds`, `clients` clients post `bodyFor(server)` for their servers in turn. A body is
 * asked for only when it is sent, so a changing server's inventories arrive in order.
 */
export async function runPhase(opts: {
  url: string;
  tokens: string[];
  clients: number;
  seconds: number;
  changed: boolean;
  bodyFor: (server: number) => Buffer;
}): Promise<PhaseResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: opts.clients });
  const result: PhaseResult = { seconds: 0, expected: 0, unexpected: {}, latencies: [], cpuMs: 0, findingsMoved: 0 };
  const cpu = process.cpuUsage();
  const started = performance.now();
  const until = started + opts.seconds * 1000;
  await Promise.all(
    Array.from({ length: opts.clients }, async (_, client) => {
      const mine = opts.tokens.map((_, server) => server).filter((server) => server % opts.clients === client);
      for (let turn = 0; performance.now() < until; turn++) {
        const server = mine[turn % mine.length] as number;
        const body = opts.bodyFor(server);
        const sent = performance.now();
        const answer = await post(agent, opts.url, opts.tokens[server] as string, body);
        result.latencies.push(performance.now() - sent);
        const receipt = answer.status === 200 ? (JSON.parse(answer.text) as Receipt) : null;
        const changed = receipt?.changed ?? null;
        if (receipt) result.findingsMoved += receipt.findings.opened + receipt.findings.fixed + receipt.findings.reopened;
        if (changed === opts.changed) result.expected++;
        else {
          const key = changed === null ? String(answer.status) : `200 changed=${changed}`;
          result.unexpected[key] = (result.unexpected[key] ?? 0) + 1;
        }
      }
    }),
  );
  // Every client finishes the upload it had started: the window ends when the last one answers.
  result.seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  result.cpuMs = (used.user + used.system) / 1000;
  agent.destroy();
  result.latencies.sort((a, b) => a - b);
  return result;
}
