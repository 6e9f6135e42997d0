import { addInterval, type StoreTables } from './records.js';
import { type StripeSeed, StripeSeedSchema } from './seed.js';

/**
 * Turning a StripeSeed (plain JSON, see seed.ts) into records: Stripe-like defaults for what the seed
 * leaves out, then a check of every reference across the seed and what is already stored. It works on
 * copies of the store's tables and returns them, so the store swaps them in only when the whole seed is
 * valid: an invalid seed changes nothing.
 */

/**
 * The tables after adding (or replacing, by id) the objects of a seed, and how many of each it held.
 * The seed is validated as a whole first, references included (against the seed and `current`); on any
 * problem this throws and `current` is untouched.
 */
export function mergeSeed(
  current: StoreTables,
  input: StripeSeed,
  clock: () => number,
): { tables: StoreTables; counts: Record<string, number> } {
  const parsed = StripeSeedSchema.safeParse(input);
  if (!parsed.success) {
    throw new Error(
      `invalid Stripe seed: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const seed = parsed.data;
  const now = clock();
  const problems: string[] = [];
  const customers = new Map(current.customers);
  const paymentMethods = new Map(current.paymentMethods);
  const products = new Map(current.products);
  const prices = new Map(current.prices);
  const subscriptions = new Map(current.subscriptions);
  const invoices = new Map(current.invoices);
  const itemOwner = new Map(current.itemOwner);

  for (const c of seed.customers ?? []) {
    customers.set(c.id, {
      id: c.id,
      email: c.email ?? null,
      name: c.name ?? null,
      description: c.description ?? null,
      metadata: { ...(c.metadata ?? {}) },
      default_payment_method: c.default_payment_method ?? null,
      created: c.created ?? now,
    });
  }
  for (const pm of seed.payment_methods ?? []) {
    paymentMethods.set(pm.id, {
      id: pm.id,
      customer: pm.customer,
      card: pm.card ?? { brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2034 },
      metadata: { ...(pm.metadata ?? {}) },
      created: pm.created ?? now,
    });
  }
  for (const p of seed.products ?? []) {
    products.set(p.id, {
      id: p.id,
      name: p.name,
      active: p.active ?? true,
      metadata: { ...(p.metadata ?? {}) },
      created: p.created ?? now,
      updated: p.created ?? now,
    });
  }
  for (const p of seed.prices ?? []) {
    prices.set(p.id, {
      id: p.id,
      product: p.product,
      currency: p.currency ?? 'usd',
      unit_amount: p.unit_amount,
      recurring:
        p.recurring === null
          ? null
          : {
              interval: p.recurring?.interval ?? 'month',
              interval_count: p.recurring?.interval_count ?? 1,
            },
      active: p.active ?? true,
      lookup_key: p.lookup_key ?? null,
      nickname: p.nickname ?? null,
      metadata: { ...(p.metadata ?? {}) },
      created: p.created ?? now,
    });
  }
  for (const s of seed.subscriptions ?? []) {
    const created = s.created ?? now;
    const firstPrice = prices.get(s.items[0]?.price ?? '');
    const interval = firstPrice?.recurring ?? { interval: 'month' as const, interval_count: 1 };
    const periodStart = s.current_period_start ?? s.start_date ?? created;
    const periodEnd =
      s.current_period_end ?? addInterval(periodStart, interval.interval, interval.interval_count);
    const previous = subscriptions.get(s.id);
    for (const item of previous?.items ?? []) itemOwner.delete(item.id);
    const status = s.status ?? 'active';
    const items = s.items.map((item, index) => {
      const id = item.id ?? `si_${s.id.slice(4)}_${index}`;
      if (itemOwner.has(id)) problems.push(`subscription item ${id} appears twice`);
      itemOwner.set(id, s.id);
      return {
        id,
        price: item.price,
        quantity: item.quantity ?? 1,
        metadata: { ...(item.metadata ?? {}) },
        created: item.created ?? created,
        current_period_start: periodStart,
        current_period_end: periodEnd,
      };
    });
    subscriptions.set(s.id, {
      id: s.id,
      customer: s.customer,
      status,
      items,
      metadata: { ...(s.metadata ?? {}) },
      created,
      start_date: s.start_date ?? created,
      cancel_at_period_end: s.cancel_at_period_end ?? false,
      canceled_at: s.canceled_at ?? (status === 'canceled' ? periodStart : null),
      ended_at: status === 'canceled' ? (s.canceled_at ?? periodStart) : null,
      default_payment_method: s.default_payment_method ?? null,
      collection_method: s.collection_method ?? 'charge_automatically',
      currency: s.currency ?? firstPrice?.currency ?? 'usd',
      description: s.description ?? null,
    });
  }
  for (const inv of seed.invoices ?? []) {
    const created = inv.created ?? now;
    const status = inv.status ?? 'paid';
    invoices.set(inv.id, {
      id: inv.id,
      customer: inv.customer,
      subscription: inv.subscription ?? null,
      status,
      currency: inv.currency ?? 'usd',
      amount_due: inv.amount_due,
      amount_paid: inv.amount_paid ?? (status === 'paid' ? inv.amount_due : 0),
      billing_reason: inv.billing_reason ?? (inv.subscription ? 'subscription_cycle' : 'manual'),
      created,
      period_start: inv.period_start ?? created,
      period_end: inv.period_end ?? created,
      due_date: inv.due_date ?? null,
      number: inv.number ?? null,
      metadata: { ...(inv.metadata ?? {}) },
      lines: (inv.lines ?? []).map((line, index) => ({
        id: `il_${inv.id.slice(3)}_${index}`,
        price: line.price ?? null,
        quantity: line.quantity ?? null,
        amount: line.amount,
        description: line.description ?? null,
        subscription_item: line.subscription_item ?? null,
        period_start: line.period_start ?? inv.period_start ?? created,
        period_end: line.period_end ?? inv.period_end ?? created,
        metadata: { ...(line.metadata ?? {}) },
      })),
    });
  }

  // References, checked against the merged state so a seed may be split over several calls.
  for (const c of customers.values()) {
    const pm = c.default_payment_method;
    if (pm !== null && paymentMethods.get(pm)?.customer !== c.id) {
      problems.push(`customer ${c.id}: default payment method ${pm} is not attached to it`);
    }
  }
  for (const pm of paymentMethods.values()) {
    if (pm.customer !== null && !customers.has(pm.customer)) {
      problems.push(`payment method ${pm.id}: unknown customer ${pm.customer}`);
    }
  }
  for (const p of prices.values()) {
    if (!products.has(p.product)) problems.push(`price ${p.id}: unknown product ${p.product}`);
  }
  for (const s of subscriptions.values()) {
    if (!customers.has(s.customer)) problems.push(`subscription ${s.id}: unknown customer ${s.customer}`);
    const seen = new Set<string>();
    for (const item of s.items) {
      const price = prices.get(item.price);
      if (!price) problems.push(`subscription ${s.id}: unknown price ${item.price}`);
      else if (price.recurring === null)
        problems.push(`subscription ${s.id}: price ${item.price} is not recurring`);
      if (seen.has(item.price))
        problems.push(`subscription ${s.id}: price ${item.price} appears on two items`);
      seen.add(item.price);
    }
  }
  for (const inv of invoices.values()) {
    if (!customers.has(inv.customer)) problems.push(`invoice ${inv.id}: unknown customer ${inv.customer}`);
    if (inv.subscription !== null && !subscriptions.has(inv.subscription)) {
      problems.push(`invoice ${inv.id}: unknown subscription ${inv.subscription}`);
    }
  }
  if (problems.length > 0) {
    throw new Error(`invalid Stripe seed: ${problems.slice(0, 20).join('; ')}`);
  }

  return {
    tables: { customers, paymentMethods, products, prices, subscriptions, invoices, itemOwner },
    counts: {
      customers: seed.customers?.length ?? 0,
      payment_methods: seed.payment_methods?.length ?? 0,
      products: seed.products?.length ?? 0,
      prices: seed.prices?.length ?? 0,
      subscriptions: seed.subscriptions?.length ?? 0,
      invoices: seed.invoices?.length ?? 0,
    },
  };
}
