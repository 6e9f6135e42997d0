import type { Firestore } from '@google-cloud/firestore';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createFirestore,
  FirestoreControlStore,
  InvalidControlDocumentError,
} from '../../../shared/adapters/firestore.js';
import { COLLECTIONS, CONFIG_DOCUMENT_ID } from '../../../shared/contracts/topology.js';
import { DEFAULT_CONFIG } from '../../../shared/domain/config.js';
import { uniqueProjectId, useEmulators } from '../../setup/emulators.js';

let db: Firestore;
let store: FirestoreControlStore;
let projectId: string;
let firestoreHost: string;

beforeAll(async () => {
  ({ firestoreHost } = await useEmulators());
  projectId = uniqueProjectId('fs');
  db = createFirestore(projectId);
  store = new FirestoreControlStore(db);
});
afterAll(async () => {
  await db?.terminate();
});
beforeEach(async () => {
  // The emulator's own reset endpoint, scoped to this file's project.
  const res = await fetch(
    `http://${firestoreHost}/emulator/v1/projects/${projectId}/databases/(default)/documents`,
    { method: 'DELETE' },
  );
  expect(res.ok).toBe(true);
});

const configDoc = () => db.collection(COLLECTIONS.config).doc(CONFIG_DOCUMENT_ID);

describe('config', () => {
  it('a missing document means the fail-safe defaults (dry-run on)', async () => {
    expect(await store.getConfig()).toEqual(DEFAULT_CONFIG);
    expect(DEFAULT_CONFIG.dryRun).toBe(true);
  });

  it('a partial document is completed with defaults', async () => {
    await configDoc().set({ dryRun: false, stripeWritesPerSecond: 80 });
    expect(await store.getConfig()).toEqual({ ...DEFAULT_CONFIG, dryRun: false, stripeWritesPerSecond: 80 });
  });

  it.each([
    [{ killSwitch: 'yes' }, /killSwitch/],
    [{ dryrun: false }, /dryrun/],
    [{ maxNewDriftShare: 1.5 }, /maxNewDriftShare/],
    [{ stripeWritesPerSecond: 1000 }, /stripeWritesPerSecond/],
  ])('an invalid document %j is an error naming the field, never defaults', async (doc, field) => {
    await configDoc().set(doc);
    const err = await store.getConfig().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidControlDocumentError);
    expect((err as Error).message).toMatch(field);
    expect((err as Error).message).toContain('config/driftcontrol');
  });
});

describe('run ledger', () => {
  it('exactly one of several concurrent claims wins; the others see its run', async () => {
    const claims = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        store.claimRun('stripe', '2026-11-01', `run_${i}`, '2026-11-01T06:00:00Z'),
      ),
    );
    const winners = claims.filter((c) => c.claimed);
    expect(winners).toHaveLength(1);
    const winner = winners[0]?.runId;
    for (const c of claims) expect(c).toMatchObject({ runId: winner, status: 'running' });
    const doc = await db.collection(COLLECTIONS.runs).doc('stripe_2026-11-01').get();
    expect(doc.data()).toMatchObject({
      runId: winner,
      system: 'stripe',
      snapshotDate: '2026-11-01',
      status: 'running',
    });
  });

  it('keys by system and date, and a finished run is reported as finished', async () => {
    expect(await store.claimRun('stripe', '2026-11-02', 'run_a', null)).toEqual({
      claimed: true,
      runId: 'run_a',
      status: 'running',
    });
    expect((await store.claimRun('www', '2026-11-02', 'run_b', null)).claimed).toBe(true);
    await store.finishRun('stripe', '2026-11-02', 'completed', { published: 3, skipped: undefined });
    expect(await store.claimRun('stripe', '2026-11-02', 'run_c', null)).toEqual({
      claimed: false,
      runId: 'run_a',
      status: 'completed',
    });
    const doc = (await db.collection(COLLECTIONS.runs).doc('stripe_2026-11-02').get()).data();
    expect(doc).toMatchObject({ status: 'completed', summary: { published: 3 } });
  });

  it('finishing a run that was never claimed fails', async () => {
    await expect(store.finishRun('www', '2026-01-01', 'halted', {})).rejects.toThrow();
  });
});

describe('gates', () => {
  it('missing document: both off, stamped with the read time', async () => {
    const before = Date.now();
    const gates = await store.getGates('acct_none');
    expect(gates.source).toBe('firestore_gates');
    expect(gates.data).toEqual({ badDebtDriftRemediation: false, invoiceMetadataRemediation: false });
    expect(Date.parse(gates.asOf)).toBeGreaterThanOrEqual(before - 5000);
    expect(Date.parse(gates.asOf)).toBeLessThanOrEqual(Date.now() + 5000);
  });

  it.each([
    [
      { badDebtDriftRemediation: true, invoiceMetadataRemediation: true },
      { badDebtDriftRemediation: true, invoiceMetadataRemediation: true },
    ],
    [{ badDebtDriftRemediation: true }, { badDebtDriftRemediation: true, invoiceMetadataRemediation: false }],
    [
      { invoiceMetadataRemediation: true, note: 'ticket 42' },
      { badDebtDriftRemediation: false, invoiceMetadataRemediation: true },
    ],
  ])('document %j -> %j', async (doc, expected) => {
    await db.collection(COLLECTIONS.gates).doc('acct_g').set(doc);
    expect((await store.getGates('acct_g')).data).toEqual(expected);
  });

  it('a gate that is not a boolean is an error, not "on"', async () => {
    await db.collection(COLLECTIONS.gates).doc('acct_bad').set({ badDebtDriftRemediation: 'true' });
    await expect(store.getGates('acct_bad')).rejects.toThrow(/badDebtDriftRemediation/);
  });
});

describe('cooldown stamps', () => {
  it('returns the last heal of the accounts that have one', async () => {
    await store.markHealed('acct_1', 1_000, 'run_1');
    await store.markHealed('acct_1', 2_000, 'run_2');
    await store.markHealed('acct_2', 1_500, 'run_1');
    const healed = await store.lastHealedAt(['acct_1', 'acct_2', 'acct_3', 'acct_1']);
    expect([...healed.entries()].sort()).toEqual([
      ['acct_1', 2_000],
      ['acct_2', 1_500],
    ]);
    expect((await store.lastHealedAt([])).size).toBe(0);
  });
});

describe('leases', () => {
  it('only one concurrent holder gets the lease', async () => {
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) => store.acquireLease('acct_l', `holder_${i}`, 60_000, 10_000)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('is exclusive until it expires, re-entrant for its holder, and released only by its holder', async () => {
    expect(await store.acquireLease('acct_x', 'a', 100, 1_000)).toBe(true);
    expect(await store.acquireLease('acct_x', 'b', 100, 1_050)).toBe(false);
    expect(await store.acquireLease('acct_x', 'a', 100, 1_050)).toBe(true); // a redelivery of a's message
    await store.releaseLease('acct_x', 'b'); // not b's: no effect
    expect(await store.acquireLease('acct_x', 'b', 100, 1_100)).toBe(false);
    expect(await store.acquireLease('acct_x', 'b', 100, 1_151)).toBe(true); // a's lease expired at 1_150
    await store.releaseLease('acct_x', 'a'); // a's late release must not free b's lease
    expect(await store.acquireLease('acct_x', 'c', 100, 1_160)).toBe(false);
    await store.releaseLease('acct_x', 'b');
    expect(await store.acquireLease('acct_x', 'c', 100, 1_160)).toBe(true);
  });

  it('a lease and a cooldown stamp live side by side', async () => {
    await store.markHealed('acct_y', 5_000, 'run_1');
    expect(await store.acquireLease('acct_y', 'a', 100, 6_000)).toBe(true);
    await store.releaseLease('acct_y', 'a');
    expect((await store.lastHealedAt(['acct_y'])).get('acct_y')).toBe(5_000);
  });
});
