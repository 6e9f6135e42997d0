import type { Firestore } from '@google-cloud/firestore';
import { beforeAll, describe, expect, it } from 'vitest';
import { FirestoreControlStore, InvalidControlDocumentError } from '../../../shared/adapters/firestore.js';
import { COLLECTIONS, CONFIG_DOCUMENT_ID } from '../../../shared/contracts/topology.js';
import { DEFAULT_CONFIG } from '../../../shared/domain/config.js';
import { useFirestoreProject } from '../../setup/emulators.js';

const project = useFirestoreProject('fs');
let db: Firestore;
let store: FirestoreControlStore;
beforeAll(() => {
  db = project.db();
  store = new FirestoreControlStore(db);
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

const claimAt = (holder: string, nowMs: number, leaseMs = 60_000) => ({
  holder,
  scheduleTime: '2026-11-01T06:00:00Z',
  nowMs,
  leaseMs,
});

describe('run ledger', () => {
  it('exactly one of several concurrent claims wins; the others are told the run is in progress', async () => {
    const claims = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        store.claimRun('stripe', '2026-11-01', `run_${i}`, claimAt(`h${i}`, 1_000)),
      ),
    );
    const winners = claims.filter((c) => c.outcome === 'claimed');
    expect(winners).toHaveLength(1);
    const winner = winners[0]?.runId;
    for (const c of claims.filter((x) => x.outcome !== 'claimed'))
      expect(c).toMatchObject({ outcome: 'in_progress', runId: winner, status: 'running' });
    const doc = await db.collection(COLLECTIONS.runs).doc('stripe_2026-11-01').get();
    expect(doc.data()).toMatchObject({
      runId: winner,
      system: 'stripe',
      snapshotDate: '2026-11-01',
      status: 'running',
    });
  });

  it('keys by system and date, and a finished run is reported as done', async () => {
    expect(await store.claimRun('stripe', '2026-11-02', 'run_a', claimAt('a', 1_000))).toEqual({
      outcome: 'claimed',
      runId: 'run_a',
      status: 'running',
      published: new Set(),
    });
    expect((await store.claimRun('www', '2026-11-02', 'run_b', claimAt('b', 1_000))).outcome).toBe('claimed');
    await store.finishRun('stripe', '2026-11-02', 'completed', { published: 3, skipped: undefined });
    expect(await store.claimRun('stripe', '2026-11-02', 'run_c', claimAt('c', 2_000))).toMatchObject({
      outcome: 'done',
      runId: 'run_a',
      status: 'completed',
    });
    const doc = (await db.collection(COLLECTIONS.runs).doc('stripe_2026-11-02').get()).data();
    expect(doc).toMatchObject({ status: 'completed', summary: { published: 3 } });
  });

  it('a holder that stops renewing loses the run; the next call resumes it with what was published', async () => {
    const date = '2026-11-03';
    expect((await store.claimRun('stripe', date, 'run_x', claimAt('first', 10_000, 1_000))).outcome).toBe(
      'claimed',
    );
    await store.markPublished('stripe', date, ['acc_1', 'acc_2']);
    expect(await store.renewRun('stripe', date, 'first', 10_500, 1_000)).toBe(true);
    // Within the renewed lease: another call must not publish.
    expect((await store.claimRun('stripe', date, 'run_x', claimAt('second', 11_000))).outcome).toBe(
      'in_progress',
    );
    // The first holder died: its lease lapses at 11_500.
    const resumed = await store.claimRun('stripe', date, 'run_x', claimAt('second', 11_600));
    expect(resumed).toMatchObject({ outcome: 'resumed', runId: 'run_x' });
    expect([...resumed.published].sort()).toEqual(['acc_1', 'acc_2']);
    // The dead holder, back from a pause, has lost the claim and must stop.
    expect(await store.renewRun('stripe', date, 'first', 11_700, 1_000)).toBe(false);
    expect(await store.renewRun('stripe', date, 'second', 11_700, 1_000)).toBe(true);
  });

  it('finishing a run that was never claimed fails', async () => {
    await expect(store.finishRun('www', '2026-01-01', 'halted', {})).rejects.toThrow();
  });
});

describe('final outcomes', () => {
  it('the first final outcome of a run, stage and subject stands, whoever records it later or at once', async () => {
    expect(await store.finalOutcome('run_f', 'plan_apply', 'acc_1')).toBeNull();
    await Promise.all([
      store.recordFinal('run_f', 'plan_apply', 'acc_1', { outcome: 'applied', rowId: 'r1' }),
      store.recordFinal('run_f', 'plan_apply', 'acc_1', { outcome: 'noop', rowId: 'r2' }),
    ]);
    const first = await store.finalOutcome('run_f', 'plan_apply', 'acc_1');
    expect(['r1', 'r2']).toContain(first?.rowId);
    await store.recordFinal('run_f', 'plan_apply', 'acc_1', { outcome: 'stale', rowId: 'r3' });
    expect(await store.finalOutcome('run_f', 'plan_apply', 'acc_1')).toEqual(first);
    expect(await store.finalOutcome('run_f', 'www_resync', 'acc_1')).toBeNull();
  });
});

describe('config updates', () => {
  it('concurrent updates of different fields all land (a transaction: no lost update)', async () => {
    await db.collection(COLLECTIONS.config).doc(CONFIG_DOCUMENT_ID).delete();
    const patches: Record<string, unknown>[] = [
      { killSwitch: true },
      { dryRun: false },
      { perRunCap: 7 },
      { cooldownHours: 5 },
      { invoiceDateTooNearDays: 9 },
      { maxViewAgeSeconds: 120 },
      { minMirrorAccounts: 3 },
      { allowEmptyNewDrift: true },
    ];
    for (let round = 0; round < 3; round++) {
      await db.collection(COLLECTIONS.config).doc(CONFIG_DOCUMENT_ID).delete();
      await Promise.all(patches.map((patch) => store.updateConfig(patch)));
      expect(await store.getConfig()).toMatchObject(Object.assign({}, ...patches));
    }
  });

  it.each([
    [{ maxMirrorAccountChange: 1e308 }, /maxMirrorAccountChange/],
    [{ perRunCap: Number.NaN }, /perRunCap/],
    [{ killswitch: true }, /killswitch: not a config field/],
    [
      JSON.parse('{"__proto__": {"killSwitch": true}}') as Record<string, unknown>,
      /__proto__: not a config field/,
    ],
  ])('refuses %j and writes nothing', async (patch, message) => {
    await db.collection(COLLECTIONS.config).doc(CONFIG_DOCUMENT_ID).set({ perRunCap: 11 });
    await expect(store.updateConfig(patch)).rejects.toThrow(message);
    expect((await db.collection(COLLECTIONS.config).doc(CONFIG_DOCUMENT_ID).get()).data()).toEqual({
      perRunCap: 11,
    });
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
