import Stripe from 'stripe';
import { AUDIT_TABLE, DATASETS } from '../../shared/contracts/topology.js';
import { plan } from '../../shared/core/planner.js';
import type { AccountView } from '../../shared/domain/account-view.js';
import { gatherLive } from '../../shared/pipeline/gather.js';
import type { LocalPipeline } from './pipeline.js';

/**
 * The event path on a local pipeline (docs/design.md, "Events"): people change items directly in the
 * local Stripe, as they would in Stripe's dashboard; the local Stripe's signed webhooks reach
 * stripe-events, event-sweeper (called every `sweepEveryMs`, as Cloud Scheduler does every minute) hands
 * the settled checks to gather, and plan-apply heals. Measures drift-to-heal latency — from the person's
 * write to the heal's audit row — beside the settle delay, its lower bound, and the Stripe reads per check.
 * `npm start` shows it after the nightly cycle; `npm run bench -- --only events` measures it.
 */

export interface EventHeal {
  readonly accountId: string;
  /** The final plan-apply outcome of the event-driven check (null: none within the timeout). */
  readonly outcome: string | null;
  /** Why, as the audit row says (a restriction that blocked the heal, ...). */
  readonly reason: string | null;
  readonly latencyMs: number | null;
}

export interface EventDemoResult {
  readonly settleMs: number;
  readonly heals: readonly EventHeal[];
  /** Stripe reads (GET) made while the checks ran, per check. */
  readonly stripeReadsPerCheck: number;
  readonly webhooksDelivered: number;
}

/** The first item of an account's one active subscription. */
export function firstActiveItem(view: AccountView) {
  const sub = view.stripe.subscriptions.data.find((s) => s.status === 'active' && s.items.length > 0);
  if (!sub) throw new Error(`${view.accountId} has no active subscription`);
  return { sub, item: sub.items[0] as (typeof sub.items)[number] };
}

/**
 * Whether raising the first item's quantity by `by` in OPE (or in Stripe) makes drift a heal may apply
 * (not an item whose quantity is not compared, not blocked by a restriction such as an expired card).
 */
export function healableWhenRaised(view: AccountView, where: 'ope' | 'stripe', by = 3): boolean {
  const raised = structuredClone(view);
  const { item } = firstActiveItem(raised);
  if (where === 'stripe') item.quantity += by;
  else
    for (const sub of raised.ope.data.subscriptions)
      for (const o of sub.items) if (o.id === item.metadata.ope_item_id) o.quantity += by;
  return plan(raised).outcome === 'changes';
}

/**
 * Accounts whose live plan is noop, with one active subscription, no drift in the mirror and no heal
 * yet (no cooldown), where a person's raise of an item's quantity makes drift the event path may heal.
 */
export async function healthyAccounts(p: LocalPipeline, wanted: number): Promise<AccountView[]> {
  const triaged = new Set((await p.deps.mirror.newStripeDrift(p.snapshotDate)).map((r) => r.accountId));
  const out: AccountView[] = [];
  for (let i = 0; i < p.world.accounts && out.length < wanted; i++) {
    const id = `acc_${String(i).padStart(7, '0')}`;
    if (triaged.has(id) || (await p.deps.control.lastHealedAt([id])).has(id)) continue;
    const view = await gatherLive(p.deps, id);
    if (view?.cfProd.data.accountType !== 'self_serve') continue;
    const active = view.stripe.subscriptions.data.filter((s) => s.status === 'active' && s.items.length > 0);
    if (active.length === 1 && plan(view).outcome === 'noop' && healableWhenRaised(view, 'stripe'))
      out.push(view);
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runEventDemo(
  p: LocalPipeline,
  options: { changes: number; settleSeconds?: number; sweepEveryMs?: number; timeoutMs?: number },
): Promise<EventDemoResult> {
  const settleSeconds = options.settleSeconds ?? 2;
  await p.setConfig({
    eventSettleSeconds: settleSeconds,
    eventMaxWaitSeconds: Math.max(settleSeconds * 5, 30),
  });
  const accounts = await healthyAccounts(p, options.changes);
  const person = new Stripe('sk_test_dashboard_person', {
    ...p.stack.stripe.clientConfig(),
    maxNetworkRetries: 0,
  });
  const readsBefore = p.stack.stripe.requests({ method: 'GET' }).length;
  const deliveredBefore = p.stack.stripe.webhooks.deliveries().filter((d) => d.delivered).length;
  const changedAt = new Map<string, number>();
  for (const view of accounts) {
    const { sub, item } = firstActiveItem(view);
    await person.subscriptions.update(sub.id, {
      items: [{ id: item.id, quantity: item.quantity + 3 }],
      proration_behavior: 'none',
    });
    changedAt.set(view.accountId, Date.now());
  }
  const finals = new Map<string, { outcome: string; reason: string | null; finishedAt: number }>();
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (finals.size < accounts.length && Date.now() < deadline) {
    await p.sweepEvents();
    await sleep(options.sweepEveryMs ?? 1000);
    const [rows] = await p.bq.query({
      query: `SELECT account_id, outcome, reason, finished_at FROM ${DATASETS.audit}.${AUDIT_TABLE}
              WHERE trigger = 'event' AND stage = 'plan_apply' AND NOT will_retry AND account_id IN UNNEST(@ids)`,
      params: { ids: accounts.map((a) => a.accountId) },
    });
    for (const r of rows as {
      account_id: string;
      outcome: string;
      reason: string | null;
      finished_at: { value: string } | string;
    }[]) {
      const at = typeof r.finished_at === 'string' ? r.finished_at : r.finished_at.value;
      if (!finals.has(r.account_id))
        finals.set(r.account_id, { outcome: r.outcome, reason: r.reason, finishedAt: Date.parse(at) });
    }
  }
  const heals = accounts.map((view) => {
    const final = finals.get(view.accountId);
    const from = changedAt.get(view.accountId) as number;
    return {
      accountId: view.accountId,
      outcome: final?.outcome ?? null,
      reason: final?.reason ?? null,
      latencyMs: final ? final.finishedAt - from : null,
    };
  });
  return {
    settleMs: settleSeconds * 1000,
    heals,
    stripeReadsPerCheck:
      accounts.length === 0
        ? 0
        : (p.stack.stripe.requests({ method: 'GET' }).length - readsBefore) / accounts.length,
    webhooksDelivered:
      p.stack.stripe.webhooks.deliveries().filter((d) => d.delivered).length - deliveredBefore,
  };
}

export function percentile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
}

export function formatEventDemo(r: EventDemoResult): string {
  const healed = r.heals.filter((h) => h.outcome === 'applied');
  const lat = healed.map((h) => h.latencyMs as number);
  const s = (ms: number | null) => (ms === null ? '-' : `${(ms / 1000).toFixed(1)} s`);
  return [
    `Event path: ${r.heals.length} item(s) changed directly in Stripe; ${healed.length} healed through webhooks, no nightly run`,
    `  drift to heal  p50 ${s(percentile(lat, 0.5))}, p95 ${s(percentile(lat, 0.95))}, max ${s(lat.length ? Math.max(...lat) : null)} (settle delay ${s(r.settleMs)})`,
    `  Stripe reads per check ${r.stripeReadsPerCheck.toFixed(2)}; webhooks delivered ${r.webhooksDelivered}`,
    ...r.heals
      .filter((h) => h.outcome !== 'applied')
      .map((h) =>
        h.outcome === null
          ? `  ${h.accountId}: no final row within the timeout`
          : `  ${h.accountId}: ${h.outcome} — ${h.reason ?? 'no reason given'} (the valves of the nightly run hold here too)`,
      ),
  ].join('\n');
}
