import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import {
  checkEmulatorPrerequisites,
  EmulatorPrerequisiteError,
  EmulatorStartError,
  spawnEmulator,
  startEmulator,
} from '../../local/emulators.js';
import { isPortOpen, LOOPBACK, sleep } from '../../local/net.js';
import { groupAlive, groupMembers, registeredGroups } from '../../local/process-group.js';
import { type LocalStack, startLocalStack } from '../../local/stack.js';

// These tests start emulators of their own (not the global setup's) to watch them die.

describe('startLocalStack', () => {
  let stack: LocalStack | undefined;
  afterEach(async () => {
    await stack?.stop();
  });

  it('brings everything up, runs the extra-service hook, and leaves no process or port behind', async () => {
    const hookCalls: Array<Record<string, string>> = [];
    let extraStopped = false;
    stack = await startLocalStack({
      seed: {
        stripe: { customers: [{ id: 'cus_stack', metadata: { account_id: 'acct_stack' } }] },
        subsApi: { zones: [{ zoneId: 'zone-s', accountId: 'acct_stack', planLevel: 'pro' }] },
        www: { zones: [{ zoneId: 'zone-s', accountId: 'acct_stack', planLevel: 'free' }] },
      },
      extraServices: [
        {
          name: 'bigquery',
          start: async ({ endpoints, emulators }) => {
            hookCalls.push({ ...endpoints, firestore: emulators?.firestore.host ?? '' } as Record<
              string,
              string
            >);
            return {
              endpoint: 'http://127.0.0.1:1',
              env: { BIGQUERY_EMULATOR_HOST: 'http://127.0.0.1:1' },
              stop: async () => {
                extraStopped = true;
              },
            };
          },
        },
      ],
    });
    const { emulators, endpoints, env, postgres } = stack;
    expect(emulators).toBeDefined();
    expect(postgres?.pid).toBeDefined();
    if (!emulators || postgres?.pid === undefined) return;
    expect(endpoints.postgres).toBe(`${LOOPBACK}:${postgres.port}`);
    expect(env).toMatchObject({
      PUBSUB_EMULATOR_HOST: endpoints.pubsub,
      FIRESTORE_EMULATOR_HOST: endpoints.firestore,
      LOCAL_STRIPE_URL: endpoints.stripe,
      SUBS_API_URL: endpoints.subsApi,
      WWW_API_URL: endpoints.www,
      BIGQUERY_EMULATOR_HOST: 'http://127.0.0.1:1',
      METADATA_SERVER_DETECTION: 'none',
    });
    expect(hookCalls).toEqual([
      expect.objectContaining({ stripe: endpoints.stripe, firestore: endpoints.firestore }),
    ]);
    for (const host of [endpoints.pubsub, endpoints.firestore]) {
      expect((await fetch(`http://${host}/`)).status).toBe(200);
    }
    const stripe = new Stripe('sk_test_local', { ...stack.stripe.clientConfig(), maxNetworkRetries: 0 });
    expect((await stripe.customers.retrieve('cus_stack')).id).toBe('cus_stack');
    expect((await (await fetch(`${endpoints.subsApi}/v1/zones/zone-s`)).json()).planLevel).toBe('pro');
    expect((await (await fetch(`${endpoints.www}/v1/zones/zone-s`)).json()).planLevel).toBe('free');
    await postgres.createDatabase('stack_probe');
    const db = new pg.Client({ connectionString: postgres.url('stack_probe') });
    await db.connect();
    expect((await db.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await db.end();
    console.info(`stack startup ms: ${JSON.stringify(stack.startupMs)}`);

    const groups = [emulators.pubsub.pid, emulators.firestore.pid, postgres.pid];
    const ports = [
      emulators.pubsub.port,
      emulators.firestore.port,
      postgres.port,
      ...[endpoints.stripe, endpoints.subsApi, endpoints.www].map((u) => Number(new URL(u).port)),
    ];
    expect(groups.every(groupAlive)).toBe(true);
    await stack.stop();
    stack = undefined;
    expect(extraStopped).toBe(true);
    // Every process of every group (gcloud, its shell, the Java child; postgres and its workers) is gone,
    // and nothing listens.
    expect(groups.map(groupAlive)).toEqual([false, false, false]);
    for (const pid of groups) expect(registeredGroups().has(pid)).toBe(false);
    for (const port of ports) expect(await isPortOpen(port)).toBe(false);
  }, 90_000);
});

describe('emulator start failures', () => {
  let blocker: Server | undefined;
  const held = new Set<Socket>();
  afterEach(async () => {
    for (const socket of held) socket.destroy();
    const b = blocker;
    blocker = undefined;
    if (b) await new Promise<void>((r) => b.close(() => r()));
  });

  const takePort = async (port = 0): Promise<number> => {
    // A listener that accepts and never answers HTTP.
    const server = createServer((socket) => {
      held.add(socket);
    });
    blocker = server;
    await new Promise<void>((r) => server.listen(port, LOOPBACK, () => r()));
    return (server.address() as { port: number }).port;
  };

  it('refuses a port that is already taken before spawning anything', async () => {
    const port = await takePort();
    const before = new Set(registeredGroups().keys());
    const err = await startEmulator('pubsub', { port }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(EmulatorStartError);
    expect((err as Error).message).toContain(`port ${port} is already taken`);
    expect([...registeredGroups().keys()].filter((pid) => !before.has(pid))).toEqual([]);
  });

  it.each(['pubsub', 'firestore'] as const)(
    '%s: a port taken after the check fails fast naming the port, and the group is killed',
    async (kind) => {
      const handle = await spawnEmulator(kind, { readyTimeoutMs: 20_000 });
      await takePort(handle.port);
      const started = Date.now();
      const err = await handle.ready.then(
        () => undefined,
        (e: unknown) => e,
      );
      await handle.stop();
      expect(err).toBeInstanceOf(EmulatorStartError);
      expect((err as Error).message).toContain(`port ${handle.port}`);
      expect((err as Error).message).toContain('already taken');
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(groupAlive(handle.pid)).toBe(false);
    },
    40_000,
  );

  describe('missing tools fail at once with what to install', () => {
    const saved = { PATH: process.env.PATH, JAVA_HOME: process.env.JAVA_HOME };
    let dir: string | undefined;
    afterEach(() => {
      process.env.PATH = saved.PATH;
      if (saved.JAVA_HOME === undefined) delete process.env.JAVA_HOME;
      else process.env.JAVA_HOME = saved.JAVA_HOME;
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it.each([
      ['gcloud', [], /Google Cloud CLI.*install/s],
      ['java', ['gcloud'], /Java.*install a JRE/s],
    ])('without %s', (_tool, present, message) => {
      dir = mkdtempSync(join(tmpdir(), 'no-tools-'));
      for (const tool of present) {
        writeFileSync(join(dir, tool), '#!/bin/sh\nexit 0\n');
        chmodSync(join(dir, tool), 0o755);
      }
      process.env.PATH = dir;
      delete process.env.JAVA_HOME;
      const started = Date.now();
      expect(() => checkEmulatorPrerequisites()).toThrow(EmulatorPrerequisiteError);
      expect(() => checkEmulatorPrerequisites()).toThrow(message);
      expect(Date.now() - started).toBeLessThan(1000);
    });

    it('startEmulator refuses before spawning anything', async () => {
      process.env.PATH = '/nonexistent';
      await expect(startEmulator('firestore')).rejects.toBeInstanceOf(EmulatorPrerequisiteError);
    });
  });
});

describe('an owner killed with SIGKILL', () => {
  it('still takes its emulator down: the watchdog ends the group', async () => {
    const fixture = new URL('./fixtures/emulator-owner.ts', import.meta.url).pathname;
    const owner = spawn(process.execPath, ['--import', 'tsx', fixture], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const info = await new Promise<{ pgid: number; port: number }>((resolve, reject) => {
      let out = '';
      owner.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line) resolve(JSON.parse(line) as { pgid: number; port: number });
      });
      owner.once('exit', (code) => reject(new Error(`emulator owner exited early (${code})`)));
    });
    expect(groupAlive(info.pgid)).toBe(true);
    expect(groupMembers(info.pgid).map((m) => m.state)).not.toContain('Z');
    owner.kill('SIGKILL');
    const deadline = Date.now() + 20_000;
    while (groupAlive(info.pgid) && Date.now() < deadline) await sleep(200);
    expect(groupAlive(info.pgid)).toBe(false);
    expect(await isPortOpen(info.port)).toBe(false);
  }, 60_000);
});
