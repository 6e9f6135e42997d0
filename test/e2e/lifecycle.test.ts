import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runNightlyCycle } from '../../local/run/cycle.js';
import type { LocalPipeline } from '../../local/run/pipeline.js';
import { DATASETS } from '../../shared/contracts/topology.js';
import { type DriftLifecycle, isPersistent } from '../../shared/core/lifecycle.js';
import type { NewStripeDriftRow } from '../../shared/ports/index.js';
import { startTestPipeline } from './support.js';

/**
 * The drift lifecycle on the synthetic world (docs/design.md, "Drift lifecycle"): after a nightly run, the
 * snapshot diff's new-vs-persistent verdict and the lifecycle's agree for every account with Stripe drift,
 * and the BigQuery export (billing_observability.drift_lifecycle) says what Firestore says.
 */
describe('drift lifecycle after a nightly run', () => {
  let p: LocalPipeline;
  let triage: NewStripeDriftRow[];
  const records = new Map<string, DriftLifecycle | null>();

  beforeAll(async () => {
    p = await startTestPipeline({ accounts: 200, seed: 11 });
    const summary = await runNightlyCycle(p);
    expect(summary.drained).toBe(true);
    triage = await p.deps.mirror.newStripeDrift(p.snapshotDate);
    for (const row of triage) records.set(row.accountId, await p.deps.lifecycle.get('stripe', row.accountId));
  }, 240_000);
  afterAll(async () => {
    await p?.stop();
  });

  it('the snapshot diff and the lifecycle agree on which drift is persistent, account by account', () => {
    const now = Date.now();
    const windowMs = p.config.persistentAfterHours * 3_600_000;
    const disagree = triage.filter((row) => {
      const record = records.get(row.accountId) ?? null;
      const byLifecycle = record !== null && isPersistent(record, now, windowMs);
      return byLifecycle !== (row.excludedCode === 'persistent_drift');
    });
    expect(disagree).toEqual([]);
    // Both kinds are there to agree on.
    expect(triage.some((r) => r.excludedCode === 'persistent_drift')).toBe(true);
    expect([...records.values()].some((r) => r?.status === 'healed')).toBe(true);
  });

  it('new drift the run healed is healed since today, first seen today', () => {
    const healed = [...records.entries()].filter(([, r]) => r?.status === 'healed');
    for (const [, r] of healed) {
      expect(r?.healedAt).not.toBeNull();
      expect(Date.now() - Date.parse(r?.firstSeenAt ?? '')).toBeLessThan(3_600_000);
      expect(r?.lastTrigger).toBe('scheduled');
    }
  });

  it('the BigQuery export says what Firestore says, joinable on account id', async () => {
    const [rows] = await p.bq.query({
      query: `SELECT account_id, status, attempts FROM ${DATASETS.observability}.drift_lifecycle WHERE system = 'stripe'`,
    });
    const exported = new Map(
      (rows as { account_id: string; status: string }[]).map((r) => [r.account_id, r.status]),
    );
    const inFirestore = [...records.entries()].filter(([, r]) => r !== null);
    expect(inFirestore.length).toBeGreaterThan(0);
    for (const [accountId, record] of inFirestore)
      expect([accountId, exported.get(accountId)]).toEqual([accountId, record?.status]);
  });
});
