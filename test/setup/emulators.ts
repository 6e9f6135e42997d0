import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { inject } from 'vitest';
import { EmulatorStartError, waitForEmulatorHost } from '../../local/emulators.js';
import { sleep } from '../../local/net.js';
import type { EmulatorStatus } from './global-setup.js';

export interface EmulatorHosts {
  pubsubHost: string;
  firestoreHost: string;
}

function readStatus(file: string): EmulatorStatus | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as EmulatorStatus;
  } catch {
    return undefined;
  }
}

/**
 * The emulators the global setup started, once they answer. Also sets PUBSUB_EMULATOR_HOST and
 * FIRESTORE_EMULATOR_HOST in this worker so the Google clients find them. Throws the startup error
 * when they could not start.
 */
export async function useEmulators(timeoutMs = 55_000): Promise<EmulatorHosts> {
  const { statusFile } = inject('emulators');
  const deadline = Date.now() + timeoutMs;
  let status = readStatus(statusFile);
  while (status === undefined) {
    if (Date.now() > deadline) {
      throw new EmulatorStartError(`the global setup's emulators were not up within ${timeoutMs} ms`);
    }
    await sleep(100);
    status = readStatus(statusFile);
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
