import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as functions from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import type { Message, PubSub } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../../../local/net.js';
import { ensureTopology, type TopologyOptions } from '../../../local/provision/pubsub.js';
import { createPubSub, PubSubPublisher } from '../../../shared/adapters/pubsub.js';
import { uniqueProjectId, useEmulators } from '../../setup/emulators.js';

interface Push {
  path: string;
  body: {
    subscription: string;
    message: {
      data: string;
      attributes?: Record<string, string>;
      messageId: string;
      orderingKey?: string;
    };
    deliveryAttempt?: number;
  };
}

/** A local HTTP endpoint standing in for a function: records pushes, answers with `status`. */
class Endpoint {
  readonly pushes: Push[] = [];
  status = 204;
  private readonly server: Server;
  constructor() {
    this.server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.pushes.push({ path: req.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        res.writeHead(this.status).end();
      });
    });
  }
  async listen(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return this;
  }
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const decode = (data: string) => JSON.parse(Buffer.from(data, 'base64').toString('utf8'));

let pubsub: PubSub;
let projectId: string;
let publisher: PubSubPublisher;
let gather: Endpoint;
let cloudEventServer: Server;
const cloudEvents: Array<{ source: string; type: string; data: { message: { data: string } } }> = [];
let options: TopologyOptions;

beforeAll(async () => {
  await useEmulators();
  projectId = uniqueProjectId('ps');
  pubsub = createPubSub(projectId);
  publisher = new PubSubPublisher(pubsub);
  gather = await new Endpoint().listen();
  // A real functions-framework CloudEvent function behind the plan-apply subscription.
  functions.cloudEvent(
    'adaptersPubsubProbe',
    (event: functions.CloudEvent<{ message: { data: string } }>) => {
      cloudEvents.push(event as (typeof cloudEvents)[number]);
    },
  );
  cloudEventServer = getTestServer('adaptersPubsubProbe');
  await new Promise<void>((r) => cloudEventServer.listen(0, '127.0.0.1', r));
  options = {
    pushEndpoints: {
      gather: gather.url,
      'plan-apply': `http://127.0.0.1:${(cloudEventServer.address() as AddressInfo).port}`,
      'www-resync': 'http://127.0.0.1:9',
      // audit-writer: no endpoint, a pull subscription the test reads.
    },
    minimumBackoffSeconds: 1,
    maximumBackoffSeconds: 1,
    maxDeliveryAttempts: 5,
    ackDeadlineSeconds: 10,
  };
  await ensureTopology(pubsub, options);
});
afterAll(async () => {
  await publisher?.close();
  await pubsub?.close();
  await gather?.stop();
  cloudEventServer?.closeAllConnections();
  await new Promise((r) => cloudEventServer?.close(r));
});

describe('publish and push', () => {
  it('pushes JSON to the function on the CloudEvent-friendly path, with ordering key and attributes', async () => {
    const body = { schemaVersion: 1, accountId: 'acct_push', runId: 'run_1' };
    const id = await publisher.publish('stripeDriftAccounts', body, {
      orderingKey: 'acct_push',
      attributes: { trigger: 'scheduled' },
    });
    const push = await until('a push to gather', () =>
      gather.pushes.find((p) => p.body.message.messageId === id),
    );
    expect(push.path).toBe(`/projects/${projectId}/topics/drift-stripe-accounts`);
    expect(push.body.subscription).toBe(`projects/${projectId}/subscriptions/gather-sub`);
    expect(decode(push.body.message.data)).toEqual(body);
    expect(push.body.message.attributes).toMatchObject({
      trigger: 'scheduled',
      'content-type': 'application/json',
    });
    // (The emulator leaves orderingKey and deliveryAttempt out of push bodies; Pub/Sub itself sends them.)
  });

  it('functions-framework turns the push into a CloudEvent with the topic as source', async () => {
    await publisher.publish('accountViews', { accountId: 'acct_ce' }, { orderingKey: 'acct_ce' });
    const event = await until('a CloudEvent', () => cloudEvents[0]);
    expect(event.source).toBe(`//pubsub.googleapis.com/projects/${projectId}/topics/drift-account-views`);
    expect(event.type).toBe('google.cloud.pubsub.topic.v1.messagePublished');
    expect(decode(event.data.message.data)).toEqual({ accountId: 'acct_ce' });
  });

  it('keeps the publish order of one ordering key', async () => {
    const received: Message[] = [];
    const sub = pubsub.subscription('audit-writer-sub');
    sub.on('message', (m: Message) => {
      received.push(m);
      m.ack();
    });
    try {
      for (let i = 0; i < 8; i++)
        void publisher.publish('auditEvents', { n: i }, { orderingKey: 'acct_order' });
      await until('eight audit events', () => (received.length >= 8 ? true : undefined));
      expect(received.map((m) => JSON.parse(m.data.toString('utf8')).n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    } finally {
      await sub.close();
    }
  });

  it('refuses what is not JSON', async () => {
    await expect(publisher.publish('auditEvents', undefined)).rejects.toThrow(/JSON/);
  });
});

describe('dead letters', () => {
  it('a message its function keeps failing is pushed maxDeliveryAttempts times, then kept on the dead-letter subscription', async () => {
    // Its own project with ordering off: the emulator never dead-letters from an ordered push subscription.
    const dlProject = createPubSub(uniqueProjectId('psdl'));
    const failing = await new Endpoint().listen();
    failing.status = 500;
    const dead: Message[] = [];
    const dlq = dlProject.subscription('www-resync-dead-letter-sub');
    try {
      await ensureTopology(dlProject, {
        pushEndpoints: { 'www-resync': failing.url },
        minimumBackoffSeconds: 1,
        maximumBackoffSeconds: 1,
        maxDeliveryAttempts: 5,
        ackDeadlineSeconds: 10,
        enableMessageOrdering: false,
      });
      dlq.on('message', (m: Message) => {
        dead.push(m);
        m.ack();
      });
      const id = await new PubSubPublisher(dlProject).publish('wwwDriftZones', { zoneId: 'zone_poison' });
      const message = await until('the dead letter', () => dead[0], 60_000);
      expect(JSON.parse(message.data.toString('utf8'))).toEqual({ zoneId: 'zone_poison' });
      expect(message.attributes).toMatchObject({
        CloudPubSubDeadLetterSourceSubscription: 'www-resync-sub',
        CloudPubSubDeadLetterSourceDeliveryCount: '5',
      });
      expect(failing.pushes.filter((p) => p.body.message.messageId === id)).toHaveLength(5);
    } finally {
      await dlq.close();
      await dlProject.close();
      await failing.stop();
    }
  }, 90_000);
});
