import { PubSub, type Topic } from '@google-cloud/pubsub';
import { TOPICS, type TopicKey } from '../contracts/topology.js';
import { UpstreamError } from '../ports/errors.js';
import type { PublisherPort } from '../ports/index.js';

/**
 * PublisherPort on Pub/Sub. The topics exist already: Terraform creates them in the cloud, and the local
 * cloud (local/provision/pubsub.ts) creates them on the emulator.
 */

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
