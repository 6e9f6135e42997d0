import type { DriftLifecycle } from '../core/lifecycle.js';
import { plan } from '../core/planner.js';
import type { AuditRecord, DriftSystem } from '../domain/audit.js';
import { DEFAULT_PLANNER_CONFIG, type Plan } from '../domain/plan.js';
import type { PipelineDeps } from '../pipeline/deps.js';
import { failureOf } from '../pipeline/failures.js';
import { gatherLive, sourcesOf } from '../pipeline/gather.js';
import type { TicketNamingAccount } from '../ports/index.js';
import { type AccountExplanation, explainAccount } from './explain.js';
import { type StripeLink, stripeLinks, targetsOf } from './stripe-links.js';

/**
 * Everything `explain` and the console's account page show for one account (docs/support.md), read at the
 * edges through the ports: the audit (the answer's source), the drift lifecycle (Firestore), subs-api for
 * the Stripe customer, and — only when asked — a live gather, which writes nothing. A read that fails
 * other than the audit's is named on the page instead of failing it: support still gets the answer.
 */

export type SupportDeps = Pick<
  PipelineDeps,
  'support' | 'lifecycle' | 'subsApi' | 'ope' | 'billingProd' | 'cfProd' | 'stripe' | 'control' | 'clock'
>;

export interface LiveSection {
  /** null: subs-api does not know the account. */
  readonly plan: Plan | null;
  /** Each store read and when. */
  readonly sources: readonly (readonly [string, string])[];
  readonly asOf: string;
}

export interface AccountReport {
  readonly accountId: string;
  readonly explanation: AccountExplanation;
  /** Every attempt naming the account, oldest first. */
  readonly attempts: readonly AuditRecord[];
  readonly lifecycle: Readonly<Record<DriftSystem, DriftLifecycle | null>>;
  /** The Stripe customer subs-api maps the account to (null: none, or subs-api could not say). */
  readonly customerId: string | null;
  readonly links: readonly StripeLink[];
  /** Nightly runs that halted in the look-back window. */
  readonly halts: readonly AuditRecord[];
  /** Jira tickets that name the account, newest first (the ticket signal; at most 20). */
  readonly tickets: readonly TicketNamingAccount[];
  /** Present when a live read was asked for and succeeded. */
  readonly live: LiveSection | null;
  /** Reads that failed, in words (no secrets: the failure's code and message). */
  readonly problems: readonly string[];
  readonly generatedAt: string;
}

export interface AccountReportOptions {
  readonly live: boolean;
  readonly dashboardBase: string;
  /** How far back halts of nightly runs are looked for. Default 14 days. */
  readonly haltsLookBackDays?: number;
}

async function attempt<T>(what: string, problems: string[], read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    const failure = failureOf(error);
    problems.push(`${what}: ${failure.code} — ${failure.message}`);
    return undefined;
  }
}

export async function accountReport(
  deps: SupportDeps,
  accountId: string,
  options: AccountReportOptions,
): Promise<AccountReport> {
  const now = deps.clock.now();
  const problems: string[] = [];
  const since = new Date(now.getTime() - (options.haltsLookBackDays ?? 14) * 86_400_000).toISOString();
  const [attempts, halts, stripeLife, wwwLife, subs, tickets] = await Promise.all([
    deps.support.accountAttempts(accountId),
    attempt('halted runs', problems, () => deps.support.halts(since)),
    attempt('drift lifecycle (stripe)', problems, () => deps.lifecycle.get('stripe', accountId)),
    attempt('drift lifecycle (www)', problems, () => deps.lifecycle.get('www', accountId)),
    attempt('subs-api', problems, () => deps.subsApi.account(accountId)),
    attempt('tickets', problems, () => deps.support.ticketsNaming(accountId, 20)),
  ]);
  const liveRead = options.live
    ? await attempt('live gather', problems, async () => {
        const config = await deps.control.getConfig();
        const view = await gatherLive(deps, accountId);
        const planned =
          view === null
            ? null
            : plan(view, {
                ...DEFAULT_PLANNER_CONFIG,
                invoiceDateTooNearDays: config.invoiceDateTooNearDays,
              });
        return { view, plan: planned };
      })
    : undefined;
  const view = liveRead?.view ?? null;
  const live: LiveSection | null =
    liveRead === undefined
      ? null
      : {
          plan: liveRead.plan,
          sources: view === null ? [] : sourcesOf(view),
          asOf: view?.asOf ?? deps.clock.now().toISOString(),
        };
  const lifecycle = { stripe: stripeLife ?? null, www: wwwLife ?? null };
  const customerId = subs?.subsCustomer.data.stripeCustomerId ?? null;
  const targets = targetsOf(attempts);
  const links = stripeLinks(options.dashboardBase, {
    customer: customerId,
    subscriptions: [
      ...targets.filter((t) => t.startsWith('sub_')),
      ...(view?.stripe.subscriptions.data.map((s) => s.id) ?? []),
    ],
    invoices: [
      ...targets.filter((t) => t.startsWith('in_')),
      ...(view?.stripe.invoices.data.recent.map((i) => i.id) ?? []),
    ],
  });
  const explanation = explainAccount({
    accountId,
    attempts,
    lifecycle,
    halts: halts ?? [],
    ...(liveRead === undefined ? {} : { livePlan: liveRead.plan }),
    now: now.toISOString(),
  });
  return {
    accountId,
    explanation,
    attempts,
    lifecycle,
    customerId,
    links,
    halts: halts ?? [],
    tickets: tickets ?? [],
    live,
    problems,
    generatedAt: now.toISOString(),
  };
}
