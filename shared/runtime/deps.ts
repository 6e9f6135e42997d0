import type { PipelineDeps } from '../pipeline/deps.js';

/**
 * The deps a deployed function uses: built once per instance from the environment by the adapter
 * factory, on first use (not at import, so a cold start that never gets a message opens no clients).
 * Tests and the local runner install their own provider.
 */
export type DepsProvider = () => Promise<PipelineDeps>;

let provider: DepsProvider | null = null;
let cached: Promise<PipelineDeps> | null = null;

export function setDepsProvider(next: DepsProvider | null): void {
  provider = next;
  cached = null;
}

export function getDeps(): Promise<PipelineDeps> {
  if (cached === null) {
    const build: DepsProvider =
      provider ?? (async () => (await import('../adapters/factory.js')).createPipelineDeps(process.env));
    cached = build().catch((error: unknown) => {
      cached = null; // a failed start (e.g. a missing variable) is retried on the next message
      throw error;
    });
  }
  return cached;
}
