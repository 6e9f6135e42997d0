/**
 * The local IAP stand-in: what it signs verifies with the console's own verifier (the same code as
 * deployed), it replaces any assertion the browser sent, and it serves loopback names only.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IAP_HEADER, type LocalIap, startLocalIap } from '../../../local/console/iap.js';
import { IapJwtVerifier } from '../../../shared/adapters/iap.js';

const AUDIENCE = '/projects/1/locations/local/services/console';
let iap: LocalIap;
let upstream: Server;
const seen: (string | undefined)[] = [];

beforeAll(async () => {
  upstream = createServer((req, res) => {
    seen.push(req.headers[IAP_HEADER] as string | undefined);
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`hello ${req.url}`);
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  iap = await startLocalIap({ audience: AUDIENCE });
  iap.setTarget(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`);
});

afterAll(async () => {
  await iap?.stop();
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
});

/** A raw request with a Host header of our choosing (fetch does not let a caller set Host). */
function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const url = new URL(iap.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the local IAP stand-in', () => {
  it("signs every request for the development identity, and the console's verifier accepts it", async () => {
    const before = seen.length;
    const r = await get('/accounts/acc_1');
    expect(r).toEqual({ status: 200, body: 'hello /accounts/acc_1' });
    const assertion = seen[before];
    const who = await new IapJwtVerifier({ audience: AUDIENCE, publicKeysUrl: iap.publicKeysUrl }).verify(
      assertion ?? null,
    );
    expect(who.email).toBe(iap.identity);
  });

  it('drops an assertion the browser sent and signs its own', async () => {
    const before = seen.length;
    await get('/', { [IAP_HEADER]: 'forged.by.browser' });
    expect(seen[before]).not.toBe('forged.by.browser');
    expect(seen[before]?.split('.')).toHaveLength(3);
  });

  it('refuses any Host but its loopback names (no DNS rebinding onto the signed proxy)', async () => {
    const before = seen.length;
    const port = new URL(iap.url).port;
    expect((await get('/', { host: `evil.example:${port}` })).status).toBe(403);
    expect((await get('/', { host: 'localhost:1' })).status).toBe(403);
    expect(seen.length).toBe(before);
    expect((await get('/', { host: `localhost:${port}` })).status).toBe(200);
  });
});
