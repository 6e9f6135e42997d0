import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { inject } from 'vitest';
import { sleep } from '../../local/net.js';

/**
 * The status file through which the global setup (test/setup/global-setup.ts) tells test files where the
 * shared services listen, or why one could not start. Each service's entry is written once, when it is up
 * or has failed; a test waits only for the entry it needs.
 */

export type EmulatorStatus = { pubsubHost: string; firestoreHost: string } | { error: string };
export type PostgresStatus = { port: number } | { error: string };

export interface ServiceStatus {
  emulators?: EmulatorStatus;
  postgres?: PostgresStatus;
}

export interface ProvidedServices {
  /** JSON `ServiceStatus`; absent until the first service is up or has failed. */
  statusFile: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    services: ProvidedServices;
  }
}

/** Writes the whole status, renamed into place: a reader never sees half a file. */
export function writeStatus(file: string, status: ServiceStatus): void {
  writeFileSync(`${file}.tmp`, JSON.stringify(status));
  renameSync(`${file}.tmp`, file);
}

function readStatus(file: string): ServiceStatus {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ServiceStatus;
  } catch {
    return {};
  }
}

/** Waits until the global setup wrote the entry of `service`; undefined when it did not within the time. */
export async function waitForStatus<K extends keyof ServiceStatus>(
  service: K,
  timeoutMs: number,
): Promise<ServiceStatus[K] | undefined> {
  const { statusFile } = inject('services');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const entry = readStatus(statusFile)[service];
    if (entry !== undefined || Date.now() > deadline) return entry;
    await sleep(100);
  }
}
