import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The front of one function, as Cloud Run fronts a gen2 function's instances: its address stays the same
 * while instances come and go; a request that arrives while no instance is up waits for the next one (a
 * cold start), up to a bound; a request whose instance dies under it gets a 503 — a failed push that
 * Pub/Sub redelivers with backoff and, in the end, dead-letters.
 *
 * Without it the Pub/Sub emulator, tried on these machines, pushes to a crashed instance's closed port
 * again and again with no backoff and then never pushes those messages again: neither redelivered nor
 * dead-lettered (local/chaos found it).
 */

/** How long a request waits for an instance to start before it gets a 503, by default. */
const COLD_START_WAIT_MS = 30_000;

export interface FrontDoor {
  readonly url: string;
  /** Sends requests to the instance listening on this port from now on (null: none is up). */
  setTarget(port: number | null): void;
  /**
   * Sends requests to these instances from now on, each to the one with the fewest requests in flight
   * (Cloud Run routes by each instance's concurrency); empty: none is up.
   */
  setTargets(ports: readonly number[]): void;
  close(): Promise<void>;
}

function unavailable(res: import('node:http').ServerResponse, why: string) {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(503, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { code: 'instance_unavailable', message: why } }));
}

export async function openFrontDoor(options: { coldStartWaitMs?: number } = {}): Promise<FrontDoor> {
  const coldStartWaitMs = options.coldStartWaitMs ?? COLD_START_WAIT_MS;
  let targets: number[] = [];
  const inFlight = new Map<number, number>();
  let waiting: (() => void)[] = [];
  const leastBusy = (): number | null =>
    targets.reduce<number | null>(
      (best, port) => (best === null || (inFlight.get(port) ?? 0) < (inFlight.get(best) ?? 0) ? port : best),
      null,
    );
  /** The port of a serving instance, waiting up to coldStartWaitMs for one; null if none came up. */
  const instance = async (): Promise<number | null> => {
    if (targets.length > 0) return leastBusy();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, coldStartWaitMs);
      waiting.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    return leastBusy();
  };
  const setTargets = (ports: readonly number[]) => {
    targets = [...ports];
    if (targets.length > 0) {
      for (const wake of waiting) wake();
      waiting = [];
    }
  };
  const server: Server = createServer(async (req, res) => {
    const port = await instance();
    if (port === null) {
      req.resume();
      unavailable(res, 'no instance is serving');
      return;
    }
    inFlight.set(port, (inFlight.get(port) ?? 0) + 1);
    res.once('close', () => inFlight.set(port, Math.max(0, (inFlight.get(port) ?? 1) - 1)));
    const upstream = request(
      { host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('error', () => res.destroy());
      },
    );
    upstream.on('error', () => unavailable(res, 'the instance is down or crashed during the request'));
    req.pipe(upstream);
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    setTarget(port) {
      setTargets(port === null ? [] : [port]);
    },
    setTargets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const wake of waiting) wake();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
