/**
 * `healthz-probe.ts URL SECONDS`: one sequential client asking URL every ~5 ms for SECONDS, in a
 * process of its own so the load generator's event loop never delays its measurements. Prints
 * `ready` once the first answer arrives, then one JSON line of latencies (ms) at the end.
 */
import { Agent, request } from 'node:http';

const [url, seconds] = process.argv.slice(2);
if (!url || !seconds) throw new Error('usage: healthz-probe.ts URL SECONDS');
const INTERVAL_MS = 5;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function ask(): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(url as string, { agent }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - started) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

await ask();
process.stdout.write('ready\n');
const latencies: number[] = [];
const until = performance.now() + Number(seconds) * 1000;
while (performance.now() < until) {
  const took = await ask();
  latencies.push(took);
  if (took < INTERVAL_MS) await new Promise((r) => setTimeout(r, INTERVAL_MS - took));
}
agent.destroy();
process.stdout.write(`${JSON.stringify(latencies)}\n`);
