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
  /** Peak resident memory of its process (VmHWM), in bytes; null in process or where /proc is unavailable. */
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
 * One function in its own process (serve-function.ts) behind its front door (front-door.ts), resolved
 * once it listens. A restarted instance gets a port of its own; the front door's address stays.
 */
async function spawnFunction(name: FunctionName, env: Record<string, string>): Promise<ServedFunction> {
  const door = await openFrontDoor();
  let instance: { child: ChildProcess; port: number };
  try {
    instance = await startProcess(name, env, 0);
  } catch (error) {
    await door.close();
    throw error;
  }
  door.setTarget(instance.port);
  const running = () => instance.child.exitCode === null && instance.child.signalCode === null;
  return {
    name,
    get pid() {
      return instance.child.pid as number;
    },
    url: door.url,
    peakRssBytes() {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${instance.child.pid}/status`, 'utf8'));
        return m ? Number(m[1]) * 1024 : null;
      } catch {
        return null;
      }
    },
    async kill() {
      door.setTarget(null);
      const gone = exited(instance.child);
      instance.child.kill('SIGKILL');
      await gone;
    },
    async restart() {
      if (running()) throw new Error(`${name} is still running`);
      instance = await startProcess(name, env, 0);
      door.setTarget(instance.port);
    },
    async stop() {
      const gone = exited(instance.child);
      instance.child.kill('SIGTERM');
      setTimeout(() => instance.child.kill('SIGKILL'), 5000).unref();
      await gone;
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
  /** Each function in its own process, configured by `env` alone. */
  | { readonly kind: 'processes'; readonly env: Record<string, string> };

/** Serves every function; on failure stops the ones already started. */
export async function serveFunctions(mode: ServeMode): Promise<ServedFunction[]> {
  const served: ServedFunction[] = [];
  try {
    if (mode.kind === 'in-process') {
      setDepsProvider(async () => mode.deps);
      await loadFunctions();
      for (const fn of FUNCTIONS) served.push(await serveInProcess(fn.name, fn.entryPoint));
    } else {
      for (const fn of FUNCTIONS) served.push(await spawnFunction(fn.name, mode.env));
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
