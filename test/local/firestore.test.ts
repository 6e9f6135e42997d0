import { Firestore } from '@google-cloud/firestore';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clearFirestore } from '../../local/emulators.js';
import { uniqueProjectId, useEmulators } from '../setup/emulators.js';

// The real @google-cloud/firestore client against the emulator the global setup started.

let host: string;
let projectId: string;
let db: Firestore;

beforeAll(async () => {
  host = (await useEmulators()).firestoreHost;
  projectId = uniqueProjectId('firestore');
  db = new Firestore({ projectId });
});
afterAll(async () => {
  await db?.terminate();
});
beforeEach(async () => {
  await clearFirestore(host, projectId);
});

describe('Firestore emulator with the real client', () => {
  it('serialises concurrent read-modify-write transactions: no lost update', async () => {
    const counter = db.doc('counters/apply');
    await counter.set({ n: 0 });
    await Promise.all(
      Array.from({ length: 3 }, () =>
        db.runTransaction(async (tx) => {
          const snap = await tx.get(counter);
          tx.update(counter, { n: (snap.get('n') as number) + 1 });
        }),
      ),
    );
    expect((await counter.get()).get('n')).toBe(3);
  });

  it('gives a lease to exactly one of two concurrent claimants', async () => {
    const lease = db.doc('leases/acct_1');
    const claim = (owner: string) =>
      db.runTransaction(async (tx) => {
        const snap = await tx.get(lease);
        if (snap.exists) return false;
        tx.create(lease, { owner });
        return true;
      });
    const results = await Promise.all([claim('scheduled'), claim('replay')]);
    expect(results.filter(Boolean)).toHaveLength(1);
    const owner = (await lease.get()).get('owner') as string;
    expect(owner).toBe(results[0] ? 'scheduled' : 'replay');
  });

  it('writes nothing when the transaction function throws', async () => {
    const doc = db.doc('runs/2026-11-01');
    await expect(
      db.runTransaction(async (tx) => {
        tx.set(doc, { state: 'started' });
        throw new Error('crash before commit');
      }),
    ).rejects.toThrow('crash before commit');
    expect((await doc.get()).exists).toBe(false);
  });

  it('clears one project with the emulator DELETE endpoint and leaves other projects alone', async () => {
    const other = new Firestore({ projectId: uniqueProjectId('firestore-other') });
    try {
      await db.doc('config/global').set({ killSwitch: false });
      await db.doc('gates/acct_1').set({ badDebt: true });
      await other.doc('config/global').set({ killSwitch: true });
      await clearFirestore(host, projectId);
      expect((await db.collection('config').get()).size).toBe(0);
      expect((await db.collection('gates').get()).size).toBe(0);
      expect((await other.doc('config/global').get()).get('killSwitch')).toBe(true);
    } finally {
      await other.terminate();
    }
  });
});
