import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type FrontDoor, openFrontDoor } from '../../../local/run/front-door.js';

/** A function instance stand-in: answers after `delayMs` with what it was sent, or never (`hang`). */
async function instance(behaviour: { delayMs?: number; hang?: boolean } = {}) {
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      if (behaviour.hang) return;
      setTimeout(() => res.writeHead(201, { 'x-echo': req.url ?? '' }).end(body), behaviour.delayMs ?? 0);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    crash: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

describe('front door', () => {
  let door: FrontDoor | undefined;
  afterEach(async () => {
    await door?.close();
  });

  it('passes a request to the instance and its answer back, status, headers and body', async () => {
    door = await openFrontDoor();
    door.setTarget((await instance()).port);
    const res = await fetch(`${door.url}/projects/p/topics/t`, { method: 'POST', body: 'hello' });
    expect([res.status, res.headers.get('x-echo'), await res.text()]).toEqual([
      201,
      '/projects/p/topics/t',
      'hello',
    ]);
  });

  it('holds a request that arrives while no instance is up until one starts (a cold start)', async () => {
    door = await openFrontDoor({ coldStartWaitMs: 5_000 });
    const pending = fetch(door.url, { method: 'POST', body: 'waited' });
    await new Promise((r) => setTimeout(r, 300));
    const d = door;
    d.setTarget((await instance()).port);
    const res = await pending;
    expect([res.status, await res.text()]).toEqual([201, 'waited']);
  });

  it('answers 503 in JSON when no instance starts in time', async () => {
    door = await openFrontDoor({ coldStartWaitMs: 200 });
    const res = await fetch(door.url, { method: 'POST', body: 'x' });
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      error: { code: 'instance_unavailable', message: 'no instance is serving' },
    });
  });

  it('answers 503 when the instance dies under a request, so Pub/Sub redelivers it', async () => {
    door = await openFrontDoor();
    const dying = await instance({ hang: true });
    door.setTarget(dying.port);
    const pending = fetch(door.url, { method: 'POST', body: 'x' });
    await new Promise((r) => setTimeout(r, 200));
    dying.crash();
    const res = await pending;
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('instance_unavailable');
  });
});
