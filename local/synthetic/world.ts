/**
 * The synthetic world: N accounts over consecutive snapshot dates, every store consistent with every other.
 * Each account is a pure function of (seed, index, date index), so the mirror rows (rows.ts), the
 * AccountView (account-view.ts) and a later local Stripe seed are all read from the same generated state,
 * and any one account can be regenerated without the others.
 *
 * Scenarios cover every element class, every drift kind, every restriction condition and the new /
 * persistent / healed drift patterns (see SCENARIO_WEIGHTS; docs/warehouse.md describes the mix).
 */
import type {
  AccountGates,
  CatalogueEntry,
  DunningState,
  OpeItem,
  OpeSubscription,
  OpeSubscriptionStatus,
  StripeCustomer,
  StripeInvoice,
  StripeItem,
  StripePaymentMethod,
  StripePrice,
  StripeSubscription,
  StripeSubscriptionStatus,
} from '../../shared/domain/account-view.js';
import type { Interval } from '../../shared/domain/common.js';
import { hash32, Rng } from './prng.js';

export const UNSUPPORTED_ACCOUNT_TYPES = [
  'cloudflare_ent',
  'msp',
  'partners_pay_go',
  'sfcc',
  'jdc',
  'ibm',
] as const;
const CURRENCIES = ['usd', 'eur', 'gbp'] as const;
const CURRENCY_FACTOR: Record<string, number> = { usd: 1, eur: 0.92, gbp: 0.8 };
const PLAN_PRODUCTS = ['prod_pro', 'prod_business'] as const;
const ADDON_PRODUCTS = ['prod_lb', 'prod_workers', 'prod_argo', 'prod_images', 'prod_stream'] as const;
const MONTHLY_USD: Record<string, number> = {
  prod_pro: 2500,
  prod_business: 25000,
  prod_lb: 500,
  prod_workers: 500,
  prod_argo: 500,
  prod_images: 1000,
  prod_stream: 1000,
  prod_legacy_unpriced: 1500,
};
/** Sold in Stripe (old price) but billing_prod has no entry for it: OPE items on it are missing_price. */
export const UNPRICED_PRODUCT = 'prod_legacy_unpriced';
const ZONE_PLANS = ['free', 'pro', 'business', 'enterprise'] as const;
const DAY_MS = 86_400_000;

export interface WorldPrice extends StripePrice {
  /** A grandfathered price (lower than the catalogue's): an item on it has price drift. */
  legacy: boolean;
}

export interface World {
  seed: number;
  accounts: number;
  /** Consecutive snapshot dates, oldest first. */
  dates: string[];
  catalogue: CatalogueEntry[];
  prices: WorldPrice[];
  priceById: ReadonlyMap<string, WorldPrice>;
}

export interface WorldOptions {
  seed?: number;
  accounts: number;
  /** The last snapshot date (today's); default 2026-11-24. */
  endDate?: string;
  /** Number of consecutive snapshot dates (>= 1); default 2. */
  days?: number;
}

export type DriftWhen = 'new' | 'persistent' | 'healed';

export interface SubState extends StripeSubscription {
  currentPeriodStart: string;
  currentPeriodEnd: string;
  trialEnd: string | null;
  created: string;
}

export interface InvoiceState extends StripeInvoice {
  customerId: string;
  amountDueMinor: number;
  currency: string;
  created: string;
}

/** The Stripe objects an account owns (a merged partner shares its lead's). */
export interface StripeSide {
  customerId: string;
  /** null: the customer id is known to subs_customer but does not exist in Stripe. */
  customer: StripeCustomer | null;
  customerCreated: string;
  paymentMethods: StripePaymentMethod[];
  subscriptions: SubState[];
  invoices: InvoiceState[];
}

export interface ZoneState {
  zoneId: string;
  cfPlan: string;
  /** null: the www database has no row for the zone. */
  wwwPlan: string | null;
  /** null: subs-api has no record (free zones have none). */
  subsApiPlan: string | null;
}

export interface AccountState {
  index: number;
  accountId: string;
  snapshotDate: string;
  /** The snapshot instant: D 00:00:00 UTC. */
  asOf: string;
  scenario: Scenario;
  driftWhen: DriftWhen;
  /** Whether the scenario's drift is present on this snapshot date. */
  driftActive: boolean;
  subsAccountType: string;
  cfAccountType: string;
  mergedAccountIds: string[];
  /** subs_customer's Stripe customer id (null: none). */
  stripeCustomerId: string | null;
  /** Every account id mapped to the same Stripe customer, this one included. */
  accountIdsForCustomer: string[];
  dunning: DunningState;
  gates: AccountGates;
  ope: OpeSubscription[];
  /** Stripe objects this account owns and emits; null when it has none of its own. */
  stripe: StripeSide | null;
  /** Merged partner: the index of the account whose Stripe objects it shares. */
  sharesStripeWith: number | null;
  zones: ZoneState[];
}

/** Scenario mix, weights per mille. clean_* have no Stripe drift of their own. */
export const SCENARIO_WEIGHTS = [
  ['clean', 500],
  ['clean_multi_sub', 30],
  ['clean_trial', 25],
  ['clean_cancel_at_period_end', 20],
  ['clean_delayed_upgrade', 30],
  ['clean_applied_change', 15],
  ['clean_contract_item', 15],
  ['clean_bad_debt', 15],
  ['clean_canceled_sub', 15],
  ['clean_no_subs', 20],
  ['enterprise', 40],
  ['merged_ids', 10],
  ['no_stripe_customer', 10],
  ['stripe_customer_missing', 5],
  ['stripe_customer_deleted', 5],
  ['drift_missing_item', 20],
  ['drift_extra_item', 20],
  ['drift_duplicate_item', 8],
  ['drift_price', 25],
  ['drift_price_no_payment_method', 12],
  ['drift_quantity', 25],
  ['drift_interval', 12],
  ['drift_missing_price', 12],
  ['drift_status', 15],
  ['drift_missing_subscription', 12],
  ['drift_currency', 10],
  ['drift_bad_debt_flag', 15],
  ['drift_invoice_metadata', 15],
  ['drift_uncollectible', 8],
  ['drift_invoice_date_near', 10],
  ['drift_delayed_upgrade_due', 10],
] as const;
export type Scenario = (typeof SCENARIO_WEIGHTS)[number][0] | 'merged_partner';

const pad = (i: number) => i.toString().padStart(7, '0');
export const accountIdOf = (index: number) => `acc_${pad(index)}`;

export function accountIndexOf(accountId: string): number {
  const m = /^acc_(\d+)$/.exec(accountId);
  if (!m) throw new Error(`not a synthetic account id: ${accountId}`);
  return Number(m[1]);
}

const iso = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;
const priceIdFor = (product: string, interval: Interval, currency: string, legacy = false) =>
  `price_${product.slice(5)}_${interval}_${currency}${legacy ? '_legacy' : ''}`;

function amountFor(product: string, interval: Interval, currency: string, legacy: boolean): number {
  const monthly = Math.round((MONTHLY_USD[product] ?? 1000) * (CURRENCY_FACTOR[currency] ?? 1));
  const base = interval === 'year' ? monthly * 10 : monthly;
  return legacy ? Math.round(base * 0.8) : base;
}

export function createWorld(opts: WorldOptions): World {
  const days = opts.days ?? 2;
  if (!Number.isInteger(opts.accounts) || opts.accounts < 1)
    throw new Error('accounts must be a positive integer');
  if (!Number.isInteger(days) || days < 1) throw new Error('days must be a positive integer');
  const end = Date.parse(`${opts.endDate ?? '2026-11-24'}T00:00:00Z`);
  if (Number.isNaN(end)) throw new Error(`invalid endDate ${opts.endDate}`);
  const dates = Array.from({ length: days }, (_, i) => iso(end - (days - 1 - i) * DAY_MS).slice(0, 10));
  const catalogue: CatalogueEntry[] = [];
  const prices: WorldPrice[] = [];
  for (const product of [...PLAN_PRODUCTS, ...ADDON_PRODUCTS, UNPRICED_PRODUCT]) {
    for (const interval of ['month', 'year'] as const) {
      for (const currency of CURRENCIES) {
        for (const legacy of [false, true]) {
          if (product === UNPRICED_PRODUCT && legacy) continue;
          const p: WorldPrice = {
            id: priceIdFor(product, interval, currency, legacy),
            productId: product,
            unitAmountMinor: amountFor(product, interval, currency, legacy),
            currency,
            interval,
            legacy,
          };
          prices.push(p);
          if (!legacy && product !== UNPRICED_PRODUCT)
            catalogue.push({
              productId: product,
              interval,
              currency,
              stripePriceId: p.id,
              unitAmountMinor: p.unitAmountMinor,
            });
        }
      }
    }
  }
  return {
    seed: opts.seed ?? 42,
    accounts: opts.accounts,
    dates,
    catalogue,
    prices,
    priceById: new Map(prices.map((p) => [p.id, p])),
  };
}

function priceOf(world: World, id: string): StripePrice {
  const p = world.priceById.get(id);
  if (!p) throw new Error(`unknown price ${id}`);
  const { legacy: _legacy, ...price } = p;
  return price;
}

/** Whether an account index is half of a merged pair (two accounts on one Stripe customer). */
export function mergedPairLead(world: World, index: number): number | null {
  const lead = index - (index % 2);
  if (lead + 1 >= world.accounts) return null;
  return new Rng(hash32(world.seed, lead, 0x5eed)).chance(0.008) ? lead : null;
}

function isDriftActive(when: DriftWhen, dateIndex: number, last: number): boolean {
  if (when === 'persistent') return true;
  if (when === 'new') return dateIndex === last;
  return dateIndex < last;
}

/** The state of one account on one snapshot date. */
export function buildAccount(world: World, index: number, dateIndex: number): AccountState {
  if (index < 0 || index >= world.accounts) throw new Error(`account index ${index} outside the world`);
  const snapshotDate = world.dates[dateIndex];
  if (snapshotDate === undefined) throw new Error(`date index ${dateIndex} outside the world`);
  const last = world.dates.length - 1;
  const asOfMs = Date.parse(`${snapshotDate}T00:00:00Z`);
  const firstMs = Date.parse(`${world.dates[0]}T00:00:00Z`);
  const lastMs = Date.parse(`${world.dates[last]}T00:00:00Z`);
  const accountId = accountIdOf(index);
  const p = pad(index);
  const rng = new Rng(hash32(world.seed, index));
  const lead = mergedPairLead(world, index);
  const partnerOfLead = lead !== null && index === lead + 1;

  // Every draw below happens on every date in the same order, so an account differs between dates only
  // where its scenario's drift switches on or off (or time passes a scheduled change).
  const scenario: Scenario = partnerOfLead ? 'merged_partner' : rng.weighted(SCENARIO_WEIGHTS);
  const driftWhen = rng.weighted<DriftWhen>([
    ['new', 45],
    ['persistent', 40],
    ['healed', 15],
  ]);
  const active = isDriftActive(driftWhen, dateIndex, last);
  const currency = rng.weighted([
    ['usd', 70],
    ['eur', 20],
    ['gbp', 10],
  ] as const);
  const gates: AccountGates = {
    badDebtDriftRemediation: rng.chance(0.5),
    invoiceMetadataRemediation: rng.chance(0.5),
  };
  const created = iso(firstMs - rng.int(30, 900) * DAY_MS);

  const state: AccountState = {
    index,
    accountId,
    snapshotDate,
    asOf: iso(asOfMs),
    scenario,
    driftWhen,
    driftActive: active,
    subsAccountType: 'self_serve',
    cfAccountType: 'self_serve',
    mergedAccountIds: [],
    stripeCustomerId: `cus_${p}`,
    accountIdsForCustomer: [accountId],
    dunning: 'none',
    gates,
    ope: [],
    stripe: null,
    sharesStripeWith: null,
    zones: [],
  };

  // Zones (www drift is independent of the Stripe scenario).
  const nZones = rng.int(0, 3);
  const zoneDrift = rng.chance(0.04);
  const zoneWhen = rng.weighted<DriftWhen>([
    ['new', 50],
    ['persistent', 35],
    ['healed', 15],
  ]);
  const zoneDriftKind = rng.weighted([
    ['plan_level', 70],
    ['missing_in_www', 15],
    ['missing_in_subs_api', 15],
  ] as const);
  for (let z = 0; z < nZones; z++) {
    const plan = rng.weighted([
      ['free', 40],
      ['pro', 35],
      ['business', 20],
      ['enterprise', 5],
    ] as const);
    const zone: ZoneState = {
      zoneId: `zone_${p}_${z}`,
      cfPlan: plan,
      wwwPlan: plan,
      subsApiPlan: plan === 'free' ? null : plan,
    };
    if (z === 0 && zoneDrift && isDriftActive(zoneWhen, dateIndex, last)) {
      if (zoneDriftKind === 'plan_level')
        zone.wwwPlan = ZONE_PLANS[(ZONE_PLANS.indexOf(plan) + 1) % 4] as string;
      else if (zoneDriftKind === 'missing_in_www') {
        zone.subsApiPlan = plan === 'free' ? 'pro' : plan;
        zone.wwwPlan = null;
      } else {
        zone.subsApiPlan = null;
        zone.wwwPlan = plan === 'free' ? 'business' : plan;
      }
    }
    state.zones.push(zone);
  }

  if (partnerOfLead && lead !== null) {
    // Merged partner: no purchases of its own, mapped to whatever Stripe customer its lead is mapped to
    // (MergedAccount); a lead with no customer leaves both mapped to none, so neither lists the other.
    const leadCustomer = buildAccount(world, lead, dateIndex).stripeCustomerId;
    state.stripeCustomerId = leadCustomer;
    state.accountIdsForCustomer = leadCustomer === null ? [accountId] : [accountIdOf(lead), accountId];
    state.sharesStripeWith = lead;
    return state;
  }
  if (lead === index) state.accountIdsForCustomer = [accountId, accountIdOf(index + 1)];

  // ---- OPE purchases and the Stripe subscriptions mirroring them (the clean state).
  let nSubs = rng.chance(0.1) ? 2 : 1;
  if (scenario === 'clean_multi_sub') nSubs = 2;
  if (scenario === 'clean_no_subs') nSubs = 0;
  const needsTwoItems = scenario === 'drift_missing_item' || scenario === 'drift_extra_item';
  const periodEndMs = firstMs + rng.int(5, 27) * DAY_MS + rng.int(0, 23) * 3_600_000;
  const stripeSubs: SubState[] = [];
  for (let k = 0; k < nSubs; k++) {
    const interval: Interval = rng.chance(0.25) ? 'year' : 'month';
    const opeStatus: OpeSubscriptionStatus =
      scenario === 'clean_trial' ? 'trialing' : rng.chance(0.03) ? 'past_due' : 'active';
    const cancelAtPeriodEnd = scenario === 'clean_cancel_at_period_end' || rng.chance(0.02);
    const nAddons = rng.int(0, 2) + (needsTwoItems && k === 0 ? 1 : 0);
    const products: string[] = [rng.pick(PLAN_PRODUCTS)];
    for (let a = 0; a < nAddons; a++) {
      const addon = rng.pick(ADDON_PRODUCTS);
      if (!products.includes(addon)) products.push(addon);
    }
    if (needsTwoItems && k === 0 && products.length < 2)
      products.push(ADDON_PRODUCTS.find((x) => !products.includes(x)) as string);
    const opeSubId = `osub_${p}_${k}`;
    const items: OpeItem[] = products.map((productId, j) => ({
      id: `oitem_${p}_${k}_${j}`,
      productId,
      quantity: j === 0 ? 1 : rng.int(1, 5),
      deleted: false,
      contract: false,
      scheduledChange: null,
    }));
    state.ope.push({
      id: opeSubId,
      status: opeStatus,
      interval,
      currency,
      cancelAtPeriodEnd,
      contract: false,
      items,
    });
    const stripeStatus: StripeSubscriptionStatus = opeStatus === 'trialing' ? 'trialing' : opeStatus;
    stripeSubs.push({
      id: `sub_${p}_${k}`,
      customerId: `cus_${p}`,
      status: stripeStatus,
      currency,
      cancelAtPeriodEnd,
      metadata: { ope_subscription_id: opeSubId, cf_account_id: accountId },
      items: items.map((it, j) => ({
        id: `si_${p}_${k}_${j}`,
        price: priceOf(world, priceIdFor(it.productId, interval, currency)),
        quantity: it.quantity,
        metadata: { ope_item_id: it.id },
      })),
      currentPeriodStart: iso(periodEndMs - (interval === 'year' ? 365 : 30) * DAY_MS),
      currentPeriodEnd: iso(periodEndMs),
      trialEnd: opeStatus === 'trialing' ? iso(periodEndMs) : null,
      created,
    });
  }

  // Payment methods: a valid card by default.
  const pmKind = rng.weighted([
    ['card', 85],
    ['sepa', 10],
    ['none', 3],
    ['expired', 2],
  ] as const);
  const noPmVariant = rng.chance(0.5) ? 'none' : 'expired';
  const asOfYear = new Date(lastMs).getUTCFullYear();
  const expYear = asOfYear + rng.int(1, 4);
  const expMonth = rng.int(1, 12);

  // Draws every scenario may use, taken unconditionally to keep the sequence stable.
  const pickSub = 0;
  const pickItem = stripeSubs[0] ? rng.int(0, (stripeSubs[0].items.length ?? 1) - 1) : 0;
  const qtyBump = rng.int(1, 3);
  const variant = rng.next();
  const unsupported = rng.pick(UNSUPPORTED_ACCOUNT_TYPES);
  const shiftDays = rng.int(2, 20);

  const opeSub = state.ope[pickSub];
  const sSub = stripeSubs[pickSub];
  const opeItem = opeSub?.items[pickItem];
  const sItem = sSub?.items[pickItem];
  let customerDeleted = false;
  let customerMissing = false;
  let badDebtFlag: 'true' | 'false' | undefined;
  let invoiceMeta = 'ok' as 'ok' | 'missing' | 'wrong';
  let uncollectible = false as boolean;
  let pm: 'card' | 'sepa' | 'none' | 'expired' = pmKind;

  const withDrift = (fn: () => void) => {
    if (active) fn();
  };
  const quantityDrift = () => {
    if (sItem && opeItem) sItem.quantity = opeItem.quantity + qtyBump;
  };

  switch (scenario) {
    case 'clean':
    case 'clean_multi_sub':
    case 'clean_trial':
    case 'clean_cancel_at_period_end':
    case 'clean_no_subs':
    case 'merged_partner':
      break;
    case 'clean_delayed_upgrade':
      // A change after the last snapshot: delayed_upgrade, Stripe still bills the old values.
      if (opeItem)
        opeItem.scheduledChange = {
          effectiveAt: iso(lastMs + shiftDays * DAY_MS),
          quantity: opeItem.quantity + qtyBump,
          ...(variant < 0.5 && pickItem === 0 ? { productId: 'prod_business' } : {}),
        };
      break;
    case 'clean_applied_change':
      // A change that took effect before the first snapshot; Stripe already reflects it.
      if (opeItem && sItem && opeSub) {
        opeItem.scheduledChange = {
          effectiveAt: iso(firstMs - shiftDays * DAY_MS),
          quantity: opeItem.quantity + qtyBump,
        };
        sItem.quantity = opeItem.quantity + qtyBump;
      }
      break;
    case 'clean_contract_item':
      // Contract paths beat everything: Stripe differs, but it is not drift.
      if (opeItem && sItem) {
        if (variant < 0.5) opeItem.contract = true;
        else sItem.metadata = { ...sItem.metadata, contract: 'true' };
        sItem.quantity = opeItem.quantity + qtyBump;
      }
      break;
    case 'clean_bad_debt':
      state.dunning = 'bad_debt';
      badDebtFlag = 'true';
      uncollectible = variant < 0.5;
      quantityDrift(); // frozen by bad debt: bad_debt_item, no drift
      // Status is frozen too: a bad-debt account's cancel flag belongs to the bad-debt path.
      if (variant >= 0.75 && sSub) sSub.cancelAtPeriodEnd = !sSub.cancelAtPeriodEnd;
      break;
    case 'clean_canceled_sub':
      if (opeSub && sSub) {
        opeSub.status = 'canceled';
        sSub.status = 'canceled';
      }
      break;
    case 'enterprise':
      state.subsAccountType = unsupported;
      state.cfAccountType = variant < 0.3 ? 'self_serve' : unsupported;
      if (variant < 0.15) {
        state.subsAccountType = 'self_serve';
        state.cfAccountType = unsupported;
      }
      if (variant > 0.5) withDrift(quantityDrift);
      break;
    case 'merged_ids':
      state.mergedAccountIds = [`acc_m${p}`];
      withDrift(quantityDrift);
      break;
    case 'no_stripe_customer':
      // OPE has a purchase but the account has no Stripe customer: missing_subscription (NoStripeCustomer).
      state.stripeCustomerId = null;
      if (!active) state.ope = [];
      stripeSubs.length = 0;
      break;
    case 'stripe_customer_missing':
      state.stripeCustomerId = `cus_gone_${p}`;
      customerMissing = true;
      if (!active) state.ope = [];
      stripeSubs.length = 0;
      break;
    case 'stripe_customer_deleted':
      customerDeleted = true;
      for (const s of stripeSubs) s.status = 'canceled';
      if (!active) for (const o of state.ope) o.status = 'canceled';
      break;
    case 'drift_missing_item':
      withDrift(() => {
        if (sSub) sSub.items.splice(sSub.items.length - 1, 1);
      });
      break;
    case 'drift_extra_item':
      withDrift(() => {
        if (variant < 0.6 && opeSub) {
          const it = opeSub.items[opeSub.items.length - 1];
          if (it) it.deleted = true;
        } else if (sSub) {
          const product =
            ADDON_PRODUCTS.find((x) => !sSub.items.some((i) => i.price.productId === x)) ?? 'prod_lb';
          sSub.items.push({
            id: `si_${p}_${pickSub}_x`,
            price: priceOf(world, priceIdFor(product, opeSub?.interval ?? 'month', sSub.currency)),
            quantity: 1,
            metadata: {},
          });
        }
      });
      break;
    case 'drift_duplicate_item':
      withDrift(() => {
        if (sSub && sItem)
          sSub.items.push({ ...sItem, id: `${sItem.id}_dup`, metadata: { ...sItem.metadata } });
      });
      break;
    case 'drift_price':
    case 'drift_price_no_payment_method':
      if (scenario === 'drift_price_no_payment_method') pm = noPmVariant;
      withDrift(() => {
        if (sItem && opeSub && opeItem)
          sItem.price = priceOf(
            world,
            priceIdFor(opeItem.productId, opeSub.interval, sSub?.currency ?? currency, true),
          );
      });
      break;
    case 'drift_quantity':
      withDrift(quantityDrift);
      break;
    case 'drift_interval':
      withDrift(() => {
        if (sItem && opeSub && opeItem) {
          const other: Interval = opeSub.interval === 'month' ? 'year' : 'month';
          sItem.price = priceOf(world, priceIdFor(opeItem.productId, other, sSub?.currency ?? currency));
        }
      });
      break;
    case 'drift_missing_price':
      withDrift(() => {
        if (opeItem) opeItem.productId = UNPRICED_PRODUCT;
      });
      break;
    case 'drift_status':
      withDrift(() => {
        if (sSub) sSub.cancelAtPeriodEnd = !sSub.cancelAtPeriodEnd;
      });
      break;
    case 'drift_missing_subscription':
      withDrift(() => {
        if (variant < 0.5) stripeSubs.splice(pickSub, 1);
        else if (sSub) sSub.status = variant < 0.75 ? 'canceled' : 'incomplete_expired';
      });
      break;
    case 'drift_currency':
      withDrift(() => {
        if (sSub && opeSub) {
          const other = CURRENCIES.find((c) => c !== opeSub.currency) as string;
          sSub.currency = other;
          sSub.items = sSub.items.map((it) => ({
            ...it,
            price: priceOf(world, priceIdFor(it.price.productId, it.price.interval, other)),
          }));
        }
      });
      break;
    case 'drift_bad_debt_flag':
      if (variant < 0.5) {
        state.dunning = 'bad_debt';
        badDebtFlag = active ? 'false' : 'true';
      } else {
        badDebtFlag = active ? 'true' : 'false';
      }
      break;
    case 'drift_invoice_metadata':
      withDrift(() => {
        invoiceMeta = variant < 0.5 ? 'missing' : 'wrong';
      });
      break;
    case 'drift_uncollectible':
      withDrift(() => {
        uncollectible = true;
        if (variant < 0.3) state.dunning = 'dunning';
      });
      break;
    case 'drift_invoice_date_near':
      // The next invoice is hours after the last snapshot (InvoiceDateTooNear), with quantity drift.
      for (const s of stripeSubs) s.currentPeriodEnd = iso(lastMs + rng.int(2, 40) * 3_600_000);
      withDrift(quantityDrift);
      break;
    case 'drift_delayed_upgrade_due':
      // The change takes effect between the first and the last snapshot: delayed before, drift after.
      if (opeItem)
        opeItem.scheduledChange = {
          effectiveAt: iso(world.dates.length > 1 ? lastMs - 6 * 3_600_000 : asOfMs - 6 * 3_600_000),
          quantity: opeItem.quantity + qtyBump,
        };
      break;
  }

  // ---- The Stripe side: customer, payment methods, subscriptions, recent invoices.
  // A lead whose scenario left it without a Stripe customer shares none with its partner.
  if (lead === index && state.stripeCustomerId === null) state.accountIdsForCustomer = [accountId];

  if (state.stripeCustomerId !== null && !customerMissing) {
    const pmId = `pm_${p}_0`;
    const paymentMethods: StripePaymentMethod[] =
      pm === 'none'
        ? []
        : [
            {
              id: pmId,
              type: pm === 'sepa' ? 'sepa_debit' : 'card',
              cardExpMonth: pm === 'sepa' ? null : pm === 'expired' ? expMonth : expMonth,
              cardExpYear: pm === 'sepa' ? null : pm === 'expired' ? asOfYear - 1 : expYear,
            },
          ];
    const flag = badDebtFlag ?? (state.dunning === 'bad_debt' ? 'true' : 'false');
    const customerMeta: Record<string, string> = { cf_account_id: accountId };
    if (flag === 'true' || variant < 0.7) customerMeta.bad_debt = flag;
    const invoices: InvoiceState[] = [];
    const billed = stripeSubs[0];
    if (billed) {
      const itemIds = billed.items.map((i) => i.id);
      const amount = billed.items.reduce((a, i) => a + i.price.unitAmountMinor * i.quantity, 0);
      invoices.push({
        id: `in_${p}_0`,
        status: uncollectible ? 'uncollectible' : 'paid',
        subscriptionId: billed.id,
        subscriptionItemIds: itemIds,
        metadata:
          invoiceMeta === 'missing'
            ? {}
            : { cf_account_id: invoiceMeta === 'wrong' ? `acc_x${p}` : accountId },
        customerId: `cus_${p}`,
        amountDueMinor: amount,
        currency: billed.currency,
        created: iso(firstMs - rng.int(1, 25) * DAY_MS),
      });
      // An older voided invoice without metadata: void invoices never count as invoice metadata drift.
      if (variant > 0.85)
        invoices.push({
          id: `in_${p}_1`,
          status: 'void',
          subscriptionId: billed.id,
          subscriptionItemIds: itemIds,
          metadata: {},
          customerId: `cus_${p}`,
          amountDueMinor: amount,
          currency: billed.currency,
          created: iso(firstMs - 40 * DAY_MS),
        });
    }
    state.stripe = {
      customerId: `cus_${p}`,
      customer: {
        id: `cus_${p}`,
        deleted: customerDeleted,
        currency: stripeSubs[0]?.currency ?? null,
        defaultPaymentMethodId: paymentMethods[0]?.id ?? null,
        metadata: customerMeta,
      },
      customerCreated: created,
      paymentMethods,
      subscriptions: stripeSubs,
      invoices,
    };
  }
  return state;
}

/** Every account state on one date, in index order (a generator: constant memory at any N). */
export function* accountStates(world: World, dateIndex: number): Generator<AccountState> {
  for (let i = 0; i < world.accounts; i++) yield buildAccount(world, i, dateIndex);
}

/** The Stripe objects the account sees: its own, or its merged lead's. */
export function stripeSideFor(world: World, state: AccountState, dateIndex: number): StripeSide | null {
  if (state.stripe) return state.stripe;
  if (state.sharesStripeWith !== null) return buildAccount(world, state.sharesStripeWith, dateIndex).stripe;
  return null;
}

/** The Stripe subscription as the domain sees it (without the mirror-only fields). */
export function domainSubscription(s: SubState): StripeSubscription {
  return {
    id: s.id,
    customerId: s.customerId,
    status: s.status,
    currency: s.currency,
    cancelAtPeriodEnd: s.cancelAtPeriodEnd,
    metadata: { ...s.metadata },
    items: s.items.map((i: StripeItem) => ({ ...i, price: { ...i.price }, metadata: { ...i.metadata } })),
  };
}

export const LIVE_STATUSES: ReadonlySet<string> = new Set([
  'active',
  'trialing',
  'past_due',
  'unpaid',
  'incomplete',
  'paused',
]);
