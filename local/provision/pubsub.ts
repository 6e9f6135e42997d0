import type { PubSub } from '@google-cloud/pubsub';
import {
  CONSUMERS,
  deadLetterSubscriptionName,
  deadLetterTopicName,
  type FunctionName,
  subscriptionName,
  TOPICS,
} from '../../shared/contracts/topology.js';

/**
 * Creates the topics and subscriptions of shared/contracts/topology.json on the Pub/Sub emulator, with
 * the names, retry and dead-letter policies and ordering Terraform deploys in the cloud
 * (infra/terraform/modules/function). Local runs and tests only: deployed functions never provision.
 */

/** gRPC ALREADY_EXISTS. */
const ALREADY_EXISTS = 6;

function grpcCode(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'code' in err
    ? ((err as { code: unknown }).code as number)
    : undefined;
}

export interface TopologyOptions {
  /**
   * Base URL of each consumer function (e.g. `http://127.0.0.1:8082`). The push endpoint is this base
   * plus `/projects/PROJECT/topics/TOPIC`, the path functions-framework turns into a CloudEvent source.
   * A consumer without an endpoint gets a pull subscription with the same policies (tests read it).
   */
  pushEndpoints: Partial<Record<FunctionName, string>>;
  /** Redelivery backoff of a failed push. Defaults (10 s / 600 s) match infra/terraform. */
  minimumBackoffSeconds?: number;
  maximumBackoffSeconds?: number;
  /** Deliveries before a message goes to the dead-letter topic (5-100). Default 10, as in Terraform. */
  maxDeliveryAttempts?: number;
  /** Default 600 s, as in Terraform. */
  ackDeadlineSeconds?: number;
  /**
   * Omitted: ordering as deployed (each trigger's messageOrdering in topology.json). `false` turns it off everywhere. On the
   * Pub/Sub emulator, once a message of an ordered push subscription has used its maxDeliveryAttempts,
   * it is never dead-lettered and that subscription pushes nothing more, for any ordering key (tried
   * 2026-11 on these machines): local runs that exercise failures or dead letters must pass `false`.
   */
  enableMessageOrdering?: boolean;
}

export interface EnsuredSubscription {
  readonly function: FunctionName;
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
  for (const fn of CONSUMERS) topics.push(deadLetterTopicName(fn.name));
  await Promise.all(topics.map(ensureTopic));

  const subscriptions: EnsuredSubscription[] = [];
  for (const fn of CONSUMERS) {
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
    const messageOrdering = options.enableMessageOrdering === false ? false : fn.trigger.messageOrdering;
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
