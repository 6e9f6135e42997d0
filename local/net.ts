import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';

/** Loopback only: nothing the local stack serves is reachable from another machine. */
export const LOOPBACK = '127.0.0.1';

function tryListen(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(undefined));
    srv.listen(port, LOOPBACK, () => {
      const addr = srv.address();
      const bound = addr !== null && typeof addr !== 'string' ? addr.port : undefined;
      srv.close(() => resolve(bound));
    });
  });
}

/** Lowest port of the kernel's ephemeral range (ports it hands out for bind(0) and outgoing connects). */
function ephemeralLow(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const n = Number(low);
    return Number.isInteger(n) && n > 1024 ? n : 32768;
  } catch {
    return 32768;
  }
}

/**
 * A port that was free a moment ago, for a child process to bind. Picked at random below the kernel's
 * ephemeral range and checked by binding it: a port from bind(0) can be handed straight to an outgoing
 * connection of any process before the child binds it (seen here: the emulator then fails with
 * BindException). Falls back to bind(0).
 */
export async function freePort(): Promise<number> {
  const high = ephemeralLow();
  const low = 20_000;
  if (high - low > 1000) {
    for (let i = 0; i < 50; i++) {
      const candidate = low + Math.floor(Math.random() * (high - low));
      if ((await tryListen(candidate)) === candidate) return candidate;
    }
  }
  const port = await tryListen(0);
  if (port === undefined) throw new Error('could not find a free loopback port');
  return port;
}

/** True when something accepts TCP connections on host:port. */
export async function isPortOpen(port: number, host = LOOPBACK): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ port, host });
    const done = (open: boolean) => {
      sock.destroy();
      resolve(open);
    };
    sock.setTimeout(1000, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Starts `server` on loopback (`port` 0: any free one) and resolves with the port it got. */
export async function listenOnLoopback(server: import('node:http').Server, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, LOOPBACK, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as import('node:net').AddressInfo).port;
}

/** Stops `server`, ending kept-alive connections too (the SDKs keep theirs open). */
export function closeServer(server: import('node:http').Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
