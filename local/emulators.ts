import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort, isPortOpen, LOOPBACK, sleep } from './net.js';
import { registerGroup, startWatchdog, stopGroup } from './process-group.js';

export type EmulatorKind = 'pubsub' | 'firestore';

export interface EmulatorHandle {
  readonly kind: EmulatorKind;
  /** `127.0.0.1:PORT`, the value for PUBSUB_EMULATOR_HOST / FIRESTORE_EMULATOR_HOST. */
  readonly host: string;
  readonly port: number;
  /** Pid of `gcloud`, which is also the process group id of the emulator and its Java child. */
  readonly pid: number;
  /** Resolves when the emulator answers HTTP; rejects with a clear error on timeout or early exit. */
  readonly ready: Promise<void>;
  /** Milliseconds from spawn to the first HTTP answer (set once ready). */
  readonly startupMs: () => number | undefined;
  /** Last lines the emulator wrote (stdout and stderr), for error messages. */
  readonly outputTail: () => string[];
  /** SIGTERM the process group, SIGKILL after the grace period; resolves when no member is left. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartEmulatorOptions {
  /** Fixed port; default: a free loopback port. */
  port?: number;
  /** How long to wait for the first HTTP answer. Default 60 s (about 5 s is normal). */
  readyTimeoutMs?: number;
}

/** Thrown at once when a tool the emulators need is missing; the message says what to install. */
export class EmulatorPrerequisiteError extends Error {
  override name = 'EmulatorPrerequisiteError';
}

export class EmulatorStartError extends Error {
  override name = 'EmulatorStartError';
}

/** The emulator's port was taken (before spawn, or by the time it bound). Retried on a new free port. */
export class EmulatorPortTakenError extends EmulatorStartError {
  override name = 'EmulatorPortTakenError';
}

function onPath(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, cmd);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Fails at once (instead of a 60 s timeout) when gcloud or Java is missing. */
export function checkEmulatorPrerequisites(): void {
  if (!onPath('gcloud')) {
    throw new EmulatorPrerequisiteError(
      'The Google Cloud CLI (`gcloud`) is not on PATH. The local stack needs it for the Pub/Sub and ' +
        'Firestore emulators: install the Google Cloud CLI (https://cloud.google.com/sdk/docs/install) ' +
        'with the components `beta`, `pubsub-emulator` and `cloud-firestore-emulator` ' +
        '(apt: google-cloud-cli, google-cloud-cli-pubsub-emulator, google-cloud-cli-firestore-emulator).',
    );
  }
  const javaHome = process.env.JAVA_HOME;
  let javaFound = onPath('java') !== undefined;
  if (!javaFound && javaHome) {
    try {
      accessSync(join(javaHome, 'bin', 'java'), constants.X_OK);
      javaFound = true;
    } catch {
      // JAVA_HOME points nowhere useful
    }
  }
  if (!javaFound) {
    throw new EmulatorPrerequisiteError(
      'Java is not on PATH (nor in JAVA_HOME/bin). The Pub/Sub and Firestore emulators run on Java 11 or ' +
        'newer: install a JRE, e.g. `apt-get install openjdk-17-jre-headless`.',
    );
  }
}

function emulatorArgs(kind: EmulatorKind, port: number, dataDir: string | undefined): string[] {
  const hostPort = `--host-port=${LOOPBACK}:${port}`;
  if (kind === 'pubsub') {
    // A private data dir: several runs on one machine must not share the emulator's env.yaml.
    return ['beta', 'emulators', 'pubsub', 'start', hostPort, `--data-dir=${dataDir}`];
  }
  return ['emulators', 'firestore', 'start', hostPort];
}

/** Environment for the emulator and for clients talking to it. */
function emulatorEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    METADATA_SERVER_DETECTION: 'none',
    CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
  };
}

async function answersHttp(host: string): Promise<boolean> {
  try {
    const res = await fetch(`http://${host}/`, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * Spawns an emulator in its own process group and returns at once; `ready` settles later.
 * Use this to overlap emulator start with other work; `startEmulator` waits.
 */
export async function spawnEmulator(
  kind: EmulatorKind,
  options: StartEmulatorOptions = {},
): Promise<EmulatorHandle> {
  checkEmulatorPrerequisites();
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  const port = options.port ?? (await freePort());
  const host = `${LOOPBACK}:${port}`;
  // Something already answering there would pass the readiness check while the emulator fails to bind.
  if (await isPortOpen(port)) {
    throw new EmulatorPortTakenError(`${kind} emulator: port ${port} is already taken by another process`);
  }
  const timeoutMs = options.readyTimeoutMs ?? 60_000;
  const dataDir = kind === 'pubsub' ? mkdtempSync(join(tmpdir(), 'pubsub-emulator-')) : undefined;
  const spawnedAt = Date.now();
  let readyAt: number | undefined;

  const child: ChildProcess = spawn('gcloud', emulatorArgs(kind, port, dataDir), {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: emulatorEnv(),
  });
  const pid = child.pid;
  if (pid === undefined) {
    throw new EmulatorStartError(`could not spawn gcloud for the ${kind} emulator`);
  }
  registerGroup(pid, `${kind} emulator on ${host}`);
  const watchdogPid = startWatchdog(pid);

  const tail: string[] = [];
  // Kept apart from the tail: the Java stack trace after it is longer than the tail.
  let bindError: string | undefined;
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      if (bindError === undefined && /BindException|Address already in use/.test(line))
        bindError = line.trim();
      tail.push(line);
      if (tail.length > 40) tail.shift();
    }
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  // The exit hook ends the group, so the emulator must not keep a finished process alive by itself.
  child.unref();
  for (const stream of [child.stdout, child.stderr]) (stream as { unref?: () => void } | null)?.unref?.();

  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  // 'close' (not 'exit'): all output has been read by then, so the error can quote it.
  child.once('close', (code, signal) => {
    exited = { code, signal };
  });
  let spawnError: Error | undefined;
  child.once('error', (err) => {
    spawnError = err;
  });

  const lastLines = () => tail.slice(-12).join('\n  ');
  let stopping = false;

  const ready = (async () => {
    const deadline = spawnedAt + timeoutMs;
    while (Date.now() < deadline) {
      if (stopping)
        throw new EmulatorStartError(`${kind} emulator on ${host} was stopped before it was ready`);
      if (spawnError) throw new EmulatorStartError(`${kind} emulator: spawn failed: ${spawnError.message}`);
      if (bindError) {
        throw new EmulatorPortTakenError(
          `${kind} emulator cannot listen on port ${port}: the port is already taken (${bindError}). ` +
            'Pick another port or leave it unset to get a free one.',
        );
      }
      if (exited) {
        throw new EmulatorStartError(
          `${kind} emulator on port ${port} exited before answering (code ${exited.code}, signal ` +
            `${exited.signal}). Last output:\n  ${lastLines()}`,
        );
      }
      if (await answersHttp(host)) {
        readyAt = Date.now();
        return;
      }
      await sleep(100);
    }
    throw new EmulatorStartError(
      `${kind} emulator did not answer on http://${host}/ within ${timeoutMs} ms (a port taken by ` +
        `another process makes the emulator hang). Last output:\n  ${lastLines() || '(none)'}`,
    );
  })();
  // Callers may never await `ready` (e.g. they stop first); avoid an unhandled rejection.
  ready.catch(() => undefined);

  let stopped: Promise<void> | undefined;
  const stop = (graceMs = 5000): Promise<void> => {
    stopping = true;
    stopped ??= (async () => {
      await stopGroup(pid, graceMs);
      if (watchdogPid !== undefined) {
        try {
          process.kill(watchdogPid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    })();
    return stopped;
  };

  return {
    kind,
    host,
    port,
    pid,
    ready,
    startupMs: () => (readyAt === undefined ? undefined : readyAt - spawnedAt),
    outputTail: () => [...tail],
    stop,
  };
}

/**
 * Starts one emulator and waits until it answers HTTP; on failure nothing is left running. When the
 * port was not fixed and turns out to be taken, it retries on another free port (up to 3 tries).
 */
export async function startEmulator(
  kind: EmulatorKind,
  options: StartEmulatorOptions = {},
): Promise<EmulatorHandle> {
  for (let attempt = 1; ; attempt++) {
    const retry = (err: unknown) =>
      err instanceof EmulatorPortTakenError && options.port === undefined && attempt < 3;
    let handle: EmulatorHandle;
    try {
      handle = await spawnEmulator(kind, options);
    } catch (err) {
      if (retry(err)) continue;
      throw err;
    }
    try {
      await handle.ready;
      return handle;
    } catch (err) {
      await handle.stop(1000);
      if (retry(err)) continue;
      throw err;
    }
  }
}

export interface Emulators {
  readonly pubsub: EmulatorHandle;
  readonly firestore: EmulatorHandle;
  /** The variables the Google clients read. */
  readonly env: { PUBSUB_EMULATOR_HOST: string; FIRESTORE_EMULATOR_HOST: string };
  stop(): Promise<void>;
}

export interface StartEmulatorsOptions {
  pubsub?: StartEmulatorOptions;
  firestore?: StartEmulatorOptions;
  /** Also set PUBSUB_EMULATOR_HOST / FIRESTORE_EMULATOR_HOST in this process. Default false. */
  exportEnv?: boolean;
}

function bundle(pubsub: EmulatorHandle, firestore: EmulatorHandle): Emulators {
  return {
    pubsub,
    firestore,
    env: { PUBSUB_EMULATOR_HOST: pubsub.host, FIRESTORE_EMULATOR_HOST: firestore.host },
    stop: async () => {
      await Promise.all([pubsub.stop(), firestore.stop()]);
    },
  };
}

/**
 * Spawns both emulators without waiting for them (await `pubsub.ready` / `firestore.ready`). No retry on
 * a taken port: prefer `startEmulators`.
 */
export async function spawnEmulators(options: StartEmulatorsOptions = {}): Promise<Emulators> {
  const pubsub = await spawnEmulator('pubsub', options.pubsub);
  let firestore: EmulatorHandle;
  try {
    firestore = await spawnEmulator('firestore', options.firestore);
  } catch (err) {
    await pubsub.stop(1000);
    throw err;
  }
  const emulators = bundle(pubsub, firestore);
  if (options.exportEnv) Object.assign(process.env, emulators.env);
  return emulators;
}

/** Starts both emulators concurrently (about 3-5 s on two cores) and waits for both; all or nothing. */
export async function startEmulators(options: StartEmulatorsOptions = {}): Promise<Emulators> {
  const [pubsub, firestore] = await Promise.allSettled([
    startEmulator('pubsub', options.pubsub),
    startEmulator('firestore', options.firestore),
  ]);
  if (pubsub.status === 'rejected' || firestore.status === 'rejected') {
    await Promise.all(
      [pubsub, firestore].map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)),
    );
    throw pubsub.status === 'rejected' ? pubsub.reason : (firestore as PromiseRejectedResult).reason;
  }
  const emulators = bundle(pubsub.value, firestore.value);
  if (options.exportEnv) Object.assign(process.env, emulators.env);
  return emulators;
}

/**
 * Waits until an emulator host answers HTTP. For processes that only know the host (vitest workers
 * after global setup, the pipeline reusing a running stack).
 */
export async function waitForEmulatorHost(host: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await answersHttp(host)) return;
    await sleep(100);
  }
  throw new EmulatorStartError(`no emulator answered on http://${host}/ within ${timeoutMs} ms`);
}

/** Deletes every document of one Firestore database in the emulator (tests call this between cases). */
export async function clearFirestore(host: string, projectId: string, database = '(default)'): Promise<void> {
  const url = `http://${host}/emulator/v1/projects/${encodeURIComponent(projectId)}/databases/${encodeURIComponent(database)}/documents`;
  const res = await fetch(url, { method: 'DELETE' });
  if (!res.ok) {
    throw new Error(
      `clearing Firestore emulator ${host} project ${projectId} failed: ${res.status} ${await res.text()}`,
    );
  }
  await res.arrayBuffer().catch(() => undefined);
}
