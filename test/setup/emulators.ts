import { randomUUID } from 'node:crypto';
import { EmulatorStartError, waitForEmulatorHost } from '../../local/emulators.js';
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
