import type { PubSub } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type EnsuredTopology,
  ensureTopology,
  pushEndpointFor,
  type TopologyOptions,
} from '../../../local/provision/pubsub.js';
import { createPubSub } from '../../../shared/adapters/pubsub.js';
import { FUNCTIONS, TOPICS } from '../../../shared/contracts/topology.js';
import { uniqueProjectId, useEmulators } from '../../setup/emulators.js';

/** Nothing listens here: provisioning only records the endpoints. */
const GATHER_URL = 'http://127.0.0.1:7';

let pubsub: PubSub;
let projectId: string;
let topology: EnsuredTopology;
let options: TopologyOptions;

beforeAll(async () => {
  await useEmulators();
  projectId = uniqueProjectId('prov');
  pubsub = createPubSub(projectId);
  options = {
    pushEndpoints: {
      gather: GATHER_URL,
      'plan-apply': 'http://127.0.0.1:8',
      'www-resync': 'http://127.0.0.1:9',
    },
    minimumBackoffSeconds: 1,
    maximumBackoffSeconds: 1,
    maxDeliveryAttempts: 5,
    ackDeadlineSeconds: 10,
  };
  topology = await ensureTopology(pubsub, options);
});
afterAll(async () => {
  await pubsub?.close();
});

describe('ensureTopology', () => {
  it('creates every topic, subscription and dead-letter path of topology.ts, and is safe to call again', async () => {
    const again = await ensureTopology(pubsub, options);
    expect(again).toEqual(topology);
    const [topics] = await pubsub.getTopics();
    const names = topics.map((t) => t.name.split('/').pop()).sort();
    const consumers = FUNCTIONS.filter((f) => f.trigger.kind === 'pubsub').map((f) => f.name);
    expect(names).toEqual([...Object.values(TOPICS), ...consumers.map((f) => `${f}-dead-letter`)].sort());
    const [subs] = await pubsub.getSubscriptions();
    expect(subs.map((s) => s.name.split('/').pop()).sort()).toEqual(
      consumers.flatMap((f) => [`${f}-sub`, `${f}-dead-letter-sub`]).sort(),
    );
    const [gatherSub] = await pubsub.subscription('gather-sub').getMetadata();
    expect(gatherSub).toMatchObject({
      topic: `projects/${projectId}/topics/drift-stripe-accounts`,
      pushConfig: { pushEndpoint: `${GATHER_URL}/projects/${projectId}/topics/drift-stripe-accounts` },
      retryPolicy: { minimumBackoff: { seconds: '1' }, maximumBackoff: { seconds: '1' } },
      deadLetterPolicy: {
        deadLetterTopic: `projects/${projectId}/topics/gather-dead-letter`,
        maxDeliveryAttempts: 5,
      },
      enableMessageOrdering: true,
      ackDeadlineSeconds: 10,
    });
    const [dlq] = await pubsub.subscription('gather-dead-letter-sub').getMetadata();
    expect(dlq.topic).toBe(`projects/${projectId}/topics/gather-dead-letter`);
    expect(dlq.pushConfig?.pushEndpoint ?? '').toBe('');
    // Ordering as Terraform deploys it: on for the account/zone hops, off for audit and OPE change events.
    const ordering = await Promise.all(
      consumers.map(async (f) => [
        f,
        (await pubsub.subscription(`${f}-sub`).getMetadata())[0].enableMessageOrdering,
      ]),
    );
    expect(Object.fromEntries(ordering)).toEqual({
      gather: true,
      'plan-apply': true,
      'www-resync': true,
      'ope-events': false,
      'audit-writer': false,
    });
  });

  it('a second call moves a push endpoint (a new local port) without recreating the subscription', async () => {
    await ensureTopology(pubsub, {
      ...options,
      pushEndpoints: { ...options.pushEndpoints, gather: 'http://127.0.0.1:9' },
    });
    const [moved] = await pubsub.subscription('gather-sub').getMetadata();
    expect(moved.pushConfig?.pushEndpoint).toBe(
      `http://127.0.0.1:9/projects/${projectId}/topics/drift-stripe-accounts`,
    );
    await ensureTopology(pubsub, options);
    const [back] = await pubsub.subscription('gather-sub').getMetadata();
    expect(back.pushConfig?.pushEndpoint).toBe(
      `${GATHER_URL}/projects/${projectId}/topics/drift-stripe-accounts`,
    );
  });

  it('refuses to silently keep a subscription whose ordering differs (it cannot change after creation)', async () => {
    await expect(ensureTopology(pubsub, { ...options, enableMessageOrdering: false })).rejects.toThrow(
      /gather-sub exists with message ordering on/,
    );
  });

  it.each([4, 101])('refuses maxDeliveryAttempts %i (Pub/Sub allows 5-100)', async (n) => {
    await expect(ensureTopology(pubsub, { ...options, maxDeliveryAttempts: n })).rejects.toThrow(/5-100/);
  });

  it.each([
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080/projects/p1/topics/t1'],
    ['http://127.0.0.1:8080/', 'http://127.0.0.1:8080/projects/p1/topics/t1'],
    ['https://fn.example.test/base/', 'https://fn.example.test/base/projects/p1/topics/t1'],
  ])('push endpoint of %s', (base, expected) => {
    expect(pushEndpointFor(base, 'p1', 't1')).toBe(expected);
  });
});
