/**
 * The AccountView of a synthetic account, built from the same generated state the mirror rows come from
 * (not from the mirror): the conformance tests compare the SQL views over the mirror with the TypeScript
 * planner over these views, and the local Stripe server can be seeded from the same world.
 */
import {
  ACCOUNT_VIEW_SCHEMA_VERSION,
  AccountView,
  type UpcomingInvoice,
} from '../../shared/domain/account-view.js';
import {
  type AccountState,
  accountIndexOf,
  buildAccount,
  domainSubscription,
  LIVE_STATUSES,
  type StripeSide,
  stripeSideFor,
  type World,
} from './world.js';

/** The next invoice as Stripe would announce it: the earliest period end among live subscriptions. */
export function upcomingInvoice(side: StripeSide | null): UpcomingInvoice | null {
  const live = (side?.subscriptions ?? []).filter((s) => LIVE_STATUSES.has(s.status));
  if (live.length === 0) return null;
  const next = live.reduce((a, b) => (b.currentPeriodEnd < a.currentPeriodEnd ? b : a));
  const due = live.filter((s) => s.currentPeriodEnd === next.currentPeriodEnd);
  const amount = due.reduce(
    (sum, s) => sum + s.items.reduce((a, i) => a + i.price.unitAmountMinor * i.quantity, 0),
    0,
  );
  return { nextInvoiceAt: next.currentPeriodEnd, amountDueMinor: amount, currency: next.currency };
}

export function accountViewFromState(
  world: World,
  state: AccountState,
  dateIndex: number,
  asOf: string,
): AccountView {
  const side = stripeSideFor(world, state, dateIndex);
  // The view sees the Stripe objects of the customer subs_customer names, if Stripe has it.
  const visible = side && side.customerId === state.stripeCustomerId ? side : null;
  const partAsOf = state.asOf;
  const view: AccountView = {
    schemaVersion: ACCOUNT_VIEW_SCHEMA_VERSION,
    accountId: state.accountId,
    asOf,
    ope: {
      source: 'ope',
      asOf: partAsOf,
      data: {
        subscriptions: state.ope.map((s) => ({
          ...s,
          items: s.items.map((i) => ({
            ...i,
            scheduledChange: i.scheduledChange ? { ...i.scheduledChange } : null,
          })),
        })),
      },
    },
    stripe: {
      customer: {
        source: 'stripe',
        asOf: partAsOf,
        data: visible?.customer ? { ...visible.customer } : null,
      },
      subscriptions: {
        source: 'stripe',
        asOf: partAsOf,
        data: (visible?.subscriptions ?? []).map(domainSubscription),
      },
      invoices: {
        source: 'stripe',
        asOf: partAsOf,
        data: {
          next: upcomingInvoice(visible),
          recent: (visible?.invoices ?? []).map((i) => ({
            id: i.id,
            status: i.status,
            subscriptionId: i.subscriptionId,
            subscriptionItemIds: [...i.subscriptionItemIds],
            metadata: { ...i.metadata },
          })),
        },
      },
      paymentMethods: {
        source: 'stripe',
        asOf: partAsOf,
        data: (visible?.paymentMethods ?? []).map((m) => ({ ...m })),
      },
    },
    subsAccount: {
      source: 'subs_account',
      asOf: partAsOf,
      data: { accountType: state.subsAccountType, mergedAccountIds: [...state.mergedAccountIds] },
    },
    subsCustomer: {
      source: 'subs_customer',
      asOf: partAsOf,
      data: {
        stripeCustomerId: state.stripeCustomerId,
        accountIdsForCustomer: [...state.accountIdsForCustomer],
      },
    },
    subsDunning: { source: 'subs_dunning', asOf: partAsOf, data: { state: state.dunning } },
    billingProd: {
      source: 'billing_prod',
      asOf: partAsOf,
      data: { catalogue: world.catalogue.map((c) => ({ ...c })) },
    },
    cfProd: {
      source: 'cf_prod',
      asOf: partAsOf,
      data: {
        accountType: state.cfAccountType,
        zones: state.zones.map((z) => ({ id: z.zoneId, planLevel: z.cfPlan })),
      },
    },
    // Gates live in Firestore, not the mirror: the world is their seed.
    gates: { source: 'firestore_gates', asOf: partAsOf, data: { ...state.gates } },
  };
  return view;
}

/**
 * The AccountView of `accountId` on `snapshotDate`, evaluated at `asOf` (default: the snapshot instant,
 * D 00:00:00 UTC, which is what the SQL views use). Validated against the AccountView schema.
 */
export function accountViewFor(
  world: World,
  accountId: string,
  snapshotDate: string,
  asOf?: string,
): AccountView {
  const dateIndex = world.dates.indexOf(snapshotDate);
  if (dateIndex < 0)
    throw new Error(`snapshot date ${snapshotDate} is not in the world (${world.dates.join(', ')})`);
  const state = buildAccount(world, accountIndexOf(accountId), dateIndex);
  return AccountView.parse(accountViewFromState(world, state, dateIndex, asOf ?? state.asOf));
}
