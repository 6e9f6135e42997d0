import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { inject } from 'vitest';
import { EmulatorStartError } from '../../shared/local/emulators.js';
import { sleep } from '../../shared/local/net.js';

export interface EmulatorHosts {
  pubsubHost: string;
  firestoreHost: string;
}

async function answers(host: string): Promise<boolean> {
  try {
    const res = await fetch(`http://${host}/`, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

function startupFailure(statusFile: string): string | undefined {
  try {
    const text = readFileSync(statusFile, 'utf8');
    return text === '' ? undefined : text;
  } catch {
    return undefined;
  }
}

/**
 * The emulators the global setup started, once they answer. Also sets PUBSUB_EMULATOR_HOST and
 * FIRESTORE_EMULATOR_HOST in this worker so the Google clients find them.
 */
export async function useEmulators(timeoutMs = 60_000): Promise<EmulatorHosts> {
  const { pubsubHost, firestoreHost, statusFile } = inject('emulators');
  const deadline = Date.now() + timeoutMs;
  for (const host of [pubsubHost, firestoreHost]) {
    for (;;) {
      const failure = startupFailure(statusFile);
      if (failure)
        throw new EmulatorStartError(`emulators from the global setup are unavailable: ${failure}`);
      if (host !== '' && (await answers(host))) break;
      if (Date.now() > deadline) {
        throw new EmulatorStartError(
          `emulator on ${host} did not answer within ${timeoutMs} ms (see global setup output)`,
        );
      }
      await sleep(100);
    }
  }
  process.env.PUBSUB_EMULATOR_HOST = pubsubHost;
  process.env.FIRESTORE_EMULATOR_HOST = firestoreHost;
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  return { pubsubHost, firestoreHost };
}

/** A project id of its own per test file: Firestore data and Pub/Sub names never collide across files. */
export function uniqueProjectId(prefix = 'test'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}
