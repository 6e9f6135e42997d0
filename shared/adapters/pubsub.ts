import { PubSub, type Topic } from '@google-cloud/pubsub';
import {
  deadLetterSubscriptionName,
  deadLetterTopicName,
  FUNCTIONS,
  type FunctionName,
  subscriptionName,
  TOPICS,
  type TopicKey,
} from '../contracts/topology.js';
import { UpstreamError } from '../ports/errors.js';
import type { PublisherPort } from '../ports/index.js';

/**
 * PublisherPort on Pub/Sub, plus `ensureTopology`, which creates the topics and subscriptions of
 * shared/contracts/topology.ts for local runs and tests (Terraform owns them in the cloud, with the same
 * names and the same retry / dead-letter settings).
 */

/** gRPC ALREADY_EXISTS. */
const ALREADY_EXISTS = 6;

function grpcCode(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'code' in err
    ? ((err as { code: unknown }).code as number)
    : undefined;
}

export function createPubSub(projectId: string): PubSub {
  // PUBSUB_EMULATOR_HOST, when set, points the client at the emulator (the client reads it itself).
  return new PubSub({ projectId });
}

export class PubSubPublisher implements PublisherPort {
  private readonly topics = new Map<TopicKey, Topic>();

  constructor(readonly pubsub: PubSub) {}

  private topic(key: TopicKey): Topic {
    let topic = this.topics.get(key);
    if (!topic) {
      // Ordering is per topic object: enable it always, it only matters for messages with a key.
      topic = this.pubsub.topic(TOPICS[key], {
        messageOrdering: true,
        batching: { maxMessages: 100, maxMilliseconds: 10 },
      });
      this.topics.set(key, topic);
    }
    return topic;
  }

  async publish(
    topic: TopicKey,
    data: unknown,
    options: { orderingKey?: string; attributes?: Record<string, string> } = {},
  ): Promise<string> {
    if (!(topic in TOPICS)) throw new Error(`unknown topic key ${String(topic)}`);
    const json = JSON.stringify(data);
    if (json === undefined) throw new Error(`publish to ${topic}: the message is not JSON-serialisable`);
    const t = this.topic(topic);
    try {
      return await t.publishMessage({
        data: Buffer.from(json, 'utf8'),
        attributes: { 'content-type': 'application/json', ...options.attributes },
        ...(options.orderingKey ? { orderingKey: options.orderingKey } : {}),
      });
    } catch (err) {
      // After a failure the client pauses the ordering key; resume so a retry can publish it again.
      if (options.orderingKey) t.resumePublishing(options.orderingKey);
      throw new UpstreamError(
        `publish to ${TOPICS[topic]} failed: ${err instanceof Error ? err.message : String(err)}`,
        'pubsub',
        true,
        null,
        { cause: err },
      );
    }
  }

  /** Sends what is batched and stops the topics' publishers. */
  async close(): Promise<void> {
    await Promise.all([...this.topics.values()].map((t) => t.flush()));
  }
}

// ---------------------------------------------------------------- topology (local runs and tests)

export type ConsumerFunctionName = Exclude<FunctionName, 'detect-drift'>;

/** Ordering per consumer as infra/terraform/functions.tf deploys it (audit rows need no order). */
export const DEPLOYED_MESSAGE_ORDERING: Readonly<Record<ConsumerFunctionName, boolean>> = {
  gather: true,
  'plan-apply': true,
  'www-resync': true,
  'audit-writer': false,
};

export interface TopologyOptions {
  /**
   * Base URL of each consumer function (e.g. `http://127.0.0.1:8082`). The push endpoint is this base
   * plus `/projects/PROJECT/topics/TOPIC`, the path functions-framework turns into a CloudEvent source.
   * A consumer without an endpoint gets a pull subscription with the same policies (tests read it).
   */
  pushEndpoints: Partial<Record<ConsumerFunctionName, string>>;
  /** Redelivery backoff of a failed push. Defaults (10 s / 600 s) match infra/terraform. */
  minimumBackoffSeconds?: number;
  maximumBackoffSeconds?: number;
  /** Deliveries before a message goes to the dead-letter topic (5-100). Default 10, as in Terraform. */
  maxDeliveryAttempts?: number;
  /** Default 600 s, as in Terraform. */
  ackDeadlineSeconds?: number;
  /**
   * Omitted: ordering as deployed (DEPLOYED_MESSAGE_ORDERING). `false` turns it off everywhere. On the
   * Pub/Sub emulator, once a message of an ordered push subscription has used its maxDeliveryAttempts,
   * it is never dead-lettered and that subscription pushes nothing more, for any ordering key (tried
   * 2026-11 on these machines): local runs that exercise failures or dead letters must pass `false`.
   */
  enableMessageOrdering?: boolean;
}

export interface EnsuredSubscription {
  readonly function: ConsumerFunctionName;
  readonly topic: string;
  readonly subscription: string;
  /** null: a pull subscription. */
  readonly pushEndpoint: string | null;
  readonly messageOrdering: boolean;
  readonly deadLetterTopic: string;
  readonly deadLetterSubscription: string;
}

export interface EnsuredTopology {
  readonly topics: string[];
  readonly subscriptions: EnsuredSubscription[];
}

export function pushEndpointFor(baseUrl: string, projectId: string, topicName: string): string {
  const base = new URL(baseUrl);
  const prefix = base.pathname.replace(/\/+$/, '');
  base.pathname = `${prefix}/projects/${projectId}/topics/${topicName}`;
  return base.toString();
}

/**
 * Creates every topic, one subscription per consumer function with retry and dead-letter policies and
 * ordering, every dead-letter topic and a pull subscription on each. Safe to call again: existing
 * topics are kept, existing subscriptions get the current push endpoint and policies.
 */
export async function ensureTopology(pubsub: PubSub, options: TopologyOptions): Promise<EnsuredTopology> {
  const projectId = await pubsub.getClientConfig().then((c) => c.projectId ?? pubsub.projectId);
  const maxDeliveryAttempts = options.maxDeliveryAttempts ?? 10;
  if (maxDeliveryAttempts < 5 || maxDeliveryAttempts > 100) {
    throw new Error(`maxDeliveryAttempts must be 5-100 (Pub/Sub limits), got ${maxDeliveryAttempts}`);
  }
  const minimumBackoff = { seconds: options.minimumBackoffSeconds ?? 10 };
  const maximumBackoff = { seconds: options.maximumBackoffSeconds ?? 600 };
  const ackDeadlineSeconds = options.ackDeadlineSeconds ?? 600;

  const ensureTopic = async (name: string) => {
    try {
      await pubsub.createTopic(name);
    } catch (err) {
      if (grpcCode(err) !== ALREADY_EXISTS) throw err;
    }
  };
  const topics: string[] = [...Object.values(TOPICS)];
  const consumers = FUNCTIONS.filter(
    (f): f is (typeof FUNCTIONS)[number] & { name: ConsumerFunctionName } => f.trigger.kind === 'pubsub',
  );
  for (const fn of consumers) topics.push(deadLetterTopicName(fn.name));
  await Promise.all(topics.map(ensureTopic));

  const subscriptions: EnsuredSubscription[] = [];
  for (const fn of consumers) {
    if (fn.trigger.kind !== 'pubsub') continue;
    const topic = TOPICS[fn.trigger.topic];
    const base = options.pushEndpoints[fn.name];
    const pushEndpoint = base === undefined ? null : pushEndpointFor(base, projectId, topic);
    const deadLetterTopic = deadLetterTopicName(fn.name);
    const metadata = {
      ackDeadlineSeconds,
      retryPolicy: { minimumBackoff, maximumBackoff },
      deadLetterPolicy: {
        deadLetterTopic: `projects/${projectId}/topics/${deadLetterTopic}`,
        maxDeliveryAttempts,
      },
      pushConfig: pushEndpoint === null ? {} : { pushEndpoint },
    };
    const name = subscriptionName(fn.name);
    const messageOrdering =
      options.enableMessageOrdering === false ? false : DEPLOYED_MESSAGE_ORDERING[fn.name];
    try {
      await pubsub
        .topic(topic)
        .createSubscription(name, { ...metadata, enableMessageOrdering: messageOrdering });
    } catch (err) {
      if (grpcCode(err) !== ALREADY_EXISTS) throw err;
      // Ordering cannot change after creation; the endpoint (new local ports) and policies can.
      const sub = pubsub.subscription(name);
      const [current] = await sub.getMetadata();
      if (Boolean(current.enableMessageOrdering) !== messageOrdering) {
        throw new Error(
          `subscription ${name} exists with message ordering ${current.enableMessageOrdering ? 'on' : 'off'}; ` +
            `ordering cannot change after creation: delete the subscription (or use another project) first`,
        );
      }
      await sub.modifyPushConfig(metadata.pushConfig);
      await sub.setMetadata({
        ackDeadlineSeconds,
        retryPolicy: metadata.retryPolicy,
        deadLetterPolicy: metadata.deadLetterPolicy,
      });
    }
    const deadLetterSubscription = deadLetterSubscriptionName(fn.name);
    try {
      await pubsub
        .topic(deadLetterTopic)
        .createSubscription(deadLetterSubscription, { ackDeadlineSeconds: 60 });
    } catch (err) {
      if (grpcCode(err) !== ALREADY_EXISTS) throw err;
    }
    subscriptions.push({
      function: fn.name,
      topic,
      subscription: name,
      pushEndpoint,
      messageOrdering,
      deadLetterTopic,
      deadLetterSubscription,
    });
  }
  return { topics, subscriptions };
}
