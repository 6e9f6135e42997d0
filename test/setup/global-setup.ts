import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { type Emulators, spawnEmulators } from '../../shared/local/emulators.js';

/**
 * Once per test run: spawn the Pub/Sub and Firestore emulators and hand their hosts to the tests.
 * The emulators are spawned but not awaited, so unit tests start at once; tests that need them call
 * `useEmulators()` (test/setup/emulators.ts), which waits until they answer. Teardown runs even when
 * tests fail; the exit and signal hooks in shared/local/process-group.ts cover Ctrl-C and crashes.
 * DRIFT_TEST_EMULATORS=off skips them (tests that need them then fail with a clear message).
 */

export interface ProvidedEmulators {
  /** `127.0.0.1:PORT`, or '' when disabled. */
  pubsubHost: string;
  firestoreHost: string;
  /** A file the setup writes the startup error into, so waiting tests fail with the real reason. */
  statusFile: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    emulators: ProvidedEmulators;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = mkdtempSync(join(tmpdir(), 'vitest-emulators-'));
  const statusFile = join(dir, 'status.txt');
  if (process.env.DRIFT_TEST_EMULATORS === 'off') {
    writeFileSync(statusFile, 'emulators disabled by DRIFT_TEST_EMULATORS=off');
    project.provide('emulators', { pubsubHost: '', firestoreHost: '', statusFile });
    return async () => rmSync(dir, { recursive: true, force: true });
  }
  const emulators: Emulators = await spawnEmulators();
  const reportFailure = (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    writeFileSync(statusFile, message);
    console.error(`[global-setup] ${message}`);
  };
  emulators.pubsub.ready.catch(reportFailure);
  emulators.firestore.ready.catch(reportFailure);
  project.provide('emulators', {
    pubsubHost: emulators.pubsub.host,
    firestoreHost: emulators.firestore.host,
    statusFile,
  });
  return async () => {
    await emulators.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
