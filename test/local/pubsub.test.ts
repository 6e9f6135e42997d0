import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Message, PubSub } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOOPBACK, sleep } from '../../local/net.js';
import { uniqueProjectId, useEmulators } from '../setup/emulators.js';

// The real @google-cloud/pubsub client against the emulator the global setup started.

interface PushBody {
  message: { data: string; attributes?: Record<string, string>; messageId: string };
  subscription: string;
  deliveryAttempt?: number;
}
interface Delivery {
  path: string;
  body: PushBody;
  at: number;
}

/** A push endpoint that answers each delivery with the status `respond` picks. */
async function pushEndpoint(respond: (delivery: Delivery, index: number) => number) {
  const deliveries: Delivery[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const delivery = {
        path: req.url ?? '',
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as PushBody,
        at: Date.now(),
      };
      deliveries.push(delivery);
      res.writeHead(respond(delivery, deliveries.length - 1)).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, LOOPBACK, () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    deliveries,
    url: (path: string) => `http://${LOOPBACK}:${port}${path}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function until<T>(what: string, fn: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = fn();
    if (value !== undefined) return value;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const decode = (data: string) => Buffer.from(data, 'base64').toString('utf8');

let pubsub: PubSub;
let projectId: string;

beforeAll(async () => {
  await useEmulators();
  projectId = uniqueProjectId('pubsub');
  pubsub = new PubSub({ projectId });
});
afterAll(async () => {
  await pubsub?.close();
});

// Independent topics and subscriptions: run concurrently, the emulator's redelivery timing dominates.
describe.concurrent('Pub/Sub emulator with the real client', () => {
  it('publishes and pulls, with attributes and ordering keys', async () => {
    const [topic] = await pubsub.createTopic('pull-topic');
    const [sub] = await topic.createSubscription('pull-sub', { enableMessageOrdering: true });
    const orderedTopic = pubsub.topic('pull-topic', { messageOrdering: true });
    for (const n of [1, 2, 3]) {
      await orderedTopic.publishMessage({
        data: Buffer.from(`msg-${n}`),
        attributes: { n: String(n) },
        orderingKey: 'acct_1',
      });
    }
    const received: Message[] = [];
    sub.on('message', (m: Message) => {
      received.push(m);
      m.ack();
    });
    await until('3 messages', () => (received.length >= 3 ? true : undefined));
    await sub.close();
    expect(received.map((m) => [m.data.toString(), m.attributes.n, m.orderingKey])).toEqual([
      ['msg-1', '1', 'acct_1'],
      ['msg-2', '2', 'acct_1'],
      ['msg-3', '3', 'acct_1'],
    ]);
  });

  it('pushes to a local HTTP endpoint at /projects/P/topics/T with the base64 payload', async () => {
    const endpoint = await pushEndpoint(() => 204);
    try {
      const [topic] = await pubsub.createTopic('push-topic');
      const path = `/projects/${projectId}/topics/push-topic`;
      await topic.createSubscription('push-sub', { pushConfig: { pushEndpoint: endpoint.url(path) } });
      await topic.publishMessage({ json: { accountId: 'acct_push' }, attributes: { schema: 'v1' } });
      const delivery = await until('a push', () => endpoint.deliveries[0]);
      expect(delivery.path).toBe(path);
      expect(JSON.parse(decode(delivery.body.message.data))).toEqual({ accountId: 'acct_push' });
      expect(delivery.body.message.attributes).toEqual({ schema: 'v1' });
      expect(delivery.body.subscription).toBe(`projects/${projectId}/subscriptions/push-sub`);
      // Acked with 204: no redelivery.
      await sleep(1500);
      expect(endpoint.deliveries).toHaveLength(1);
    } finally {
      await endpoint.close();
    }
  });

  it('dead-letters a push that keeps failing after maxDeliveryAttempts', async () => {
    const endpoint = await pushEndpoint(() => 500);
    try {
      const [topic] = await pubsub.createTopic('dl-topic');
      const [deadLetter] = await pubsub.createTopic('dl-topic-dead-letter');
      const [deadLetterSub] = await deadLetter.createSubscription('dl-topic-dead-letter-sub');
      await topic.createSubscription('dl-sub', {
        pushConfig: { pushEndpoint: endpoint.url(`/projects/${projectId}/topics/dl-topic`) },
        deadLetterPolicy: { deadLetterTopic: deadLetter.name, maxDeliveryAttempts: 5 },
        retryPolicy: { minimumBackoff: { seconds: 0, nanos: 100_000_000 }, maximumBackoff: { seconds: 1 } },
      });
      await topic.publishMessage({ data: Buffer.from('poison') });

      const dead: Message[] = [];
      deadLetterSub.on('message', (m: Message) => {
        dead.push(m);
        m.ack();
      });
      const message = await until('the dead-lettered message', () => dead[0], 30_000);
      await deadLetterSub.close();
      expect(message.data.toString()).toBe('poison');
      // The emulator leaves `deliveryAttempt` out of push bodies (real Pub/Sub sends it when a
      // dead-letter policy is set); the dead-lettered copy carries the count in its attributes.
      expect(endpoint.deliveries).toHaveLength(5);
      expect(message.attributes).toMatchObject({
        CloudPubSubDeadLetterSourceDeliveryCount: '5',
        CloudPubSubDeadLetterSourceSubscription: 'dl-sub',
      });
      await sleep(1000);
      expect(endpoint.deliveries).toHaveLength(5);
    } finally {
      await endpoint.close();
    }
  }, 45_000);

  it('counts delivery attempts on pull and dead-letters after the last nack', async () => {
    const [topic] = await pubsub.createTopic('nack-topic');
    const [deadLetter] = await pubsub.createTopic('nack-topic-dead-letter');
    const [deadLetterSub] = await deadLetter.createSubscription('nack-topic-dead-letter-sub');
    const [sub] = await topic.createSubscription('nack-sub', {
      deadLetterPolicy: { deadLetterTopic: deadLetter.name, maxDeliveryAttempts: 5 },
      retryPolicy: { minimumBackoff: { seconds: 0, nanos: 100_000_000 }, maximumBackoff: { seconds: 1 } },
    });
    await topic.publishMessage({ data: Buffer.from('always-nacked') });
    const attempts: number[] = [];
    sub.on('message', (m: Message) => {
      attempts.push(m.deliveryAttempt);
      m.nack();
    });
    const dead: Message[] = [];
    deadLetterSub.on('message', (m: Message) => {
      dead.push(m);
      m.ack();
    });
    const message = await until('the dead-lettered message', () => dead[0], 30_000);
    await Promise.all([sub.close(), deadLetterSub.close()]);
    expect(attempts).toEqual([1, 2, 3, 4, 5]);
    expect(message.data.toString()).toBe('always-nacked');
    expect(message.attributes.CloudPubSubDeadLetterSourceDeliveryCount).toBe('5');
  }, 45_000);

  it('retries a failed push with the retry policy backoff, then stops once acked', async () => {
    const endpoint = await pushEndpoint((_d, index) => (index < 2 ? 503 : 204));
    try {
      const [topic] = await pubsub.createTopic('retry-topic');
      await topic.createSubscription('retry-sub', {
        pushConfig: { pushEndpoint: endpoint.url(`/projects/${projectId}/topics/retry-topic`) },
        retryPolicy: { minimumBackoff: { seconds: 1 }, maximumBackoff: { seconds: 2 } },
      });
      await topic.publishMessage({ data: Buffer.from('flaky') });
      await until('the third delivery', () => endpoint.deliveries[2], 30_000);
      const [first, second, third] = endpoint.deliveries.map((d) => d.at) as [number, number, number];
      expect(second - first).toBeGreaterThanOrEqual(900);
      expect(third - second).toBeGreaterThanOrEqual(900);
      await sleep(2500);
      expect(endpoint.deliveries).toHaveLength(3);
    } finally {
      await endpoint.close();
    }
  }, 45_000);
});
