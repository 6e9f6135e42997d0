import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { accessSync, chownSync, constants, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';
import { freePort, isPortOpen, LOOPBACK, sleep } from './net.js';
import { registerGroup, startWatchdog, stopGroup } from './process-group.js';

/**
 * A real PostgreSQL server for the stores that are databases in production (OPE, billing_prod, cf_prod:
 * gather reads their read replicas through the `pg` driver). Started by the project on a free loopback
 * port in a throw-away data directory, as the leader of its own process group (like the emulators), with
 * durability off: it holds synthetic data for one run. PostgreSQL refuses to run as root, so as root it
 * runs as the `postgres` system user (present wherever the Debian package is installed).
 */

export class PostgresStartError extends Error {
  override readonly name = 'PostgresStartError';
}

export interface LocalPostgres {
  readonly host: string;
  readonly port: number;
  /** Leader of the server's process group; undefined for a server this process did not start. */
  readonly pid: number | undefined;
  /** `postgres://postgres@127.0.0.1:PORT/DATABASE` (trust authentication on loopback). */
  url(database: string): string;
  /** Creates a database (idempotent). */
  createDatabase(name: string): Promise<void>;
  /** Drops a database, ending its sessions (idempotent): a shared server outlives the pipelines on it. */
  dropDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

function onPath(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return dir;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The folder holding initdb and postgres: PATH first, then Debian's /usr/lib/postgresql/<newest>/bin. */
export function postgresBinDir(): string {
  const fromPath = onPath('initdb');
  if (fromPath !== undefined && onPath('postgres') === fromPath) return fromPath;
  let versions: string[] = [];
  try {
    versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
  } catch {
    // not Debian's layout
  }
  for (const v of versions) {
    const dir = `/usr/lib/postgresql/${v}/bin`;
    try {
      accessSync(join(dir, 'initdb'), constants.X_OK);
      return dir;
    } catch {
      // an incomplete install
    }
  }
  throw new PostgresStartError(
    'PostgreSQL is not installed (no initdb and postgres on PATH nor in /usr/lib/postgresql/*/bin). The local ' +
      'cloud runs the OPE, billing_prod and cf_prod stores on it: apt-get install -y postgresql.',
  );
}

/** The uid/gid to run PostgreSQL as: ourselves, or the `postgres` user when we are root. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined)
    throw new PostgresStartError(
      'running as root and there is no `postgres` user to run PostgreSQL as (it refuses root)',
    );
  return { uid: Number(uid), gid: Number(gid) };
}

async function answers(port: number): Promise<boolean> {
  if (!(await isPortOpen(port))) return false;
  const client = new pg.Client({
    host: LOOPBACK,
    port,
    user: 'postgres',
    database: 'postgres',
    connectionTimeoutMillis: 1000,
  });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface StartPostgresOptions {
  port?: number;
  readyTimeoutMs?: number;
}

export async function startLocalPostgres(options: StartPostgresOptions = {}): Promise<LocalPostgres> {
  const bin = postgresBinDir();
  const user = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'driftcontrol-postgres-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  // Asynchronous: initdb takes about a second, during which the rest of a stack keeps starting.
  const init = await new Promise<{ code: number | string | null; output: string }>((resolve) =>
    execFile(
      join(bin, 'initdb'),
      ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync'],
      { encoding: 'utf8', ...(user ?? {}) },
      (error, stdout, stderr) => resolve({ code: error ? (error.code ?? 1) : 0, output: stderr || stdout }),
    ),
  );
  if (init.code !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new PostgresStartError(`initdb failed (${init.code}): ${init.output}`);
  }
  const port = options.port ?? (await freePort());
  const child: ChildProcess = spawn(
    join(bin, 'postgres'),
    [
      ...['-D', data, '-p', String(port), '-k', dir],
      ...['-c', `listen_addresses=${LOOPBACK}`],
      // Synthetic data for one run: no durability, more connections for the function processes.
      ...['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
      ...['-c', 'max_connections=300'],
    ],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'], ...(user ?? {}) },
  );
  const pid = child.pid;
  if (pid === undefined) throw new PostgresStartError('could not spawn postgres');
  registerGroup(pid, `postgres on ${LOOPBACK}:${port}`);
  const watchdogPid = startWatchdog(pid);
  const tail: string[] = [];
  const collect = (chunk: Buffer) => {
    tail.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    tail.splice(0, Math.max(0, tail.length - 20));
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  child.unref();
  for (const stream of [child.stdout, child.stderr]) (stream as { unref?: () => void } | null)?.unref?.();
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });

  const stop = async () => {
    await stopGroup(pid, 5000);
    if (watchdogPid !== undefined) {
      try {
        process.kill(watchdogPid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  while (!(await answers(port))) {
    if (exited || Date.now() > deadline) {
      await stop();
      throw new PostgresStartError(
        `postgres on port ${port} ${exited ? 'exited' : 'did not answer'} before it was ready:\n  ${tail.join('\n  ')}`,
      );
    }
    await sleep(100);
  }

  return postgresHandle(port, pid, stop);
}

/** A handle on a server someone else started (the test run's, `existingPostgres`): stop() leaves it running. */
export function attachLocalPostgres(port: number): LocalPostgres {
  return postgresHandle(port, undefined, async () => {});
}

function postgresHandle(port: number, pid: number | undefined, stop: () => Promise<void>): LocalPostgres {
  const url = (database: string) => `postgres://postgres@${LOOPBACK}:${port}/${encodeURIComponent(database)}`;
  const admin = async (run: (client: pg.Client) => Promise<unknown>) => {
    const client = new pg.Client({ connectionString: url('postgres') });
    await client.connect();
    try {
      await run(client);
    } finally {
      await client.end();
    }
  };
  return {
    host: LOOPBACK,
    port,
    pid,
    url,
    createDatabase: (name) =>
      admin(async (client) => {
        const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
        if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      }),
    dropDatabase: (name) =>
      admin((client) => client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`)),
    stop,
  };
}
