import type { AccountViewMessage, StripeDriftAccountMessage, ViewTruth } from '../contracts/messages.js';
import { ACCOUNT_VIEW_SCHEMA_VERSION, AccountView } from '../domain/account-view.js';
import { ValidationError, validate } from '../domain/validate.js';
import { InvalidStoreDataError } from '../ports/errors.js';
import type { Stamped, StripeAccountParts } from '../ports/index.js';
import { emitAudit } from './audit.js';
import type { Disposition, PipelineDeps } from './deps.js';
import { failureOf } from './failures.js';
import { overridesSaid, replayExclusion } from './replay-valves.js';

/**
 * gather's core (docs/design.md, "Live truth"): every store read now — subs-api (subs_account,
 * subs_customer, subs_dunning), the OPE, billing_prod and cf_prod replicas, live Stripe and the Firestore
 * gates — into one AccountView, every part stamped with its source and the time it was read. The nightly
 * mirror is the detection source; reading an account as the mirror saw it is an explicit, labelled
 * choice (`truth: 'mirror'`) that plan-apply never applies.
 */

export type GatherResult =
  | { readonly disposition: 'ack'; readonly outcome: 'published'; readonly view: AccountView }
  /** A redelivery after this run's final word on the account: nothing done, no second row. */
  | { readonly disposition: 'ack'; readonly outcome: 'already_final'; readonly reason: string }
  | {
      readonly disposition: Disposition;
      readonly outcome: 'failed';
      readonly code: string;
      readonly reason: string;
    };

/** cf_prod has no such account: an account type no plan supports, so UnsupportedAccountType fails closed. */
export const ACCOUNT_TYPE_NOT_IN_CF_PROD = 'not_in_cf_prod';

/** The Stripe side of an account with no Stripe customer: empty, so the planner says NoStripeCustomer. */
function emptyStripe(asOf: string): StripeAccountParts {
  return {
    customer: { source: 'stripe', asOf, data: null },
    subscriptions: { source: 'stripe', asOf, data: [] },
    invoices: { source: 'stripe', asOf, data: { next: null, recent: [] } },
    paymentMethods: { source: 'stripe', asOf, data: [] },
  };
}

type GatherDeps = Pick<
  PipelineDeps,
  'subsApi' | 'ope' | 'billingProd' | 'cfProd' | 'stripe' | 'control' | 'clock'
>;

/**
 * Validated here so a bad record in a store fails in gather, naming the field, not somewhere downstream;
 * as a retryable failure (the record may be fixed; the dead-letter topic keeps the message if not).
 */
function assemble(
  deps: Pick<PipelineDeps, 'clock'>,
  accountId: string,
  parts: Omit<AccountView, 'schemaVersion' | 'accountId' | 'asOf'>,
): AccountView {
  try {
    return validate(AccountView, 'AccountView', {
      schemaVersion: ACCOUNT_VIEW_SCHEMA_VERSION,
      accountId,
      asOf: deps.clock.now().toISOString(),
      ...parts,
    });
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    throw new InvalidStoreDataError(
      `the stores' records of ${accountId} do not make a valid account view: ${error.message}`,
      accountId,
      { cause: error },
    );
  }
}

/**
 * The account as every store holds it now; null when subs-api does not know the account. subs-api is read
 * first (with the other stores, in parallel) because it names the Stripe customer Stripe is read for.
 */
export async function gatherLive(deps: GatherDeps, accountId: string): Promise<AccountView | null> {
  const [account, ope, billingProd, cfProd, gates] = await Promise.all([
    deps.subsApi.account(accountId),
    deps.ope.subscriptions(accountId),
    deps.billingProd.catalogue(),
    deps.cfProd.account(accountId),
    deps.control.getGates(accountId),
  ]);
  if (account === null) return null;
  const customerId = account.subsCustomer.data.stripeCustomerId;
  const stripe =
    customerId === null
      ? emptyStripe(deps.clock.now().toISOString())
      : await deps.stripe.readAccount(customerId);
  const cf: Stamped<{ accountType: string; zones: { id: string; planLevel: string }[] }> = cfProd ?? {
    source: 'cf_prod',
    asOf: deps.clock.now().toISOString(),
    data: { accountType: ACCOUNT_TYPE_NOT_IN_CF_PROD, zones: [] },
  };
  return assemble(deps, accountId, { ope, ...account, billingProd, cfProd: cf, stripe, gates });
}

/**
 * The account as the mirror of `snapshotDate` holds the company's stores (with Stripe and the gates read
 * now): what detection saw. For investigation only (`--as-of`); never the truth a write acts on.
 */
export async function gatherAsOfMirror(
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
  return assemble(deps, accountId, { ...parts, stripe, gates });
}

/** Where each part of a view came from and when it was read, for the audit row and the CLI. */
export function sourcesOf(view: AccountView): [string, string][] {
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

export async function gatherAccount(
  deps: PipelineDeps,
  message: StripeDriftAccountMessage,
  messageId: string,
): Promise<GatherResult> {
  const startedAt = deps.clock.now();
  const { run, accountId } = message;
  const truth: ViewTruth = message.truth ?? 'live';
  const said = overridesSaid(message);
  const audit = async (
    input: Omit<Parameters<typeof emitAudit>[1], 'run' | 'stage' | 'startedAt' | 'finishedAt' | 'accountId'>,
  ) => {
    const row = await emitAudit(deps, {
      run,
      stage: 'gather',
      accountId,
      startedAt,
      finishedAt: deps.clock.now(),
      ...(message.overrides || message.events
        ? {
            params: {
              ...(message.overrides ? { overrides: message.overrides } : {}),
              ...(message.events ? { events: message.events } : {}),
            },
          }
        : {}),
      ...input,
      ...(input.reason ? { reason: `${input.reason}${said}` } : {}),
    });
    // An outcome that will not be retried is this run's final word: a redelivery (a crash before the ack)
    // adds no second row — say, `excluded` by the cooldown the first delivery's heal started.
    if (!input.willRetry)
      await deps.control.recordFinal(run.runId, 'gather', accountId, {
        outcome: input.outcome,
        rowId: row.row_id,
      });
    return row;
  };
  const prior = await deps.control.finalOutcome(run.runId, 'gather', accountId);
  if (prior !== null) {
    return {
      disposition: 'ack',
      outcome: 'already_final',
      reason: `already final in run ${run.runId}: ${prior.outcome}`,
    };
  }
  try {
    // A replay or an event-driven check: the per-account valves of a nightly run, applied here.
    if (run.trigger === 'replay' || run.trigger === 'event') {
      const excluded = await replayExclusion(deps, message);
      if (excluded !== null) {
        await audit({ outcome: 'excluded', errorCode: excluded.code, reason: excluded.reason });
        return { disposition: 'ack', outcome: 'failed', code: excluded.code, reason: excluded.reason };
      }
    }
    const view =
      truth === 'live'
        ? await gatherLive(deps, accountId)
        : await gatherAsOfMirror(deps, accountId, run.snapshotDate);
    if (view === null) {
      const reason =
        truth === 'live'
          ? `account ${accountId} is not known to subs-api`
          : `account ${accountId} is not in the mirror for ${run.snapshotDate}`;
      await audit({ outcome: 'failed', errorCode: 'unknown_account', reason });
      return { disposition: 'ack', outcome: 'failed', code: 'unknown_account', reason };
    }
    const out: AccountViewMessage = {
      schemaVersion: 1,
      kind: 'account_view',
      run,
      truth,
      view,
      publishedAt: deps.clock.now().toISOString(),
    };
    await deps.publisher.publish('accountViews', out, { orderingKey: accountId });
    await audit({
      outcome: 'published',
      reason:
        truth === 'live'
          ? 'account view gathered from the live stores'
          : `account view gathered as of the mirror of ${run.snapshotDate} (not live: never applied)`,
      result: { truth, sources: Object.fromEntries(sourcesOf(view)) },
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
