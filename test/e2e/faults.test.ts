import type { Message } from '@google-cloud/pubsub';
import Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LocalPipeline } from '../../local/run/pipeline.js';
import type { AccountViewMessage, RunContext } from '../../shared/contracts/messages.js';
import { deadLetterSubscriptionName, TOPICS } from '../../shared/contracts/topology.js';
import { plan } from '../../shared/core/planner.js';
import type { AccountView } from '../../shared/domain/account-view.js';
import { scheduledRunId } from '../../shared/pipeline/detect.js';
import { gatherLive } from '../../shared/pipeline/gather.js';
import { replayAccounts } from '../../shared/pipeline/replay.js';
import { auditRows, runContexts, startTestPipeline, stripeWrites, waitForAudit } from './support.js';

/**
 * Faults on the real local stack (issue 5): redelivery, crashes, Stripe errors, poison messages, a
 * mirror that has not landed, the blast radius, the kill switch and dry-run, a stale plan, and a
 * scheduled run racing a replay. Each case uses accounts of its own, found by planning live state.
 */
describe('pipeline under faults', { timeout: 120_000 }, () => {
  let p: LocalPipeline;
  const healable: AccountView[] = [];
  let next = 0;
  const take = () => {
    const view = healable[next++];
    if (!view) throw new Error('ran out of healable accounts');
    return view;
  };
  const run = runContexts(() => p, { prefix: 'test-run', trigger: 'manual', requestedBy: 'faults.test' });
  const publishView = (view: AccountView, r: RunContext) => {
    const message: AccountViewMessage = {
      schemaVersion: 1,
      kind: 'account_view',
      run: r,
      view,
      publishedAt: new Date().toISOString(),
    };
    return p.deps.publisher.publish('accountViews', message, { orderingKey: view.accountId });
  };
  const objectsOf = (view: AccountView) => plan(view).changes.map((c) => c.target.id);
  const finalRows = (runId: string) =>
    waitForAudit(
      p,
      "run_id = @run AND stage = 'plan_apply' AND NOT will_retry",
      { run: runId },
      (rows) => rows.length > 0,
    );

  beforeAll(async () => {
    // One quick retry of a 429 inside a call (24 s of backoff by default): a fault that refuses every
    // attempt reaches redelivery and the dead letter within the test's time.
    p = await startTestPipeline({ accounts: 300, seed: 7, functionEnv: { STRIPE_RATE_LIMIT_RETRIES: '1' } });
    // Accounts whose live state plans changes (new or persistent drift alike): targets for direct publishes.
    for (let i = 0; i < p.world.accounts && healable.length < 14; i++) {
      const view = await gatherLive(p.deps, `acc_${String(i).padStart(7, '0')}`);
      if (
        view &&
        plan(view).outcome === 'changes' &&
        plan(view).changes.some((c) => c.target.object === 'subscription')
      ) {
        healable.push(view);
      }
    }
  }, 240_000);
  afterAll(async () => {
    await p?.stop();
  });
  afterEach(async () => {
    p.stack.stripe.clearFaults();
    await p.setConfig({ killSwitch: false, dryRun: false });
  });

  it('the same message delivered three times: one write per object, one audit row', async () => {
    const view = take();
    const r = run();
    await Promise.all([publishView(view, r), publishView(view, r), publishView(view, r)]);
    const rows = await waitForAudit(
      p,
      "run_id = @run AND stage = 'plan_apply'",
      { run: r.runId },
      (rs) => rs.some((x) => x.outcome === 'applied'),
      {
        settleMs: 6000,
      },
    );
    expect(rows.map((x) => x.outcome)).toEqual(['applied']);
    for (const id of objectsOf(view)) expect(stripeWrites(p, id)).toHaveLength(1);
  });

  it('a crash after the Stripe write and before the answer: no second write', async () => {
    const view = take();
    const target = objectsOf(view).find((id) => id.startsWith('sub_')) as string;
    p.stack.stripe.injectFault({
      kind: 'connection_reset',
      method: 'POST',
      path: `^/v1/subscriptions/${target}$`,
      times: 1,
      phase: 'after',
    });
    const r = run();
    await publishView(view, r);
    const rows = await finalRows(r.runId);
    expect(rows.at(-1)?.outcome).toBe('applied');
    expect(stripeWrites(p, target)).toHaveLength(1);
    // The write really happened once, and its retry was answered from Stripe's idempotency record.
    expect(p.stack.stripe.requests({ objectId: target, method: 'POST' }).some((x) => x.replayed)).toBe(true);
  });

  it.each([
    ['a 500', { kind: 'api_error' as const, times: 1 }],
    ['a lock_timeout', { kind: 'lock_timeout' as const, times: 2, shouldRetry: true }],
  ])('%s from Stripe is retried within limits and then applied once', async (_name, fault) => {
    const view = take();
    const target = objectsOf(view).find((id) => id.startsWith('sub_')) as string;
    p.stack.stripe.injectFault({ ...fault, method: 'POST', path: `^/v1/subscriptions/${target}$` });
    const r = run();
    await publishView(view, r);
    const rows = await finalRows(r.runId);
    expect(rows.at(-1)?.outcome).toBe('applied');
    expect(stripeWrites(p, target)).toHaveLength(1);
  });

  it('Stripe rate-limiting every attempt: failed audit rows, no write, and the message is dead-lettered', async () => {
    const view = take();
    const target = objectsOf(view).find((id) => id.startsWith('sub_')) as string;
    p.stack.stripe.injectFault({ kind: 'rate_limit', method: 'POST', path: `^/v1/subscriptions/${target}$` });
    const dead = collect(deadLetterSubscriptionName('plan-apply'));
    const r = run();
    await publishView(view, r);
    const rows = await waitForAudit(p, "run_id = @run AND stage = 'plan_apply'", { run: r.runId }, (rs) =>
      rs.some((x) => x.failed),
    );
    expect(rows[0]).toMatchObject({
      outcome: 'failed',
      failed: true,
      will_retry: true,
      error_code: 'stripe_rate_limit',
    });
    const lost = await dead.until((m) => JSON.parse(m.data.toString()).run?.runId === r.runId, 60_000);
    expect(lost).toBe(true);
    expect(stripeWrites(p, target)).toHaveLength(0);
  });

  it('a poison message: clear error, failed audit row, kept on the dead-letter topic', async () => {
    const dead = collect(deadLetterSubscriptionName('plan-apply'));
    await p.pubsub.topic(TOPICS.accountViews).publishMessage({
      json: {
        schemaVersion: 1,
        kind: 'account_view',
        run: { runId: 'poison-run' },
        view: { accountId: 42 },
      },
    });
    const rows = await waitForAudit(p, "run_id = 'poison-run'", {}, (rs) => rs.length > 0);
    expect(rows[0]).toMatchObject({ outcome: 'failed', error_code: 'invalid_message', stage: 'plan_apply' });
    expect(rows[0]?.reason).toMatch(/invalid account view message: .*view/);
    expect(await dead.until((m) => m.data.toString().includes('poison-run'), 60_000)).toBe(true);
  });

  it('an invalid audit event is rejected and kept on the dead-letter topic, never written', async () => {
    const dead = collect(deadLetterSubscriptionName('audit-writer'));
    await p.pubsub
      .topic(TOPICS.auditEvents)
      .publishMessage({ json: { row_id: 'bad-audit-row', failed: 'no' } });
    expect(await dead.until((m) => m.data.toString().includes('bad-audit-row'), 60_000)).toBe(true);
    expect(await auditRows(p, "row_id = 'bad-audit-row'")).toEqual([]);
  });

  it('a mirror that has not landed: nothing published, a retryable answer, audited', async () => {
    const res = await p.triggerDetect('stripe', { snapshotDate: '2026-11-25' });
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ status: 'not_ready', code: 'mirror_not_landed' });
    const rows = await waitForAudit(
      p,
      'run_id = @run',
      { run: scheduledRunId('stripe', '2026-11-25') },
      (rs) => rs.length > 0,
    );
    expect(rows.map((x) => [x.stage, x.outcome, x.error_code])).toEqual([
      ['detect', 'halted', 'mirror_not_landed'],
    ]);
  });

  it('the blast radius exceeded: halted, nothing published, zero writes, audited; the ledger remembers', async () => {
    const writes = stripeWrites(p).length;
    await p.setConfig({ maxNewDriftAccounts: 1 });
    try {
      const res = await p.triggerDetect('stripe');
      expect(res.body).toMatchObject({ status: 'halted', code: 'blast_radius_count' });
      const rows = await waitForAudit(
        p,
        "run_id = @run AND outcome = 'halted'",
        { run: scheduledRunId('stripe', p.snapshotDate) },
        (rs) => rs.length > 0,
      );
      expect(rows[0]?.reason).toMatch(/exceed the limit of 1/);
      expect(
        (
          await auditRows(p, "run_id = @run AND stage = 'gather'", {
            run: scheduledRunId('stripe', p.snapshotDate),
          })
        ).length,
      ).toBe(0);
      expect(stripeWrites(p).length).toBe(writes);
      expect((await p.triggerDetect('stripe')).body).toMatchObject({ status: 'already_ran' });
    } finally {
      await p.setConfig({ maxNewDriftAccounts: p.world.accounts });
    }
  });

  it.each([
    ['kill switch', 'halted', { killSwitch: true }],
    ['dry-run', 'dry_run', { dryRun: true }],
  ])('%s: zero writes, audited as %s', async (_name, outcome, patch) => {
    const view = take();
    await p.setConfig(patch);
    const r = run();
    await publishView(view, r);
    const rows = await finalRows(r.runId);
    expect(rows.map((x) => x.outcome)).toEqual([outcome]);
    for (const id of objectsOf(view)) expect(stripeWrites(p, id)).toHaveLength(0);
  });

  it('Stripe changed between gather and apply: the plan is stale, nothing written', async () => {
    const view = take();
    const sub = view.stripe.subscriptions.data.find((s) => objectsOf(view).includes(s.id));
    const item = sub?.items[0];
    if (!sub || !item) throw new Error('no subscription to change');
    // Someone else changes the subscription after gather read it.
    const stripe = new Stripe('sk_test_local', p.stack.stripe.clientConfig());
    await stripe.subscriptions.update(sub.id, {
      items: [{ id: item.id, quantity: item.quantity + 7 }],
      proration_behavior: 'none',
    });
    const before = stripeWrites(p, sub.id).length;
    const r = run();
    await publishView(view, r);
    const rows = await finalRows(r.runId);
    expect(rows.map((x) => [x.outcome, x.error_code])).toEqual([['stale', 'stale_plan']]);
    expect(stripeWrites(p, sub.id)).toHaveLength(before);
  });

  it('a scheduled run and a replay at once on one account: one apply', async () => {
    const view = take();
    const scheduled = run({ trigger: 'scheduled', requestedBy: null });
    const replay = run({ trigger: 'replay' });
    await Promise.all([publishView(view, scheduled), publishView(view, replay)]);
    await finalRows(scheduled.runId);
    await finalRows(replay.runId);
    for (const id of objectsOf(view)) expect(stripeWrites(p, id)).toHaveLength(1);
  });

  it('a replay goes through gather and plan-apply, dry-run unless asked to apply', async () => {
    const view = take();
    const dry = await replayAccounts(p.deps, {
      accountIds: [view.accountId],
      snapshotDate: p.snapshotDate,
      requestedBy: 'ops@example.test',
      apply: false,
      nonce: 'a',
    });
    const dryRows = await finalRows(dry.runId);
    expect(dryRows.map((x) => [x.outcome, x.trigger, x.requested_by])).toEqual([
      ['dry_run', 'replay', 'ops@example.test'],
    ]);
    for (const id of objectsOf(view)) expect(stripeWrites(p, id)).toHaveLength(0);
    const real = await replayAccounts(p.deps, {
      accountIds: [view.accountId],
      snapshotDate: p.snapshotDate,
      requestedBy: 'ops@example.test',
      apply: true,
      nonce: 'b',
    });
    expect((await finalRows(real.runId)).map((x) => x.outcome)).toEqual(['applied']);
    for (const id of objectsOf(view)) expect(stripeWrites(p, id)).toHaveLength(1);
  });

  /** Collects what lands on a dead-letter subscription while a test runs. */
  function collect(subscription: string) {
    const seen: Message[] = [];
    const sub = p.pubsub.subscription(subscription);
    sub.on('message', (m: Message) => {
      seen.push(m);
      m.ack();
    });
    return {
      async until(match: (m: Message) => boolean, timeoutMs: number): Promise<boolean> {
        const deadline = Date.now() + timeoutMs;
        try {
          while (Date.now() < deadline) {
            if (seen.some(match)) return true;
            await new Promise((r) => setTimeout(r, 300));
          }
          return false;
        } finally {
          await sub.close();
        }
      },
    };
  }
});
