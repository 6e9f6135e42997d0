import { z } from 'zod';
import topology from './topology.json' with { type: 'json' };

/**
 * The deployed topology as data: function names, entry points, triggers, topics, datasets and
 * collections. It lives in topology.json, which infra/terraform reads too (jsondecode), so code and
 * infrastructure share one copy; this module types it and checks at load that every topic a function
 * names exists. Code publishes only to topics named here. docs/design.md ("The shape") explains it.
 */

export const TOPICS: Readonly<typeof topology.topics> = topology.topics;

export type TopicKey = keyof typeof topology.topics;

export type FunctionName = keyof typeof topology.functions;

export type FunctionTrigger =
  | { readonly kind: 'http' }
  | {
      readonly kind: 'pubsub';
      readonly topic: TopicKey;
      /** Per ordering key (account or zone id), in publish order; audit rows need none. */
      readonly messageOrdering: boolean;
    };

export interface FunctionSpec {
  /** Folder under functions/ and the deployed function's name. */
  readonly name: FunctionName;
  /** The name registered with functions-framework (the Cloud Functions entry point). */
  readonly entryPoint: string;
  readonly description: string;
  readonly trigger: FunctionTrigger;
  /** Topics this function publishes to (and may publish to: its IAM grants follow this list). */
  readonly publishes: readonly TopicKey[];
}

const topicKeys = Object.keys(topology.topics) as [TopicKey, ...TopicKey[]];
const TopicKeySchema = z.enum(topicKeys);
const FunctionSchema = z.strictObject({
  entryPoint: z.string().regex(/^[a-zA-Z][a-zA-Z0-9]*$/),
  description: z.string().min(1),
  trigger: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('http') }),
    z.strictObject({ kind: z.literal('pubsub'), topic: TopicKeySchema, messageOrdering: z.boolean() }),
  ]),
  publishes: z.array(TopicKeySchema),
});

/** Topics another team owns (the OPE change topic): subscribed to, never created or published to here. */
export const EXTERNAL_TOPICS: ReadonlySet<TopicKey> = new Set(
  z.array(TopicKeySchema).parse(topology.externalTopics),
);

export const FUNCTIONS: readonly FunctionSpec[] = Object.entries(topology.functions).map(([name, spec]) => ({
  name: name as FunctionName,
  ...FunctionSchema.parse(spec),
}));

export type ConsumerSpec = FunctionSpec & { readonly trigger: Extract<FunctionTrigger, { kind: 'pubsub' }> };

/** The functions a Pub/Sub subscription feeds. */
export const CONSUMERS: readonly ConsumerSpec[] = FUNCTIONS.filter(
  (f): f is ConsumerSpec => f.trigger.kind === 'pubsub',
);

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

/** BigQuery datasets: the nightly mirrors (raw), the observability views, the audit of every attempt. */
export const DATASETS: Readonly<typeof topology.datasets> = topology.datasets;

export const AUDIT_TABLE = topology.auditTable;
export const TICKET_CLASSIFICATIONS_TABLE = topology.ticketClassificationsTable;

/**
 * Firestore collections: the global config (one document), the run ledger (one document per system and
 * snapshot date), per-account gates, per-account leases and cooldown stamps.
 */
export const COLLECTIONS: Readonly<typeof topology.collections> = topology.collections;

export const CONFIG_DOCUMENT_ID = topology.configDocumentId;
