import type { AccountView, OpeSubscription, StripeSubscription } from '../domain/account-view.js';
import type { AccountDriftKind, ClassifiedElement } from '../domain/plan.js';
import { type AccountIndex, buildAccountIndex } from './account-index.js';
import { classifyWithIndex } from './classify.js';

/** Account-level drift: docs/domain-rules.md "Drift per account". */

export interface AccountDriftResult {
  readonly hasDrift: boolean;
  readonly accountKinds: AccountDriftKind[];
}

/** Status drift of one matched pair: cancel-at-period-end disagrees where neither side is a contract. */
export function subscriptionStatusDrift(
  index: AccountIndex,
  ope: OpeSubscription | undefined,
  stripe: StripeSubscription | undefined,
): boolean {
  // A bad-debt account's subscriptions belong to the bad-debt path (only its flag may change).
  if (index.isBadDebtAccount || ope === undefined || stripe === undefined) return false;
  if (ope.status === 'canceled' || ope.contract || stripe.metadata.contract === 'true') return false;
  return stripe.cancelAtPeriodEnd !== ope.cancelAtPeriodEnd;
}

export function isStatusDrift(index: AccountIndex): boolean {
  return index.opeSubscriptions.some((ope) =>
    subscriptionStatusDrift(index, ope, index.stripeSubscriptionForOpe.get(ope.id)),
  );
}

/** OPE subscriptions with something Stripe must bill but no live Stripe subscription to bill it on. */
export function opeSubscriptionsMissingInStripe(
  index: AccountIndex,
  elements: readonly ClassifiedElement[],
): string[] {
  const expectedBySubscription = new Set(
    elements.filter((e) => e.elementClass === 'expected_in_stripe').map((e) => e.opeSubscriptionId),
  );
  return index.opeSubscriptions
    .filter((ope) => expectedBySubscription.has(ope.id) && !index.stripeSubscriptionForOpe.has(ope.id))
    .map((ope) => ope.id);
}

export function opeSubscriptionsWithCurrencyMismatch(index: AccountIndex): string[] {
  return index.opeSubscriptions
    .filter((ope) => {
      const stripe = index.stripeSubscriptionForOpe.get(ope.id);
      return stripe !== undefined && stripe.currency !== ope.currency;
    })
    .map((ope) => ope.id);
}

export function isBadDebtFlagDrift(index: AccountIndex): boolean {
  const customer = index.view.stripe.customer.data;
  if (customer === null || customer.deleted) return false;
  return (customer.metadata.bad_debt === 'true') !== index.isBadDebtAccount;
}

export function invoicesWithMetadataDrift(index: AccountIndex) {
  return index.view.stripe.invoices.data.recent
    .filter((invoice) => invoice.status !== 'void' && invoice.metadata.cf_account_id !== index.view.accountId)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function accountDriftWithIndex(
  index: AccountIndex,
  elements: readonly ClassifiedElement[],
): AccountDriftResult {
  const kinds: AccountDriftKind[] = [];
  if (isStatusDrift(index)) kinds.push('status');
  if (opeSubscriptionsMissingInStripe(index, elements).length > 0) kinds.push('missing_subscription');
  if (opeSubscriptionsWithCurrencyMismatch(index).length > 0) kinds.push('currency');
  if (isBadDebtFlagDrift(index)) kinds.push('bad_debt_flag');
  if (invoicesWithMetadataDrift(index).length > 0) kinds.push('invoice_metadata');
  return { hasDrift: kinds.length > 0 || elements.some((e) => e.drift.length > 0), accountKinds: kinds };
}

export function accountDrift(view: AccountView): AccountDriftResult {
  const index = buildAccountIndex(view);
  return accountDriftWithIndex(index, classifyWithIndex(index));
}
