import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { FUNCTIONS, type FunctionName } from '../../shared/contracts/topology.js';
import type { PipelineDeps } from '../../shared/pipeline/deps.js';
import { setDepsProvider } from '../../shared/runtime/deps.js';
import { openFrontDoor } from './front-door.js';

/**
 * Serves the functions of shared/contracts/topology.json over real HTTP with functions-framework, in one
 * of two ways: in this process (fast to start; they share the deps the caller built with the adapter
 * factory), or each in its own process configured only by the environment, as Cloud Functions runs them
 * (serve-function.ts; the pipeline benchmark measures each one's memory this way).
 */

export interface ServedFunction {
  readonly name: FunctionName;
  readonly url: string;
  /** The function's own process; null when it is served in this process. */
  readonly pid: number | null;
  /** How many instances serve it (processes behind its front door; 1 in process). */
  instances(): number;
  /**
   * Peak resident memory of its process (VmHWM), in bytes, the largest of its instances; null in process
   * or where /proc is unavailable.
   */
  peakRssBytes(): number | null;
  /**
   * Kills the function's process without warning (SIGKILL: no graceful shutdown, whatever it was doing is
   * cut off), as a crashed instance is. Process mode only.
   */
  kill(): Promise<void>;
  /** Starts a new instance behind the same address (its push subscription's endpoint). Process mode only. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts serve-function.ts for `name` on `port` (0: any free one); resolves with the child once it listens. */
async function startProcess(
  name: FunctionName,
  env: Record<string, string>,
  port: number,
): Promise<{ child: ChildProcess; port: number }> {
  const script = fileURLToPath(new URL('./serve-function.ts', import.meta.url));
  // `node --import tsx` (not the tsx CLI, which runs the script in a child of its own): this pid is the function.
  const child = spawn(process.execPath, ['--import', 'tsx', script, name], {
    env: { ...env, PORT: String(port) },
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const listening = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`function ${name} did not start: ${stderr}`)), 60_000);
    child.stdout?.on('data', (d: Buffer) => {
      const m = /listening (\d+)/.exec(d.toString());
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`function ${name} exited (${code}): ${stderr}`));
    });
  });
  return { child, port: listening };
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * One function in its own process(es) (serve-function.ts) behind its front door (front-door.ts), resolved
 * once they listen; `instances` processes share the door as Cloud Run's instances share a service. A
 * restarted instance gets a port of its own; the front door's address stays.
 */
export async function spawnFunction(
  name: FunctionName,
  env: Record<string, string>,
  instances = 1,
): Promise<ServedFunction> {
  const door = await openFrontDoor();
  let running: { child: ChildProcess; port: number }[] = [];
  const startAll = async () => {
    const started = await Promise.allSettled(
      Array.from({ length: instances }, () => startProcess(name, env, 0)),
    );
    const ok = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) {
      for (const i of ok) i.child.kill('SIGKILL');
      throw failed.reason;
    }
    running = ok;
    door.setTargets(running.map((i) => i.port));
  };
  try {
    await startAll();
  } catch (error) {
    await door.close();
    throw error;
  }
  const alive = (i: { child: ChildProcess }) => i.child.exitCode === null && i.child.signalCode === null;
  const peakOf = (pid: number | undefined): number | null => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return m ? Number(m[1]) * 1024 : null;
    } catch {
      return null;
    }
  };
  return {
    name,
    get pid() {
      return running[0]?.child.pid as number;
    },
    url: door.url,
    instances: () => running.length,
    peakRssBytes() {
      const peaks = running.map((i) => peakOf(i.child.pid)).filter((p): p is number => p !== null);
      return peaks.length === 0 ? null : Math.max(...peaks);
    },
    async kill() {
      door.setTargets([]);
      await Promise.all(
        running.map((i) => {
          const gone = exited(i.child);
          i.child.kill('SIGKILL');
          return gone;
        }),
      );
    },
    async restart() {
      if (running.some(alive)) throw new Error(`${name} is still running`);
      await startAll();
    },
    async stop() {
      await Promise.all(
        running.map((i) => {
          const gone = exited(i.child);
          i.child.kill('SIGTERM');
          setTimeout(() => i.child.kill('SIGKILL'), 5000).unref();
          return gone;
        }),
      );
      await door.close();
    },
  };
}

let functionsLoaded: Promise<void> | null = null;

/** Registers every handler with functions-framework (each functions/<name>/index.ts registers one on import). */
function loadFunctions(): Promise<void> {
  functionsLoaded ??= (async () => {
    for (const fn of FUNCTIONS) {
      // A URL built at run time (not a template literal) so every loader resolves the .ts source alike.
      const entry = new URL(`../../functions/${fn.name}/index.ts`, import.meta.url);
      await import(entry.href);
    }
  })();
  return functionsLoaded;
}

async function serveInProcess(name: FunctionName, entryPoint: string): Promise<ServedFunction> {
  const { getTestServer } = await import('@google-cloud/functions-framework/testing');
  const server: Server = getTestServer(entryPoint);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    name,
    pid: null,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    instances: () => 1,
    peakRssBytes: () => null,
    kill: () =>
      Promise.reject(new Error(`${name} is served in this process: kill needs functions: 'processes'`)),
    restart: () =>
      Promise.reject(new Error(`${name} is served in this process: restart needs functions: 'processes'`)),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type ServeMode =
  /** The functions share this process and the deps given (built by the adapter factory from `env`). */
  | { readonly kind: 'in-process'; readonly deps: PipelineDeps }
  /** Each function in its own process(es), configured by `env` alone; `instances` per function, default 1. */
  | {
      readonly kind: 'processes';
      readonly env: Record<string, string>;
      readonly instances?: Partial<Record<FunctionName, number>>;
    };

/**
 * The functions the pipeline runs. The console serves people, with an environment of its own (read-only
 * Stripe, IAP): local/console starts it behind the local IAP.
 */
export const PIPELINE_FUNCTIONS = FUNCTIONS.filter((f) => f.name !== 'console');

/** Serves every pipeline function; on failure stops the ones already started. */
export async function serveFunctions(mode: ServeMode): Promise<ServedFunction[]> {
  const served: ServedFunction[] = [];
  try {
    if (mode.kind === 'in-process') {
      setDepsProvider(async () => mode.deps);
      await loadFunctions();
      for (const fn of PIPELINE_FUNCTIONS) served.push(await serveInProcess(fn.name, fn.entryPoint));
    } else {
      for (const fn of PIPELINE_FUNCTIONS)
        served.push(await spawnFunction(fn.name, mode.env, mode.instances?.[fn.name] ?? 1));
    }
    return served;
  } catch (error) {
    await stopFunctions(served);
    throw error;
  }
}

export async function stopFunctions(served: readonly ServedFunction[]): Promise<void> {
  setDepsProvider(null);
  await Promise.allSettled(served.map((f) => f.stop()));
}
