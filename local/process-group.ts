import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
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

export interface GroupMember {
  pid: number;
  /** Linux process state letter: R, S, D, Z (zombie), ... */
  state: string;
}

/** Members of a process group, read from /proc (Linux); empty where /proc is not available. */
export function groupMembers(pgid: number): GroupMember[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const members: GroupMember[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so split after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid) members.push({ pid: Number(entry), state: fields[0] ?? '?' });
    } catch {
      // the process ended while we looked
    }
  }
  return members;
}

/**
 * True while any live process of the group exists. Zombies do not count: where PID 1 does not reap
 * orphans (as in some containers), an emulator's Java child can stay a zombie forever.
 */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  const members = groupMembers(pgid);
  // No /proc (not Linux): trust kill(0).
  if (members.length === 0) return process.platform !== 'linux';
  return members.some((m) => m.state !== 'Z');
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
      // The app has its own handler: let it stop gracefully; the exit hook remains the backstop.
      if (process.listenerCount(sig) > 1) return;
      // Alone on this signal we replaced Node's default (exit): end the groups, restore the default
      // and re-raise, so the process still dies of the signal.
      killAllGroupsSync();
      process.removeListener(sig, onSignal);
      process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}

/**
 * Exit hooks cannot run when the owning process is SIGKILLed (a CI timeout, an OOM kill). A watchdog
 * shell in its own group then ends a child's group (an emulator, PostgreSQL) within a second or so (TERM,
 * then KILL), so nothing outlives its owner. It exits by itself once the group is gone. The child stays
 * the group leader (a session leader, so it does not move itself into a group of its own).
 */
const WATCHDOG = [
  'while kill -0 "$OWNER_PID" 2>/dev/null && kill -0 "-$CHILD_PGID" 2>/dev/null; do sleep 1; done',
  'if kill -0 "-$CHILD_PGID" 2>/dev/null; then',
  '  kill -TERM "-$CHILD_PGID" 2>/dev/null; sleep 5; kill -KILL "-$CHILD_PGID" 2>/dev/null',
  'fi',
].join('\n');

export function startWatchdog(pgid: number): number | undefined {
  const watchdog = spawn('/bin/sh', ['-c', WATCHDOG], {
    detached: true,
    stdio: 'ignore',
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      OWNER_PID: String(process.pid),
      CHILD_PGID: String(pgid),
    },
  });
  watchdog.on('error', () => undefined);
  watchdog.unref();
  return watchdog.pid;
}
