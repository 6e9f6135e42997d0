/**
 * The deployed topology as data: function names, entry points, topics and subscriptions.
 * Code publishes only to topics named here, and the Terraform wiring tests hold
 * `infra/terraform` to this file, so a hop added in code without infrastructure fails the build.
 * See DESIGN.md section 2 for the shape.
 */

export const TOPICS = {
  /** detect-drift -> gather: one message per new Stripe-drift account. */
  stripeDriftAccounts: 'drift-stripe-accounts',
  /** gather -> plan-apply: one unified AccountView per account. */
  accountViews: 'drift-account-views',
  /** detect-drift -> www-resync: one message per new WWW-drift zone. */
  wwwDriftZones: 'drift-www-zones',
  /** every step -> audit-writer. */
  auditEvents: 'drift-audit-events',
} as const;

export type TopicKey = keyof typeof TOPICS;
export type TopicName = (typeof TOPICS)[TopicKey];

export type FunctionName = 'detect-drift' | 'gather' | 'plan-apply' | 'www-resync' | 'audit-writer';

export interface FunctionSpec {
  /** Folder under functions/ and the deployed function's name suffix. */
  readonly name: FunctionName;
  /** The name registered with functions-framework (the Cloud Functions entry point). */
  readonly entryPoint: string;
  readonly trigger: { readonly kind: 'http' } | { readonly kind: 'pubsub'; readonly topic: TopicKey };
  /** Topics this function publishes to. */
  readonly publishes: readonly TopicKey[];
}

export const FUNCTIONS: readonly FunctionSpec[] = [
  {
    name: 'detect-drift',
    entryPoint: 'detectDrift',
    trigger: { kind: 'http' },
    publishes: ['stripeDriftAccounts', 'wwwDriftZones', 'auditEvents'],
  },
  {
    name: 'gather',
    entryPoint: 'gather',
    trigger: { kind: 'pubsub', topic: 'stripeDriftAccounts' },
    publishes: ['accountViews', 'auditEvents'],
  },
  {
    name: 'plan-apply',
    entryPoint: 'planApply',
    trigger: { kind: 'pubsub', topic: 'accountViews' },
    publishes: ['auditEvents'],
  },
  {
    name: 'www-resync',
    entryPoint: 'wwwResync',
    trigger: { kind: 'pubsub', topic: 'wwwDriftZones' },
    publishes: ['auditEvents'],
  },
  {
    name: 'audit-writer',
    entryPoint: 'auditWriter',
    trigger: { kind: 'pubsub', topic: 'auditEvents' },
    publishes: [],
  },
];

/** Subscription of a consumer function to its trigger topic. */
export function subscriptionName(fn: FunctionName): string {
  return `${fn}-sub`;
}

/** Every subscription dead-letters to its own topic, so a poison message is kept, never dropped. */
export function deadLetterTopicName(fn: FunctionName): string {
  return `${fn}-dead-letter`;
}

/** A pull subscription on each dead-letter topic keeps what lands there for replay. */
export function deadLetterSubscriptionName(fn: FunctionName): string {
  return `${fn}-dead-letter-sub`;
}

/** BigQuery names. */
export const DATASETS = {
  /** Nightly mirrors of Stripe and the company's stores (raw layer). */
  mirror: 'billing_mirror',
  /** The observability views (all views, no materializations). */
  observability: 'billing_observability',
  /** Audit of every remediation attempt. */
  audit: 'billing_audit',
} as const;

export const AUDIT_TABLE = 'cfbill_migrations_audit';

/** Firestore collections. */
export const COLLECTIONS = {
  /** Global config (kill switch, dry-run, thresholds): one document `config/driftcontrol`. */
  config: 'config',
  /** Run ledger: one document per system and snapshot date. */
  runs: 'driftcontrol_runs',
  /** Per-account gates (BadDebtDriftRemediation, InvoiceMetadataRemediation). */
  gates: 'account_gates',
  /** Per-account leases and cooldown stamps. */
  accountState: 'account_state',
} as const;

export const CONFIG_DOCUMENT_ID = 'driftcontrol';
