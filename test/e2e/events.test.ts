import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstActiveItem, healableWhenRaised } from '../../local/run/event-demo.js';
import type { LocalPipeline } from '../../local/run/pipeline.js';
import { LOCAL_WEBHOOK_SECRET } from '../../local/run/pipeline.js';
import { WebhookSender } from '../../local/stripe/index.js';
import { plan } from '../../shared/core/planner.js';
import type { AccountView } from '../../shared/domain/account-view.js';
import { gatherLive } from '../../shared/pipeline/gather.js';
import { auditRows, startTestPipeline, stripeWrites, waitForAudit } from './support.js';

const run = promisify(execFile);

/**
 * The event path on the local stack (docs/design.md, "Events"): the local Stripe sends signed webhooks to
 * stripe-events as Stripe does; event-sweeper hands settled checks to gather; plan-apply heals with every
 * valve of the nightly run. No nightly run is started here: only people changing Stripe.
 */
describe('drift healed in seconds through Stripe events', () => {
  let p: LocalPipeline;
  let stripe: Stripe;
  const healthy: AccountView[] = [];
  const persistent: AccountView[] = [];
  /** Healthy accounts whose OPE quantity may be raised and healed (a valid card, no restriction). */
  const opeRaisable: AccountView[] = [];
  /** A healthy account and a catalogue price a person may wrongly put on its first item. */
  let priceSwap: { view: AccountView; priceId: string } | null = null;
  let healedByEvents = '';
  const SETTLE_S = 1;

  const take = (from: AccountView[]) => {
    const view = from.shift();
    if (!view) throw new Error('ran out of accounts');
    return view;
  };
  const firstItem = firstActiveItem;
  /** A person raises an item's quantity in Stripe's dashboard: drift between OPE and Stripe. */
  const personChangesQuantity = async (view: AccountView, by: number) => {
    const { sub, item } = firstItem(view);
    await stripe.subscriptions.update(sub.id, {
      items: [{ id: item.id, quantity: item.quantity + by }],
      proration_behavior: 'none',
    });
    return { sub, item };
  };
  const eventRows = (accountId: string) =>
    auditRows(p, "trigger = 'event' AND account_id = @a", { a: accountId });
  /** Waits for the check's settle delay and sweeps, as Cloud Scheduler's next call would. */
  const settleAndSweep = async () => {
    await p.stack.stripe.webhooks.settled();
    await new Promise((r) => setTimeout(r, SETTLE_S * 1000 + 200));
    return p.sweepEvents();
  };

  beforeAll(async () => {
    p = await startTestPipeline({
      accounts: 200,
      seed: 7,
      config: { eventSettleSeconds: SETTLE_S, eventMaxWaitSeconds: 30 },
    });
    stripe = new Stripe('sk_test_dashboard_person', {
      ...p.stack.stripe.clientConfig(),
      maxNetworkRetries: 0,
    });
    const [triage] = [await p.deps.mirror.newStripeDrift(p.snapshotDate)];
    const persistentIds = new Set(
      triage.filter((r) => r.excludedCode === 'persistent_drift').map((r) => r.accountId),
    );
    /** Another catalogue price (same interval and currency) whose swap-back a heal may apply, if any. */
    const wrongPriceFor = (view: AccountView): string | null => {
      const { sub, item } = firstItem(view);
      const onSubscription = new Set(sub.items.map((i) => i.price.id));
      for (const entry of view.billingProd.data.catalogue) {
        if (onSubscription.has(entry.stripePriceId)) continue;
        if (entry.interval !== item.price.interval || entry.currency !== item.price.currency) continue;
        const swapped = structuredClone(view);
        firstItem(swapped).item.price = {
          id: entry.stripePriceId,
          productId: entry.productId,
          unitAmountMinor: entry.unitAmountMinor,
          currency: entry.currency,
          interval: entry.interval,
        };
        if (plan(swapped).outcome === 'changes') return entry.stripePriceId;
      }
      return null;
    };
    for (
      let i = 0;
      i < p.world.accounts &&
      (healthy.length < 4 || persistent.length < 1 || opeRaisable.length < 2 || priceSwap === null);
      i++
    ) {
      const view = await gatherLive(p.deps, `acc_${String(i).padStart(7, '0')}`);
      if (view?.cfProd.data.accountType !== 'self_serve') continue;
      const active = view.stripe.subscriptions.data.filter(
        (s) => s.status === 'active' && s.items.length > 0,
      );
      if (active.length !== 1) continue;
      const noop = plan(view).outcome === 'noop';
      if (noop && priceSwap === null) {
        const swap = wrongPriceFor(view);
        if (swap !== null) {
          priceSwap = { view, priceId: swap };
          continue;
        }
      }
      if (noop && opeRaisable.length < 2 && healableWhenRaised(view, 'ope')) opeRaisable.push(view);
      else if (noop && healthy.length < 4 && healableWhenRaised(view, 'stripe')) healthy.push(view);
      else if (persistentIds.has(view.accountId) && persistent.length < 1) persistent.push(view);
    }
    expect(healthy.length).toBe(4);
    expect(opeRaisable.length).toBe(2);
    expect(priceSwap).not.toBeNull();
  }, 240_000);
  afterAll(async () => {
    await p?.stop();
  });

  it('a quantity changed by a person in Stripe is healed through the event path, with no nightly run', async () => {
    const view = take(healthy);
    const { item } = await personChangesQuantity(view, 6);
    const swept = await settleAndSweep();
    expect(swept.status).toBe(200);
    expect(swept.body).toMatchObject({ status: 'swept', published: [view.accountId] });
    const rows = await waitForAudit(p, "trigger = 'event' AND account_id = @a", { a: view.accountId }, (rs) =>
      rs.some((r) => r.stage === 'plan_apply' && !r.will_retry),
    );
    const gather = rows.find((r) => r.stage === 'gather');
    const apply = rows.find((r) => r.stage === 'plan_apply');
    expect(apply?.outcome).toBe('applied');
    expect(apply?.run_id).toMatch(/^event-/);
    healedByEvents = view.accountId;
    // The audit says which events led to the check.
    const events = JSON.parse(gather?.params_json ?? '{}').events;
    expect(events.sources).toEqual(['stripe']);
    expect(events.ids[0]).toMatch(/^evt_/);
    // Healed: the live plan is noop again and the item has its quantity back.
    const after = await gatherLive(p.deps, view.accountId);
    expect(after && plan(after).outcome).toBe('noop');
    expect(
      after?.stripe.subscriptions.data.flatMap((s) => s.items).find((i) => i.id === item.id)?.quantity,
    ).toBe(item.quantity);
    // The heal's own webhook was recognised: no second check is pending for the account.
    await p.stack.stripe.webhooks.settled();
    expect((await p.deps.events.pending(100)).map((c) => c.accountId)).not.toContain(view.accountId);
    const own = (await p.deps.events.recent(50)).filter(
      (e) => e.outcome === 'own_change' || e.accountIds.includes(view.accountId),
    );
    expect(own.length).toBeGreaterThan(0);
  }, 120_000);

  it('a price changed by a person in Stripe is healed back to the catalogue price', async () => {
    const { view, priceId } = priceSwap as { view: AccountView; priceId: string };
    const { sub, item } = firstItem(view);
    await stripe.subscriptions.update(sub.id, {
      items: [{ id: item.id, price: priceId }],
      proration_behavior: 'none',
    });
    await settleAndSweep();
    const rows = await waitForAudit(p, "trigger = 'event' AND account_id = @a", { a: view.accountId }, (rs) =>
      rs.some((r) => r.stage === 'plan_apply' && !r.will_retry),
    );
    expect(rows.find((r) => r.stage === 'plan_apply')?.outcome).toBe('applied');
    const after = await gatherLive(p.deps, view.accountId);
    const restored = after?.stripe.subscriptions.data.flatMap((s) => s.items).find((i) => i.id === item.id);
    expect(restored?.price.id).toBe(item.price.id);
    expect(after && plan(after).outcome).toBe('noop');
  }, 120_000);

  it('a flood of events for one account makes one check', async () => {
    const view = take(healthy);
    const { sub } = firstItem(view);
    for (let n = 0; n < 6; n++)
      await stripe.subscriptions.update(sub.id, { metadata: { support_note: `touched ${n}` } });
    await p.stack.stripe.webhooks.settled();
    const pending = (await p.deps.events.pending(100)).filter((c) => c.accountId === view.accountId);
    expect(pending).toHaveLength(1);
    expect(pending[0]?.eventCount).toBe(6);
    await settleAndSweep();
    const rows = await waitForAudit(p, "trigger = 'event' AND account_id = @a", { a: view.accountId }, (rs) =>
      rs.some((r) => r.stage === 'plan_apply' && !r.will_retry),
    );
    expect(new Set(rows.map((r) => r.run_id)).size).toBe(1);
    expect(rows.filter((r) => r.stage === 'gather')).toHaveLength(1);
    expect(JSON.parse(rows.find((r) => r.stage === 'gather')?.params_json ?? '{}').events.count).toBe(6);
    // Metadata a person added is not drift: nothing written.
    expect(rows.find((r) => r.stage === 'plan_apply')?.outcome).toBe('noop');
  }, 120_000);

  it('persistent drift is not healed by events either', async () => {
    const view = take(persistent);
    const writesBefore = stripeWrites(p).length;
    await personChangesQuantity(view, 8);
    await settleAndSweep();
    const rows = await waitForAudit(p, "trigger = 'event' AND account_id = @a", { a: view.accountId }, (rs) =>
      rs.some((r) => r.stage === 'gather'),
    );
    expect(rows.find((r) => r.stage === 'gather')).toMatchObject({
      outcome: 'excluded',
      error_code: 'persistent_drift',
    });
    expect(rows.some((r) => r.stage === 'plan_apply')).toBe(false);
    // Only the person's own write happened.
    expect(stripeWrites(p).length).toBe(writesBefore + 1);
  }, 120_000);

  it('the kill switch holds event checks back until it is off', async () => {
    const view = take(healthy);
    await p.setConfig({ killSwitch: true });
    try {
      await personChangesQuantity(view, 3);
      const swept = await settleAndSweep();
      expect(swept.body).toMatchObject({ status: 'halted', published: [] });
      expect((await p.deps.events.pending(100)).map((c) => c.accountId)).toContain(view.accountId);
      expect(await eventRows(view.accountId)).toHaveLength(0);
    } finally {
      await p.setConfig({ killSwitch: false });
    }
    expect((await p.sweepEvents()).body).toMatchObject({ published: [view.accountId] });
    const rows = await waitForAudit(p, "trigger = 'event' AND account_id = @a", { a: view.accountId }, (rs) =>
      rs.some((r) => r.stage === 'plan_apply' && !r.will_retry),
    );
    expect(rows.find((r) => r.stage === 'plan_apply')?.outcome).toBe('applied');
  }, 120_000);

  describe('OPE change events', () => {
    /** The company changes an item's quantity in OPE and publishes its change event. */
    const opeChangesQuantity = async (view: AccountView, by: number) => {
      const { sub, item } = firstItem(view);
      const quantity = item.quantity + by;
      await p.truth.setItemQuantity(item.metadata.ope_item_id as string, quantity);
      await p.publishOpeChange([view.accountId]);
      return { sub, item, quantity };
    };
    const pendingOf = async (accountId: string) => {
      for (let i = 0; i < 50; i++) {
        const check = (await p.deps.events.pending(1000)).find((c) => c.accountId === accountId);
        if (check) return check;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`no pending check for ${accountId}`);
    };
    const published = async () => ((await p.sweepEvents()).body as { published: string[] }).published;

    it('an OPE change is healed in Stripe after the OPE settle delay, not before', async () => {
      await p.setConfig({ opeSettleSeconds: 3 });
      const view = take(opeRaisable);
      const { item, quantity } = await opeChangesQuantity(view, 4);
      const check = await pendingOf(view.accountId);
      expect(check).toMatchObject({ sources: ['ope'], eventCount: 1 });
      expect(check.dueAtMs - check.firstEventAtMs).toBe(3000);
      // Before the settle delay, the sweep leaves it for the company's own sync.
      expect(await published()).not.toContain(view.accountId);
      await new Promise((r) => setTimeout(r, Math.max(0, check.dueAtMs - Date.now()) + 200));
      expect(await published()).toContain(view.accountId);
      const rows = await waitForAudit(
        p,
        "trigger = 'event' AND account_id = @a",
        { a: view.accountId },
        (rs) => rs.some((r) => r.stage === 'plan_apply' && !r.will_retry),
      );
      expect(rows.find((r) => r.stage === 'plan_apply')?.outcome).toBe('applied');
      expect(JSON.parse(rows.find((r) => r.stage === 'gather')?.params_json ?? '{}').events.sources).toEqual([
        'ope',
      ]);
      const after = await gatherLive(p.deps, view.accountId);
      const healedItem = after?.stripe.subscriptions.data
        .flatMap((s) => s.items)
        .find((i) => i.id === item.id);
      expect(healedItem?.quantity).toBe(quantity);
    }, 120_000);

    it("when the company's sync already made Stripe match, the check finds nothing to do", async () => {
      await p.setConfig({ opeSettleSeconds: 3 });
      const view = take(opeRaisable);
      const { sub, item, quantity } = await opeChangesQuantity(view, 3);
      const check = await pendingOf(view.accountId);
      // The OPE-to-Stripe sync acts within the settle delay; its write's webhook does not cut the delay short.
      await stripe.subscriptions.update(sub.id, {
        items: [{ id: item.id, quantity }],
        proration_behavior: 'none',
      });
      await p.stack.stripe.webhooks.settled();
      const merged = await pendingOf(view.accountId);
      expect(merged.sources).toEqual(['ope', 'stripe']);
      expect(merged.dueAtMs).toBeGreaterThanOrEqual(check.dueAtMs);
      await new Promise((r) => setTimeout(r, Math.max(0, merged.dueAtMs - Date.now()) + 200));
      expect(await published()).toContain(view.accountId);
      const rows = await waitForAudit(
        p,
        "trigger = 'event' AND account_id = @a",
        { a: view.accountId },
        (rs) => rs.some((r) => r.stage === 'plan_apply' && !r.will_retry),
      );
      expect(rows.filter((r) => r.stage === 'plan_apply').map((r) => r.outcome)).toEqual(['noop']);
      expect(stripeWrites(p, sub.id).filter((w) => w.idempotencyKey?.startsWith('driftcontrol-'))).toEqual(
        [],
      );
    }, 120_000);
  });

  it("`driftcontrol events` shows an account's pending check and the events behind it", async () => {
    const view = healthy[0] as AccountView;
    const { sub } = firstItem(view);
    await stripe.subscriptions.update(sub.id, { metadata: { support_note: 'cli' } });
    await p.stack.stripe.webhooks.settled();
    const cli = fileURLToPath(new URL('../../bin/driftcontrol.mjs', import.meta.url));
    const { stdout } = await run(process.execPath, [cli, 'events', '--account', view.accountId, '--json'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...p.env },
    });
    const report = JSON.parse(stdout);
    expect(report.pending).toHaveLength(1);
    expect(report.pending[0]).toMatchObject({ accountId: view.accountId, sources: ['stripe'] });
    expect(report.recent.every((e: { accountIds: string[] }) => e.accountIds.includes(view.accountId))).toBe(
      true,
    );
    expect(report.recent.map((e: { eventId: string }) => e.eventId)).toContain(
      report.pending[0].eventIds.at(-1),
    );
    expect(report.lifecycle).toBeNull();
    // The account healed through events: its drift lifecycle says so.
    const healed = await run(process.execPath, [cli, 'events', '--account', healedByEvents, '--json'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...p.env },
    });
    expect(JSON.parse(healed.stdout).lifecycle).toMatchObject({
      status: 'healed',
      lastTrigger: 'event',
      attempts: 1,
    });
  }, 120_000);

  describe('anyone who can reach the endpoint is an attacker', () => {
    const url = () => p.functionUrls['stripe-events'];
    const event = (id: string, customer: string) =>
      JSON.stringify({
        id,
        object: 'event',
        type: 'customer.subscription.updated',
        created: Math.floor(Date.now() / 1000),
        request: { id: null, idempotency_key: null },
        data: { object: { id: 'sub_forged', object: 'subscription', customer } },
      });

    it.each([
      ['no signature', () => ({}), 'missing_signature'],
      [
        'a signature made with another secret',
        (b: string) => ({ 'Stripe-Signature': WebhookSender.sign(b, 'whsec_not_ours') }),
        'bad_signature',
      ],
      [
        'a genuine signature replayed an hour later',
        (b: string) => ({
          'Stripe-Signature': WebhookSender.sign(
            b,
            LOCAL_WEBHOOK_SECRET,
            Math.floor(Date.now() / 1000) - 3600,
          ),
        }),
        'timestamp_outside_tolerance',
      ],
    ])('%s: 400, nothing scheduled', async (_name, headers, code) => {
      const customer = healthy[0]?.stripe.customer.data?.id ?? 'cus_none';
      const body = event(`evt_forged_${code}`, customer);
      const before = (await p.deps.events.pending(1000)).length;
      const answer = await fetch(url(), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...headers(body) },
        body,
      });
      expect(answer.status).toBe(400);
      expect(await answer.json()).toEqual({ error: { code: 'refused', message: code } });
      expect((await p.deps.events.pending(1000)).length).toBe(before);
      expect((await p.deps.events.recent(1000)).some((e) => e.eventId === `evt_forged_${code}`)).toBe(false);
    });

    it('a genuine event delivered again is recognised and changes nothing', async () => {
      const view = healthy[0] as AccountView;
      const body = event('evt_delivered_twice', view.stripe.customer.data?.id as string);
      const send = () =>
        WebhookSender.post(url(), body, {
          'Stripe-Signature': WebhookSender.sign(body, LOCAL_WEBHOOK_SECRET),
        });
      expect(await send()).toBe(200);
      const first = (await p.deps.events.pending(1000)).find((c) => c.accountId === view.accountId);
      expect(first?.eventIds).toContain('evt_delivered_twice');
      expect(await send()).toBe(200);
      const second = (await p.deps.events.pending(1000)).find((c) => c.accountId === view.accountId);
      expect(second?.dueAtMs).toBe(first?.dueAtMs);
      expect(second?.eventCount).toBe(first?.eventCount);
    });
  });
});
