import type { AccountViewMessage, StripeDriftAccountMessage } from '../contracts/messages.js';
import { ACCOUNT_VIEW_SCHEMA_VERSION, AccountView } from '../domain/account-view.js';
import { validate } from '../domain/validate.js';
import type { StripeAccountParts } from '../ports/index.js';
import { emitAudit } from './audit.js';
import type { Disposition, PipelineDeps } from './deps.js';
import { failureOf } from './failures.js';

/**
 * gather's core (docs/design.md "One account, from detection to audit"): the mirror-side stores from the warehouse (as of the snapshot), Stripe
 * live, gates from Firestore — one AccountView, every part stamped with its source and as-of time.
 */

export type GatherResult =
  | { readonly disposition: 'ack'; readonly outcome: 'published'; readonly view: AccountView }
  | {
      readonly disposition: Disposition;
      readonly outcome: 'failed';
      readonly code: string;
      readonly reason: string;
    };

/** The Stripe side of an account with no Stripe customer: empty, so the planner says NoStripeCustomer. */
function emptyStripe(asOf: string): StripeAccountParts {
  return {
    customer: { source: 'stripe', asOf, data: null },
    subscriptions: { source: 'stripe', asOf, data: [] },
    invoices: { source: 'stripe', asOf, data: { next: null, recent: [] } },
    paymentMethods: { source: 'stripe', asOf, data: [] },
  };
}

export async function buildAccountView(
  deps: Pick<PipelineDeps, 'mirror' | 'stripe' | 'control' | 'clock'>,
  accountId: string,
  snapshotDate: string,
): Promise<AccountView | null> {
  const parts = await deps.mirror.accountParts(accountId, snapshotDate);
  if (parts === null) return null;
  const customerId = parts.subsCustomer.data.stripeCustomerId;
  const [stripe, gates] = await Promise.all([
    customerId === null
      ? Promise.resolve(emptyStripe(deps.clock.now().toISOString()))
      : deps.stripe.readAccount(customerId),
    deps.control.getGates(accountId),
  ]);
  // Validated here so a broken source fails in gather, naming the field, not somewhere downstream.
  return validate(AccountView, 'AccountView', {
    schemaVersion: ACCOUNT_VIEW_SCHEMA_VERSION,
    accountId,
    asOf: deps.clock.now().toISOString(),
    ...parts,
    stripe,
    gates,
  });
}

export async function gatherAccount(
  deps: PipelineDeps,
  message: StripeDriftAccountMessage,
  messageId: string,
): Promise<GatherResult> {
  const startedAt = deps.clock.now();
  const { run, accountId } = message;
  const audit = (
    input: Omit<Parameters<typeof emitAudit>[1], 'run' | 'stage' | 'startedAt' | 'finishedAt' | 'accountId'>,
  ) =>
    emitAudit(deps, { run, stage: 'gather', accountId, startedAt, finishedAt: deps.clock.now(), ...input });
  try {
    const view = await buildAccountView(deps, accountId, run.snapshotDate);
    if (view === null) {
      const reason = `account ${accountId} is not in the mirror for ${run.snapshotDate}`;
      await audit({ outcome: 'failed', errorCode: 'unknown_account', reason });
      return { disposition: 'ack', outcome: 'failed', code: 'unknown_account', reason };
    }
    const out: AccountViewMessage = {
      schemaVersion: 1,
      kind: 'account_view',
      run,
      view,
      publishedAt: deps.clock.now().toISOString(),
    };
    await deps.publisher.publish('accountViews', out, { orderingKey: accountId });
    await audit({
      outcome: 'published',
      reason: 'account view gathered',
      result: { sources: Object.fromEntries(sourcesOf(view)) },
    });
    return { disposition: 'ack', outcome: 'published', view };
  } catch (error) {
    const failure = failureOf(error);
    await audit({
      outcome: 'failed',
      errorCode: failure.code,
      reason: failure.retryable ? `${failure.message} (will retry)` : failure.message,
      attemptKey: failure.retryable ? messageId : null,
      willRetry: failure.retryable,
    });
    return {
      disposition: failure.retryable ? 'retry' : 'ack',
      outcome: 'failed',
      code: failure.code,
      reason: failure.message,
    };
  }
}

function sourcesOf(view: AccountView): [string, string][] {
  return [
    ['ope', view.ope.asOf],
    ['stripe.customer', view.stripe.customer.asOf],
    ['stripe.subscriptions', view.stripe.subscriptions.asOf],
    ['stripe.invoices', view.stripe.invoices.asOf],
    ['stripe.paymentMethods', view.stripe.paymentMethods.asOf],
    ['subs_account', view.subsAccount.asOf],
    ['subs_customer', view.subsCustomer.asOf],
    ['subs_dunning', view.subsDunning.asOf],
    ['billing_prod', view.billingProd.asOf],
    ['cf_prod', view.cfProd.asOf],
    ['gates', view.gates.asOf],
  ];
}
