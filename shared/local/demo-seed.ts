import type { StackSeed } from './stack.js';
import type { StripeSeed } from './stripe/seed.js';
import { PLAN_LEVELS, type PlanLevel } from './zones.js';

/**
 * A small deterministic synthetic seed for bringing the stack up by hand (`scripts/local-stack.ts
 * --accounts N`) until the warehouse's world generator maps its world into these formats. Synthetic
 * data only. Every 7th account's www zone drifts from subs-api, every 5th has no payment method.
 */
export function demoSeed(accounts: number, now = Math.floor(Date.now() / 1000)): StackSeed {
  const stripe: Required<StripeSeed> = {
    customers: [],
    payment_methods: [],
    products: [
      { id: 'prod_demo_pro', name: 'Pro plan' },
      { id: 'prod_demo_business', name: 'Business plan' },
      { id: 'prod_demo_addon', name: 'Add-on' },
    ],
    prices: [
      {
        id: 'price_demo_pro_m',
        product: 'prod_demo_pro',
        unit_amount: 2500,
        recurring: { interval: 'month' },
      },
      {
        id: 'price_demo_business_m',
        product: 'prod_demo_business',
        unit_amount: 25000,
        recurring: { interval: 'month' },
      },
      {
        id: 'price_demo_addon_m',
        product: 'prod_demo_addon',
        unit_amount: 500,
        recurring: { interval: 'month' },
      },
    ],
    subscriptions: [],
    invoices: [],
  };
  const subsZones: Array<{ zoneId: string; accountId: string; planLevel: PlanLevel }> = [];
  const wwwZones: Array<{ zoneId: string; accountId: string; planLevel: PlanLevel }> = [];
  const periodStart = now - 10 * 86_400;
  for (let i = 1; i <= accounts; i++) {
    const n = String(i).padStart(6, '0');
    const accountId = `acct${n}`;
    const customer = `cus_demo${n}`;
    const hasPm = i % 5 !== 0;
    stripe.customers.push({
      id: customer,
      email: `billing+${n}@example.test`,
      name: `Synthetic account ${n}`,
      metadata: { account_id: accountId },
      default_payment_method: hasPm ? `pm_demo${n}` : null,
    });
    if (hasPm) stripe.payment_methods.push({ id: `pm_demo${n}`, customer });
    const business = i % 3 === 0;
    stripe.subscriptions.push({
      id: `sub_demo${n}`,
      customer,
      metadata: { account_id: accountId },
      current_period_start: periodStart,
      items: [
        {
          price: business ? 'price_demo_business_m' : 'price_demo_pro_m',
          metadata: { ope_item_id: `ope_${n}_1` },
        },
        ...(i % 4 === 0
          ? [{ price: 'price_demo_addon_m', quantity: 2, metadata: { ope_item_id: `ope_${n}_2` } }]
          : []),
      ],
    });
    stripe.invoices.push({
      id: `in_demo${n}`,
      customer,
      subscription: `sub_demo${n}`,
      amount_due: business ? 25000 : 2500,
      created: periodStart,
      period_start: periodStart - 30 * 86_400,
      period_end: periodStart,
    });
    const level: PlanLevel = business ? 'business' : 'pro';
    const zoneId = `zone${n}`;
    subsZones.push({ zoneId, accountId, planLevel: level });
    const drifted = PLAN_LEVELS[(PLAN_LEVELS.indexOf(level) + 3) % PLAN_LEVELS.length] as PlanLevel;
    wwwZones.push({ zoneId, accountId, planLevel: i % 7 === 0 ? drifted : level });
  }
  return { stripe, subsApi: { zones: subsZones }, www: { zones: wwwZones } };
}
