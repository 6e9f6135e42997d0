import type { Firestore } from '@google-cloud/firestore';
import { COLLECTIONS } from '../contracts/topology.js';
import { DriftLifecycle, type DriftObservation, observe, observePersistent } from '../core/lifecycle.js';
import type { DriftSystem } from '../domain/audit.js';
import type { LifecyclePort } from '../ports/index.js';

/**
 * The drift lifecycle on Firestore (docs/design.md, "Drift lifecycle"):
 *
 *   driftcontrol_lifecycle/{system}_{accountId}   DriftLifecycle
 *
 * Every change reads the record and writes the pure rules' answer in one transaction, so a nightly run
 * and an event-driven check of one account never lose each other's observation. A record that does not
 * parse is replaced as if there were none (the rules start the drift over), never trusted.
 */
export class FirestoreLifecycleStore implements LifecyclePort {
  constructor(
    readonly db: Firestore,
    private readonly windowMs: () => Promise<number>,
  ) {}

  private ref(system: DriftSystem, accountId: string) {
    return this.db.collection(COLLECTIONS.lifecycle).doc(`${system}_${accountId}`);
  }

  private static parse(data: unknown): DriftLifecycle | null {
    const parsed = DriftLifecycle.safeParse(data);
    return parsed.success ? parsed.data : null;
  }

  async get(system: DriftSystem, accountId: string): Promise<DriftLifecycle | null> {
    const snap = await this.ref(system, accountId).get();
    return snap.exists ? FirestoreLifecycleStore.parse(snap.data()) : null;
  }

  async observe(
    system: DriftSystem,
    accountId: string,
    observation: DriftObservation,
  ): Promise<DriftLifecycle | null> {
    const windowMs = await this.windowMs();
    const ref = this.ref(system, accountId);
    return this.db.runTransaction(async (tx) => {
      const snap = await tx.get(ref);
      const prev = snap.exists ? FirestoreLifecycleStore.parse(snap.data()) : null;
      const next = observe(prev, observation, windowMs);
      if (next !== null && next !== prev) tx.set(ref, next);
      return next;
    });
  }

  async markPersistent(
    system: DriftSystem,
    accountIds: readonly string[],
    seen: {
      readonly since: string;
      readonly snapshotAt: string;
      readonly at: string;
      readonly runId: string;
    },
  ): Promise<Map<string, DriftLifecycle>> {
    const out = new Map<string, DriftLifecycle>();
    // A transaction per chunk: up to 100 documents read and written at once.
    for (let i = 0; i < accountIds.length; i += 100) {
      const ids = accountIds.slice(i, i + 100);
      const refs = ids.map((id) => this.ref(system, id));
      const chunk = await this.db.runTransaction(async (tx) => {
        const snaps = await tx.getAll(...refs);
        return snaps.map((snap, j) => {
          const prev = snap.exists ? FirestoreLifecycleStore.parse(snap.data()) : null;
          const next =
            prev?.lastRunId === seen.runId
              ? prev
              : observePersistent(prev, seen.since, seen.at, seen.runId, seen.snapshotAt);
          if (next !== prev) tx.set(refs[j] as (typeof refs)[number], next);
          return next;
        });
      });
      for (const [j, record] of chunk.entries()) out.set(ids[j] as string, record);
    }
    return out;
  }
}
