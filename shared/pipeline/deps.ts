import type { Logger } from 'pino';
import type {
  AuditTablePort,
  BillingProdPort,
  CfProdPort,
  Clock,
  ControlStore,
  EventLedgerPort,
  IdentityVerifierPort,
  LifecyclePort,
  MirrorPort,
  OpePort,
  PublisherPort,
  StripePort,
  SubsApiPort,
  SupportReadPort,
  TicketRunLedgerPort,
  TicketSourcePort,
  TicketStorePort,
  WebhookVerifierPort,
  WwwPort,
} from '../ports/index.js';

/** Everything a core needs from the outside world, injected (shared/adapters/factory.ts builds it). */
export interface PipelineDeps {
  readonly mirror: MirrorPort;
  readonly auditTable: AuditTablePort;
  readonly stripe: StripePort;
  readonly control: ControlStore;
  /** Change events accepted and the checks they scheduled (docs/design.md, "Events"). */
  readonly events: EventLedgerPort;
  /** The drift lifecycle per account (docs/design.md, "Drift lifecycle"). */
  readonly lifecycle: LifecyclePort;
  /** Verifies a Stripe webhook's signature (stripe-events only). */
  readonly webhooks: WebhookVerifierPort;
  readonly publisher: PublisherPort;
  readonly subsApi: SubsApiPort;
  readonly www: WwwPort;
  /** The company's stores read live (docs/design.md, "Live truth"); subs-api serves the subs_* ones. */
  readonly ope: OpePort;
  readonly billingProd: BillingProdPort;
  readonly cfProd: CfProdPort;
  /** The weekly ticket signal (classify-tickets; docs/tickets.md): Jira, where rows land, the ledger. */
  readonly tickets: TicketSourcePort;
  readonly ticketStore: TicketStorePort;
  readonly ticketRuns: TicketRunLedgerPort;
  /** Which taxonomy a call that names none uses, and the account id format in ticket text (env). */
  readonly ticketSettings: { readonly taxonomyVersion?: string; readonly accountIdPattern?: string };
  /** The support console and `explain` (docs/support.md): audit reads, who is asking, where Stripe is. */
  readonly support: SupportReadPort;
  readonly identity: IdentityVerifierPort;
  readonly consoleSettings: { readonly stripeDashboardUrl: string };
  readonly clock: Clock;
  readonly log: Logger;
}

/**
 * How a handler maps a core's result: `ack` returns (the message is done, whatever the outcome),
 * `retry` throws (Pub/Sub or Scheduler redelivers). Cores never throw for an expected outcome.
 */
export type Disposition = 'ack' | 'retry';
