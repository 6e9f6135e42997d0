/**
 * The deployment's key assumption, run for real: the packaged folder started the way Cloud Functions
 * gen2 starts it for a function deployed WITHOUT an Eventarc trigger (functions-framework, main =
 * index.js, FUNCTION_TARGET = entry point, FUNCTION_SIGNATURE_TYPE = http) still serves the consumer's
 * declarative cloudEvent handler, and a Pub/Sub push to /projects/P/topics/T (the endpoint the
 * Terraform push subscription uses) arrives as a CloudEvent carrying the message.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS } from '../../shared/contracts/topology.js';
import { makeDist, runPackage, write } from './fixtures.js';
import { REPO_ROOT } from './hcl.js';

const work = mkdtempSync(join(tmpdir(), 'packaged-function-'));
const out = join(work, 'out');
let server: ChildProcess | undefined;
let port = 0;
let logs = '';

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => resolvePort(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

async function waitUntilListening(): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    try {
      await fetch(`http://127.0.0.1:${port}/`, { method: 'GET' });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`functions-framework did not listen on ${port}:\n${logs}`);
}

beforeAll(async () => {
  const dist = join(work, 'dist');
  makeDist(dist);
  // The consumer entry registers declaratively, as functions/gather/index.ts does, and echoes what
  // it received through a log line.
  write(
    join(dist, 'functions', 'gather', 'index.js'),
    "import * as ff from '@google-cloud/functions-framework';\n" +
      "ff.cloudEvent('gather', (event) => {\n" +
      "  const text = Buffer.from(event.data.message.data, 'base64').toString('utf8');\n" +
      '  console.log(JSON.stringify({ received: { type: event.type, source: event.source, text } }));\n' +
      '});\n',
  );
  const res = runPackage(dist, out);
  expect(res.status, res.stderr).toBe(0);
  // Cloud Build installs the production dependencies next to the code; here the repo's will do.
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(out, 'node_modules'), 'dir');

  port = await freePort();
  const main = join(
    REPO_ROOT,
    'node_modules',
    '@google-cloud',
    'functions-framework',
    'build',
    'src',
    'main.js',
  );
  server = spawn(process.execPath, [main], {
    cwd: out,
    env: { ...process.env, PORT: String(port), FUNCTION_TARGET: 'gather', FUNCTION_SIGNATURE_TYPE: 'http' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout?.on('data', (d: Buffer) => {
    logs += d.toString();
  });
  server.stderr?.on('data', (d: Buffer) => {
    logs += d.toString();
  });
  await waitUntilListening();
});

afterAll(() => {
  server?.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
});

describe('a packaged consumer deployed without an Eventarc trigger', () => {
  it('turns a Pub/Sub push on /projects/P/topics/T into a CloudEvent for the cloudEvent handler', async () => {
    const topic = TOPICS.stripeDriftAccounts;
    const payload = JSON.stringify({ account_id: 'acct_1' });
    const response = await fetch(`http://127.0.0.1:${port}/projects/acme-proj/topics/${topic}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        subscription: 'projects/acme-proj/subscriptions/gather-sub',
        message: {
          data: Buffer.from(payload).toString('base64'),
          messageId: '1',
          publishTime: '2026-11-24T04:30:00.000Z',
          attributes: {},
        },
      }),
    });
    expect(response.status, logs).toBeLessThan(300);
    await new Promise((r) => setTimeout(r, 100));
    const line = logs.split('\n').find((l) => l.includes('"received"'));
    expect(line, logs).toBeDefined();
    const { received } = JSON.parse(line ?? '{}') as {
      received: { type: string; source: string; text: string };
    };
    expect(received.type).toBe('google.cloud.pubsub.topic.v1.messagePublished');
    expect(received.source).toBe(`//pubsub.googleapis.com/projects/acme-proj/topics/${topic}`);
    expect(received.text).toBe(payload);
  });
});
