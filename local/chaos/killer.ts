import type { FunctionName } from '../../shared/contracts/topology.js';
import type { ServedFunction } from '../run/functions.js';

/**
 * Crashes function instances while the pipeline works, as a platform does: SIGKILL (no graceful
 * shutdown: a Stripe write, a Firestore transaction or an audit insert is cut off wherever it was), a
 * moment down (pushes to it fail and Pub/Sub redelivers), then a new instance on the same endpoint.
 */

export interface KillerOptions {
  /** The functions to crash, in turn. */
  readonly victims: readonly FunctionName[];
  /** Time between one crash and the next, in ms. */
  readonly intervalMs: number;
  /** How long a crashed function stays down before its new instance starts, in ms. */
  readonly downMs: number;
}

export interface Killer {
  /** Stops crashing; resolves once every function is serving again. */
  stop(): Promise<void>;
  /** Crashes so far, per function. */
  kills(): Partial<Record<FunctionName, number>>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function startKiller(functions: readonly ServedFunction[], options: KillerOptions): Killer {
  const byName = new Map(functions.map((f) => [f.name, f]));
  const victims = options.victims.map((name) => {
    const fn = byName.get(name);
    if (!fn) throw new Error(`no function ${name} to crash`);
    return fn;
  });
  const kills: Partial<Record<FunctionName, number>> = {};
  let stopped = false;
  const loop = (async () => {
    for (let i = 0; !stopped; i++) {
      await sleep(options.intervalMs);
      if (stopped) break;
      const victim = victims[i % victims.length] as ServedFunction;
      await victim.kill();
      kills[victim.name] = (kills[victim.name] ?? 0) + 1;
      await sleep(options.downMs);
      await victim.restart();
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
    },
    kills: () => ({ ...kills }),
  };
}
