import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { checkEmulatorPrerequisites, type Emulators, startEmulators } from '../../local/emulators.js';
import { groupAlive } from '../../local/process-group.js';

/**
 * Once per test run: start the Pub/Sub and Firestore emulators and hand their hosts to the tests.
 * Startup is not awaited here, so unit tests begin at once; tests that need the emulators call
 * `useEmulators()` (test/setup/emulators.ts), which waits for the outcome this setup writes to a status
 * file (hosts, or the startup error). A port lost to a race is retried on another port, which is why the
 * hosts travel through the file rather than `provide`. Teardown runs even when tests fail; the exit and
 * signal hooks and the per-emulator watchdog (local/emulators.ts) cover Ctrl-C and a killed run.
 * DRIFT_TEST_EMULATORS=off skips them (tests that need them then fail with a clear message).
 */

/** Contents of the status file: exactly one of the two shapes, written once. */
export type EmulatorStatus = { pubsubHost: string; firestoreHost: string } | { error: string };

export interface ProvidedEmulators {
  /** JSON `EmulatorStatus`; absent until the emulators are up or have failed. */
  statusFile: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    emulators: ProvidedEmulators;
  }
}

function writeStatus(file: string, status: EmulatorStatus): void {
  // Written whole and renamed into place: a reader never sees half a file.
  writeFileSync(`${file}.tmp`, JSON.stringify(status));
  renameSync(`${file}.tmp`, file);
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = mkdtempSync(join(tmpdir(), 'vitest-emulators-'));
  const statusFile = join(dir, 'status.json');
  project.provide('emulators', { statusFile });
  if (process.env.DRIFT_TEST_EMULATORS === 'off') {
    writeStatus(statusFile, { error: 'emulators disabled by DRIFT_TEST_EMULATORS=off' });
    return async () => rmSync(dir, { recursive: true, force: true });
  }
  // Missing gcloud/java fails the run at once, with what to install.
  checkEmulatorPrerequisites();
  const starting = startEmulators().then(
    (emulators) => {
      writeStatus(statusFile, { pubsubHost: emulators.pubsub.host, firestoreHost: emulators.firestore.host });
      return emulators;
    },
    (err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      writeStatus(statusFile, { error: message });
      console.error(`[global-setup] ${message}`);
      return undefined;
    },
  );
  return async () => {
    const emulators: Emulators | undefined = await starting;
    await emulators?.stop();
    rmSync(dir, { recursive: true, force: true });
    // "No emulator survives the run" is checked, not assumed.
    const survivors = emulators
      ? [emulators.pubsub, emulators.firestore].filter((e) => groupAlive(e.pid))
      : [];
    if (survivors.length > 0) {
      throw new Error(
        `emulator process groups survived teardown: ${survivors.map((e) => `${e.kind} pgid ${e.pid}`).join(', ')}`,
      );
    }
  };
}
