import { afterEach, describe, expect, it } from 'vitest';
import { StripeRateBudget } from '../../../shared/adapters/stripe/rate-budget.js';
import type { RateKind } from '../../../shared/core/rate-shares.js';
import { StripeCallError } from '../../../shared/ports/errors.js';
import type { RateShareGrant, RateSharePort, RateShareRequest } from '../../../shared/ports/index.js';

/** A share store that answers what the test says, and records what it was asked. */
class ScriptedShares implements RateSharePort {
  readonly claims: RateShareRequest[] = [];
  readonly released: string[] = [];
  fail = false;
  constructor(public grant: (r: RateShareRequest) => Partial<RateShareGrant>) {}
  async claim(r: RateShareRequest): Promise<RateShareGrant> {
    this.claims.push(r);
    if (this.fail) throw new Error('firestore unavailable');
    return {
      sharePerSecond: 0,
      targetPerSecond: 0,
      expiresAtMs: r.nowMs + 10_000,
      othersHolding: 0,
      ...this.grant(r),
    };
  }
  async release(kind: RateKind, instanceId: string, _expiresAtMs?: number): Promise<void> {
    this.released.push(`${kind}:${instanceId}`);
  }
}

const budgets = async () => ({ read: 40, write: 20 });
let open: StripeRateBudget[] = [];
const make = (options: ConstructorParameters<typeof StripeRateBudget>[0]) => {
  const b = new StripeRateBudget(options);
  open.push(b);
  return b;
};
afterEach(async () => {
  await Promise.all(open.map((b) => b.close()));
  open = [];
});

describe('StripeRateBudget', () => {
  it('alone (no share store) it uses the whole budget of each kind, spacing starts', async () => {
    const budget = make({ budgets });
    const started = Date.now();
    await Promise.all(Array.from({ length: 11 }, () => budget.acquire('write', 'w', 'cus_1')));
    // 11 writes at 20/s: the last starts at least 10 x 50 ms after the first.
    expect(Date.now() - started).toBeGreaterThanOrEqual(480);
    expect(budget.stats()).toMatchObject({ sent: { read: 0, write: 11 }, sharePerSecond: { write: 20 } });
  });

  it('asks for the whole budget while work is queued, and sends nothing before a share is granted', async () => {
    let granted = 0;
    const shares = new ScriptedShares(() => ({ sharePerSecond: granted }));
    const budget = make({ budgets, shares, instanceId: 'i1', functionName: 'gather', renewEveryMs: 50 });
    let done = false;
    const pending = budget.acquire('read', 'r', 'cus_1').then(() => (done = true));
    await new Promise((r) => setTimeout(r, 400));
    expect(done).toBe(false);
    expect(shares.claims[0]).toMatchObject({
      kind: 'read',
      instanceId: 'i1',
      functionName: 'gather',
      budgetPerSecond: 40,
      wantPerSecond: 40,
    });
    granted = 10;
    await pending;
    expect(budget.stats().sharePerSecond.read).toBe(10);
  });

  it('stops sending when its lease lapses and the store cannot be reached, and resumes when it can', async () => {
    let offset = 0;
    const now = () => Date.now() + offset;
    const shares = new ScriptedShares((r) => ({ sharePerSecond: 40, expiresAtMs: r.nowMs + 2_000 }));
    const budget = make({
      budgets,
      shares,
      now,
      timing: { ttlMs: 2_000, skewMs: 500 },
      renewEveryMs: 5_000,
      maxQueueWaitMs: 1_000,
    });
    await budget.acquire('read', 'r', 'cus_1');
    shares.fail = true;
    offset += 1_600; // past expiry minus skew: the lease is no longer usable
    const err = await budget.acquire('read', 'r', 'cus_2').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StripeCallError);
    expect(budget.stats()).toMatchObject({ sent: { read: 1 }, sharePerSecond: { read: 0 } });
    shares.fail = false;
    await budget.acquire('read', 'r', 'cus_3');
    expect(budget.stats()).toMatchObject({ sent: { read: 2 }, sharePerSecond: { read: 40 } });
  });

  it('refuses, retryably and without sending, a request that waited past its bound', async () => {
    const shares = new ScriptedShares(() => ({ sharePerSecond: 0 }));
    const budget = make({ budgets, shares, maxQueueWaitMs: 200 });
    const err = await budget.acquire('write', 'customers.update', 'cus_9').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StripeCallError);
    expect(err).toMatchObject({ retryable: true, subject: 'cus_9', failure: { code: 'queue_timeout' } });
    expect(budget.stats().sent.write).toBe(0);
  });

  it('refuses at once, without spending a slot, what could not be sent by its deadline; sends the rest', async () => {
    const budget = make({ budgets: async () => ({ read: 5, write: 5 }), maxQueueWaitMs: 1_000 });
    const started = Date.now();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) => budget.acquire('read', 'r', `cus_${i}`)),
    );
    const sent = outcomes.filter((o) => o.status === 'fulfilled').length;
    // 5 a second for 1 s: about 5 fit (the first at once), the rest are refused, not left to expire.
    expect(sent).toBeGreaterThanOrEqual(4);
    expect(sent).toBeLessThanOrEqual(7);
    expect(budget.stats().sent.read).toBe(sent);
    expect(Date.now() - started).toBeLessThan(2_000);
    // The refused spent no slot: the next request goes out within a slot or two, not after a backlog.
    const next = Date.now();
    await budget.acquire('read', 'r', 'cus_next');
    expect(Date.now() - next).toBeLessThan(600);
  });

  it('gives its shares back when closed', async () => {
    const shares = new ScriptedShares(() => ({ sharePerSecond: 5 }));
    const budget = make({ budgets, shares, instanceId: 'i7' });
    await budget.acquire('write', 'w', 'cus_1');
    await budget.close();
    expect(shares.released).toEqual(['write:i7']);
  });

  it('keeps the last budget when a config read fails', async () => {
    let reads = 0;
    const budget = make({
      budgets: async () => {
        reads += 1;
        if (reads > 1) throw new Error('config unreadable');
        return { read: 30, write: 30 };
      },
      budgetTtlMs: 0,
      renewEveryMs: 20,
    });
    await budget.acquire('read', 'r', 'cus_1');
    await new Promise((r) => setTimeout(r, 100));
    await budget.acquire('read', 'r', 'cus_1');
    expect(reads).toBeGreaterThan(1);
    expect(budget.stats().sharePerSecond.read).toBe(30);
  });
});
