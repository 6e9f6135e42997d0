import type { AccountView } from '../domain/account-view.js';
import type { Change, PlannerConfig, RestrictionEvaluation, RestrictionName } from '../domain/plan.js';

/**
 * The restriction table (docs/domain-rules.md "Restrictions"): every restriction
 * is evaluated on every plan and reported whether it applies or not, so "why didn't it fire" has one
 * complete answer. Evaluators are pure functions of the view, the candidate changes and the config.
 */

export const SUPPORTED_ACCOUNT_TYPES: ReadonlySet<string> = new Set(['self_serve']);

/** Named for clearer reasons; anything not supported is blocked, named or not (fail closed). */
export const UNSUPPORTED_ACCOUNT_TYPES: Readonly<Record<string, string>> = {
  cloudflare_ent: 'enterprise account',
  msp: 'managed service provider account',
  partners_pay_go: 'partner pay-as-you-go account',
  sfcc: 'SFCC contract account',
  jdc: 'JDC enterprise contract account',
  ibm: 'IBM enterprise contract account',
};

export interface RestrictionContext {
  readonly view: AccountView;
  /** Every change the planner would make before any restriction acts. */
  readonly candidates: readonly Change[];
  readonly config: PlannerConfig;
}

interface RestrictionRule {
  readonly name: RestrictionName;
  readonly effect: RestrictionEvaluation['effect'];
  readonly evaluate: (
    ctx: RestrictionContext,
  ) => Pick<RestrictionEvaluation, 'applies' | 'reason' | 'evidence'>;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/**
 * "19 hours", "2 days", "2.9 days": whole hours under two days, else days to one decimal — rounded down,
 * so a gap just under the limit never reads as the limit itself.
 */
export function howLong(ms: number): string {
  if (ms < HOUR_MS) return 'less than an hour';
  if (ms < 2 * DAY_MS) {
    const hours = Math.floor(ms / HOUR_MS);
    return `${hours} hour${hours === 1 ? '' : 's'}`;
  }
  const days = Math.floor((ms / DAY_MS) * 10) / 10;
  return `${days} days`;
}

export function describeAccountType(type: string): string {
  if (SUPPORTED_ACCOUNT_TYPES.has(type)) return `${type} (supported)`;
  return `${type} (${UNSUPPORTED_ACCOUNT_TYPES[type] ?? 'unknown type: not supported'})`;
}

/** A card is valid through the last day of its expiry month (UTC). */
export function isCardExpired(expMonth: number, expYear: number, asOf: string): boolean {
  const at = new Date(asOf);
  const nowYear = at.getUTCFullYear();
  const nowMonth = at.getUTCMonth() + 1;
  return expYear < nowYear || (expYear === nowYear && expMonth < nowMonth);
}

/**
 * Whether the customer can pay more: judged, and said, without the payment method's id or any card data
 * (audit rows and logs carry the reason; docs/design.md, "Audit").
 */
export function paymentMethodStatus(view: AccountView): {
  valid: boolean;
  status: 'missing' | 'not_found' | 'expired' | 'valid';
  detail: string;
} {
  const customer = view.stripe.customer.data;
  const defaultId = customer?.defaultPaymentMethodId ?? null;
  if (defaultId === null) return { valid: false, status: 'missing', detail: 'no default payment method' };
  const method = view.stripe.paymentMethods.data.find((m) => m.id === defaultId);
  if (method === undefined)
    return {
      valid: false,
      status: 'not_found',
      detail: "the default payment method is not among the customer's payment methods",
    };
  if (
    method.cardExpMonth !== null &&
    method.cardExpYear !== null &&
    isCardExpired(method.cardExpMonth, method.cardExpYear, view.asOf)
  )
    return { valid: false, status: 'expired', detail: 'the default card has expired' };
  return { valid: true, status: 'valid', detail: 'the default payment method is valid' };
}

function gateRule(
  name: RestrictionName,
  gate: 'badDebtDriftRemediation' | 'invoiceMetadataRemediation',
  what: string,
): RestrictionRule {
  return {
    name,
    effect: 'drops_changes',
    evaluate: ({ view, candidates }) => {
      const gateOn = view.gates.data[gate];
      const gated = candidates.filter((c) => c.gatedBy === name).map((c) => c.id);
      const evidence = { gateOn, gatedChangeIds: gated };
      if (gateOn) return { applies: false, reason: `${name} gate is on`, evidence };
      if (gated.length === 0)
        return { applies: false, reason: `${name} gate is off, but no ${what} is planned`, evidence };
      return { applies: true, reason: `${name} gate is off: ${gated.length} ${what} dropped`, evidence };
    },
  };
}

export const RESTRICTION_RULES: readonly RestrictionRule[] = [
  {
    name: 'UnsupportedAccountType',
    effect: 'blocks_plan',
    evaluate: ({ view }) => {
      const types = [view.subsAccount.data.accountType, view.cfProd.data.accountType];
      const unsupported = [...new Set(types.filter((t) => !SUPPORTED_ACCOUNT_TYPES.has(t)))];
      const evidence = { subsAccountType: types[0] ?? null, cfProdAccountType: types[1] ?? null };
      if (unsupported.length === 0) return { applies: false, reason: 'account type is self_serve', evidence };
      return {
        applies: true,
        reason: `unsupported account type: ${unsupported.map(describeAccountType).join(', ')}`,
        evidence,
      };
    },
  },
  {
    name: 'MergedAccount',
    effect: 'blocks_plan',
    evaluate: ({ view }) => {
      const merged = [...view.subsAccount.data.mergedAccountIds].sort();
      const sharing = view.subsCustomer.data.accountIdsForCustomer
        .filter((id) => id !== view.accountId)
        .sort();
      const evidence = { mergedAccountIds: merged, otherAccountsOnCustomer: sharing };
      if (merged.length === 0 && sharing.length === 0) {
        return { applies: false, reason: 'one account maps to the Stripe customer', evidence };
      }
      return {
        applies: true,
        reason:
          merged.length > 0
            ? `account is merged with ${merged.join(', ')}: ambiguous`
            : `Stripe customer is shared with ${sharing.join(', ')}: ambiguous`,
        evidence,
      };
    },
  },
  {
    name: 'InvalidPaymentMethod',
    effect: 'blocks_plan',
    evaluate: ({ view, candidates }) => {
      const raising = candidates.filter((c) => (c.moneyEffect?.annualDeltaMinor ?? 0) > 0).map((c) => c.id);
      const pm = paymentMethodStatus(view);
      const evidence = { paymentMethod: pm.status, raisingChangeIds: raising };
      if (raising.length === 0)
        return { applies: false, reason: 'no change raises what the customer pays', evidence };
      if (pm.valid) return { applies: false, reason: `${pm.detail}`, evidence };
      return {
        applies: true,
        reason: `${pm.detail} and ${raising.length} change(s) raise what the customer pays`,
        evidence,
      };
    },
  },
  {
    name: 'InvoiceDateTooNear',
    effect: 'blocks_plan',
    evaluate: ({ view, candidates, config }) => {
      const next = view.stripe.invoices.data.next;
      const billing = candidates.filter((c) => c.target.object === 'subscription').map((c) => c.id);
      const days = config.invoiceDateTooNearDays;
      const evidence = { nextInvoiceAt: next?.nextInvoiceAt ?? null, thresholdDays: days, asOf: view.asOf };
      if (billing.length === 0) return { applies: false, reason: 'no subscription change planned', evidence };
      if (next === null) return { applies: false, reason: 'no upcoming invoice', evidence };
      const gapMs = Date.parse(next.nextInvoiceAt) - Date.parse(view.asOf);
      // Said the way support reads it: "next invoice in 2 days (…), within the limit of 3 days".
      const when = `next invoice ${gapMs < 0 ? `${howLong(-gapMs)} ago` : `in ${howLong(gapMs)}`} (${next.nextInvoiceAt})`;
      if (gapMs >= days * DAY_MS) {
        return { applies: false, reason: `${when}, not within the limit of ${days} days`, evidence };
      }
      return { applies: true, reason: `${when}, within the limit of ${days} days`, evidence };
    },
  },
  {
    name: 'NoStripeCustomer',
    effect: 'blocks_plan',
    evaluate: ({ view }) => {
      const mapped = view.subsCustomer.data.stripeCustomerId;
      const customer = view.stripe.customer.data;
      const evidence = {
        subsCustomerStripeId: mapped,
        stripeCustomerId: customer?.id ?? null,
        deleted: customer?.deleted ?? null,
      };
      if (mapped === null)
        return { applies: true, reason: 'subs_customer maps the account to no Stripe customer', evidence };
      if (customer === null) return { applies: true, reason: `Stripe has no customer ${mapped}`, evidence };
      if (customer.deleted)
        return { applies: true, reason: `Stripe customer ${customer.id} is deleted`, evidence };
      if (customer.id !== mapped) {
        return {
          applies: true,
          reason: `subs_customer says ${mapped} but Stripe returned ${customer.id}`,
          evidence,
        };
      }
      return { applies: false, reason: `Stripe customer ${customer.id} exists`, evidence };
    },
  },
  gateRule('BadDebtDriftRemediation', 'badDebtDriftRemediation', 'bad-debt flag change'),
  gateRule('InvoiceMetadataRemediation', 'invoiceMetadataRemediation', 'invoice metadata change'),
];

export function evaluateRestrictions(ctx: RestrictionContext): RestrictionEvaluation[] {
  return RESTRICTION_RULES.map((rule) => ({ name: rule.name, effect: rule.effect, ...rule.evaluate(ctx) }));
}
