import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { checkEmulatorPrerequisites, type Emulators, startEmulators } from '../../local/emulators.js';
import { type LocalPostgres, postgresBinDir, startLocalPostgres } from '../../local/postgres.js';
import { groupAlive } from '../../local/process-group.js';
import { type ServiceStatus, writeStatus } from './status.js';

/**
 * Once per test run: start the Pub/Sub and Firestore emulators and a PostgreSQL server, and hand where
 * they listen to the tests. Startup is not awaited here, so unit tests begin at once; tests that need
 * them call `useEmulators()` (test/setup/emulators.ts) or `usePostgres()` (test/setup/postgres.ts),
 * which wait for the outcome this setup writes to a status file (hosts and port, or the startup error).
 * A port lost to a race is retried on another port, which is why they travel through the file rather
 * than `provide`. Teardown runs even when tests fail and checks that no process group survived; the exit
 * and signal hooks and the per-group watchdog (local/process-group.ts) cover Ctrl-C and a killed run.
 * DRIFT_TEST_EMULATORS=off / DRIFT_TEST_POSTGRES=off skip one (tests that need it then fail clearly).
 */

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = mkdtempSync(join(tmpdir(), 'vitest-services-'));
  const statusFile = join(dir, 'status.json');
  project.provide('services', { statusFile });
  const status: ServiceStatus = {};
  const publish = <K extends keyof ServiceStatus>(service: K, entry: ServiceStatus[K]) => {
    status[service] = entry;
    writeStatus(statusFile, status);
  };
  // Starts one service in the background; its entry in the status file says where it is or why not.
  const launch = <T, K extends keyof ServiceStatus>(
    service: K,
    start: () => Promise<T>,
    entry: (started: T) => ServiceStatus[K],
  ): Promise<T | undefined> =>
    start().then(
      (started) => {
        publish(service, entry(started));
        return started;
      },
      (err: unknown) => {
        const message = err instanceof Error ? err.message : String(err);
        publish(service, { error: message });
        console.error(`[global-setup] ${service}: ${message}`);
        return undefined;
      },
    );
  const disabled = (service: keyof ServiceStatus, variable: string) => {
    if (process.env[variable] !== 'off') return false;
    publish(service, { error: `${service} disabled by ${variable}=off` });
    return true;
  };

  // Missing tools fail the run at once, with what to install.
  const emulatorsOff = disabled('emulators', 'DRIFT_TEST_EMULATORS');
  const postgresOff = disabled('postgres', 'DRIFT_TEST_POSTGRES');
  if (!emulatorsOff) checkEmulatorPrerequisites();
  if (!postgresOff) postgresBinDir();
  const emulatorsStarting = emulatorsOff
    ? Promise.resolve(undefined)
    : launch('emulators', startEmulators, (e: Emulators) => ({
        pubsubHost: e.pubsub.host,
        firestoreHost: e.firestore.host,
      }));
  const postgresStarting = postgresOff
    ? Promise.resolve(undefined)
    : launch(
        'postgres',
        () => startLocalPostgres(),
        (p: LocalPostgres) => ({ port: p.port }),
      );

  return async () => {
    const [emulators, postgres] = await Promise.all([emulatorsStarting, postgresStarting]);
    await Promise.allSettled([emulators?.stop(), postgres?.stop()]);
    rmSync(dir, { recursive: true, force: true });
    // "Nothing survives the run" is checked, not assumed.
    const groups = [
      ...(emulators
        ? [emulators.pubsub, emulators.firestore].map((e) => ({ name: e.kind, pid: e.pid }))
        : []),
      ...(postgres?.pid ? [{ name: 'postgres', pid: postgres.pid }] : []),
    ];
    const survivors = groups.filter((g) => groupAlive(g.pid));
    if (survivors.length > 0) {
      throw new Error(
        `process groups survived teardown: ${survivors.map((g) => `${g.name} pgid ${g.pid}`).join(', ')}`,
      );
    }
  };
}
