import { sleep } from './net.js';

/**
 * Process groups the local stack started. `gcloud` forks a Java child that survives when only `gcloud`
 * is killed, so every emulator runs as the leader of its own group and we always signal the group.
 * The registry lets exit and signal hooks end every group even when the caller never reached stop().
 */
const groups = new Map<number, string>();
let hooksInstalled = false;

export function registerGroup(pid: number, label: string): void {
  groups.set(pid, label);
  installHooks();
}

export function unregisterGroup(pid: number): void {
  groups.delete(pid);
}

/** Labels of the groups still registered (for tests and diagnostics). */
export function registeredGroups(): ReadonlyMap<number, string> {
  return groups;
}

/** True while any process of the group exists (zombies included). */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/**
 * SIGTERM the group, wait up to `graceMs` for every member to go, then SIGKILL.
 * Resolves once the group is gone (or after a last bounded wait, so a stuck zombie cannot hang a run).
 */
export async function stopGroup(pgid: number, graceMs = 5000): Promise<void> {
  if (groupAlive(pgid)) {
    signalGroup(pgid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (groupAlive(pgid) && Date.now() < deadline) await sleep(50);
    if (groupAlive(pgid)) {
      signalGroup(pgid, 'SIGKILL');
      const killDeadline = Date.now() + 3000;
      while (groupAlive(pgid) && Date.now() < killDeadline) await sleep(50);
    }
  }
  unregisterGroup(pgid);
}

/** Synchronous last resort for exit paths where nothing async can run. */
export function killAllGroupsSync(): void {
  for (const pgid of groups.keys()) signalGroup(pgid, 'SIGKILL');
  groups.clear();
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllGroupsSync);
  for (const sig of SIGNALS) {
    const onSignal = () => {
      killAllGroupsSync();
      // Alone on this signal we replaced Node's default (exit): restore it and re-raise so the
      // process still dies of the signal. When the app has its own handler, it decides how to exit.
      if (process.listenerCount(sig) === 1) {
        process.removeListener(sig, onSignal);
        process.kill(process.pid, sig);
      }
    };
    process.on(sig, onSignal);
  }
}
