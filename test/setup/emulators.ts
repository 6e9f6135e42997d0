import { randomUUID } from 'node:crypto';
import type { Firestore } from '@google-cloud/firestore';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { EmulatorStartError, waitForEmulatorHost } from '../../local/emulators.js';
import { createFirestore } from '../../shared/adapters/firestore.js';
import { waitForStatus } from './status.js';

export interface EmulatorHosts {
  pubsubHost: string;
  firestoreHost: string;
}

/**
 * The emulators the global setup started, once they answer. Also sets PUBSUB_EMULATOR_HOST and
 * FIRESTORE_EMULATOR_HOST in this worker so the Google clients find them. Throws the startup error
 * when they could not start.
 */
export async function useEmulators(timeoutMs = 55_000): Promise<EmulatorHosts> {
  const status = await waitForStatus('emulators', timeoutMs);
  if (status === undefined) {
    throw new EmulatorStartError(`the global setup's emulators were not up within ${timeoutMs} ms`);
  }
  if ('error' in status) {
    throw new EmulatorStartError(`emulators from the global setup are unavailable: ${status.error}`);
  }
  const { pubsubHost, firestoreHost } = status;
  await Promise.all([waitForEmulatorHost(pubsubHost, 10_000), waitForEmulatorHost(firestoreHost, 10_000)]);
  process.env.PUBSUB_EMULATOR_HOST = pubsubHost;
  process.env.FIRESTORE_EMULATOR_HOST = firestoreHost;
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  return { pubsubHost, firestoreHost };
}

/** A project id of its own per test file: Firestore data and Pub/Sub names never collide across files. */
export function uniqueProjectId(prefix = 'test'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/**
 * A Firestore database of its own for one test file, on the emulator: created before the file's tests,
 * emptied before each (the emulator's reset endpoint, scoped to the project), closed after.
 */
export function useFirestoreProject(prefix: string): { readonly db: () => Firestore } {
  let db: Firestore | undefined;
  let projectId = '';
  let firestoreHost = '';
  beforeAll(async () => {
    ({ firestoreHost } = await useEmulators());
    projectId = uniqueProjectId(prefix);
    db = createFirestore(projectId);
  });
  afterAll(async () => {
    await db?.terminate();
  });
  beforeEach(async () => {
    const res = await fetch(
      `http://${firestoreHost}/emulator/v1/projects/${projectId}/databases/(default)/documents`,
      { method: 'DELETE' },
    );
    if (!res.ok) throw new Error(`could not empty the Firestore emulator's ${projectId}: ${res.status}`);
  });
  return {
    db: () => {
      if (!db) throw new Error('useFirestoreProject: the database is made in beforeAll');
      return db;
    },
  };
}
