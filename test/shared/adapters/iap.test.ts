import { createHmac, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { signEs256 } from '../../../local/console/iap.js';
import { IAP_ISSUER, IapJwtVerifier } from '../../../shared/adapters/iap.js';
import { NotAuthenticatedError } from '../../../shared/ports/errors.js';

/**
 * The IAP verifier with real cryptography: EC P-256 keys made here, IAP's `{ kid: PEM }` served from a
 * loopback server, ES256 assertions signed the way IAP signs them.
 */

const AUDIENCE = '/projects/123456/global/backendServices/987654';
const EMAIL = 'support@example.com';
const SUB = 'accounts.google.com:1234567890';

function keyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, pem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}
const KEY = keyPair();
const ROTATED = keyPair();
const STRANGER = keyPair();

let server: Server;
let keysUrl: string;
let served: Record<string, string>;
let hits = 0;
let answer: 'keys' | 'not_found' = 'keys';

beforeAll(async () => {
  server = createServer((_req, res) => {
    hits += 1;
    if (answer === 'not_found') res.writeHead(404, { 'content-type': 'text/plain' }).end('no');
    else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(served));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  keysUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/iap/verify/public_key`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  served = { 'kid-1': KEY.pem };
  hits = 0;
  answer = 'keys';
});

const seconds = () => Math.floor(Date.now() / 1000);
function claims(over: Record<string, unknown> = {}): Record<string, unknown> {
  const now = seconds();
  return { iss: IAP_ISSUER, aud: AUDIENCE, sub: SUB, email: EMAIL, iat: now, exp: now + 600, ...over };
}
const token = (over: Record<string, unknown> = {}, key: KeyObject = KEY.privateKey, kid = 'kid-1') =>
  signEs256(key, kid, claims(over));

function verifier(options: { audience?: string | undefined; now?: () => number } = {}) {
  return new IapJwtVerifier({
    audience: 'audience' in options ? options.audience : AUDIENCE,
    publicKeysUrl: keysUrl,
    ...(options.now ? { now: options.now } : {}),
  });
}

/** The refusal, checked to be a NotAuthenticatedError that quotes no part of the assertion. */
async function refusal(v: IapJwtVerifier, assertion: string | null): Promise<NotAuthenticatedError> {
  const error = await v.verify(assertion).then(
    () => {
      throw new Error('verified, but should have been refused');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(NotAuthenticatedError);
  const refused = error as NotAuthenticatedError;
  if (assertion) {
    const parts = [assertion, ...assertion.split('.').filter((p) => p.length >= 8)];
    const texts = [
      refused.message,
      String(refused),
      String((refused.cause as Error | undefined)?.message ?? ''),
    ];
    for (const text of texts) for (const part of parts) expect(text).not.toContain(part);
  }
  return refused;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('IapJwtVerifier', () => {
  it('verifies an assertion IAP signed: the email and subject', async () => {
    await expect(verifier().verify(token())).resolves.toEqual({ email: EMAIL, subject: SUB });
  });

  it('verifies one within the clock skew of its times', async () => {
    const now = seconds();
    await expect(verifier().verify(token({ iat: now + 60, exp: now + 660 }))).resolves.toMatchObject({
      email: EMAIL,
    });
    await expect(verifier().verify(token({ iat: now - 1200, exp: now - 60 }))).resolves.toMatchObject({
      email: EMAIL,
    });
  });

  it.each([
    { name: 'a wrong audience', make: () => token({ aud: '/projects/1/global/backendServices/other' }) },
    { name: 'no audience', make: () => token({ aud: undefined }) },
    { name: 'a wrong issuer', make: () => token({ iss: 'https://accounts.google.com' }) },
    { name: 'no issuer', make: () => token({ iss: undefined }) },
    { name: 'an expired assertion', make: () => token({ iat: seconds() - 7200, exp: seconds() - 3600 }) },
    { name: 'one issued in the future', make: () => token({ iat: seconds() + 3600, exp: seconds() + 4200 }) },
    { name: 'one valid for too long', make: () => token({ exp: seconds() + 3 * 86_400 }) },
    { name: 'one without an issue time', make: () => token({ iat: undefined }) },
    { name: 'one without an expiry', make: () => token({ exp: undefined }) },
    { name: 'a signature by another key', make: () => token({}, STRANGER.privateKey) },
    { name: 'an unknown key id', make: () => token({}, STRANGER.privateKey, 'kid-unknown') },
    {
      name: 'no key id',
      make: () => `${b64({ alg: 'ES256', typ: 'JWT' })}.${token().split('.').slice(1).join('.')}`,
    },
    {
      name: 'a tampered payload',
      make: () => {
        const [head, , signature] = token().split('.');
        return `${head}.${b64(claims({ email: 'admin@example.com' }))}.${signature}`;
      },
    },
    {
      name: 'a tampered header',
      make: () => {
        const [, body, signature] = token().split('.');
        return `${b64({ alg: 'ES256', typ: 'JWT', kid: 'kid-1', x: 1 })}.${body}.${signature}`;
      },
    },
    {
      name: 'alg none without a signature',
      make: () => `${b64({ alg: 'none', kid: 'kid-1' })}.${b64(claims())}.`,
    },
    {
      name: 'alg none with the signature of another assertion',
      make: () => `${b64({ alg: 'none', kid: 'kid-1' })}.${b64(claims())}.${token().split('.')[2]}`,
    },
    {
      name: 'alg HS256 keyed with the public key',
      make: () => {
        const head = b64({ alg: 'HS256', typ: 'JWT', kid: 'kid-1' });
        const body = b64(claims());
        const sig = createHmac('sha256', KEY.pem).update(`${head}.${body}`).digest('base64url');
        return `${head}.${body}.${sig}`;
      },
    },
    {
      // BUG (shared/adapters/iap.ts, verify): the header's alg is never checked. google-auth-library turns the
      // signature from JOSE to DER only when alg is ES256 and otherwise verifies it as given, so an assertion
      // whose header says alg "none" (or anything else) verifies when its signature is a DER one by IAP's key.
      // Not a forgery (it needs IAP's key), but IAP signs ES256 only: refuse any other alg before verifying.
      name: 'alg none with a valid DER signature',
      make: () => {
        const head = b64({ alg: 'none', kid: 'kid-1' });
        const body = b64(claims());
        const der = sign('sha256', Buffer.from(`${head}.${body}`), KEY.privateKey);
        return `${head}.${body}.${der.toString('base64url')}`;
      },
    },
    { name: 'a truncated signature', make: () => token().slice(0, -10) },
    { name: 'no email', make: () => token({ email: undefined }) },
    { name: 'no subject', make: () => token({ sub: undefined }) },
    { name: 'an email that is not a string', make: () => token({ email: ['a@example.com'] }) },
    { name: 'a garbage string', make: () => 'garbage' },
    { name: 'four segments', make: () => `${token()}.extra` },
    { name: 'a header that is not JSON', make: () => `bm90IGpzb24.${b64(claims())}.c2ln` },
    { name: 'a user:<email> shortcut', make: () => `user:${EMAIL}` },
  ])('refuses $name as invalid, quoting no part of it', async ({ make }) => {
    const refused = await refusal(verifier(), make());
    expect(refused.code).toBe('invalid');
  });

  it.each([
    { name: 'null', assertion: null },
    { name: 'an empty header', assertion: '' },
  ])('refuses $name as missing, fetching no key', async ({ assertion }) => {
    const refused = await refusal(verifier(), assertion);
    expect(refused.code).toBe('missing');
    expect(hits).toBe(0);
  });

  it('refuses everyone when the audience is not set, even a valid assertion, fetching no key', async () => {
    const refused = await refusal(verifier({ audience: undefined }), token());
    expect(refused.code).toBe('not_configured');
    expect(hits).toBe(0);
  });

  it('fetches the keys once and serves later assertions from the cache', async () => {
    const v = verifier();
    for (let i = 0; i < 5; i += 1) await expect(v.verify(token())).resolves.toMatchObject({ email: EMAIL });
    expect(hits).toBe(1);
  });

  it('refetches for an unknown key id, at most once a minute, and picks up a rotated key', async () => {
    let now = 1_000_000;
    const v = verifier({ now: () => now });
    await v.verify(token());
    expect(hits).toBe(1);

    // Not a minute since the fetch: an unknown key id is refused from the cache.
    now += 30_000;
    expect((await refusal(v, token({}, ROTATED.privateKey, 'kid-2'))).code).toBe('invalid');
    expect(hits).toBe(1);

    // IAP rotates; a minute on, the unknown key id refetches and verifies.
    served = { 'kid-1': KEY.pem, 'kid-2': ROTATED.pem };
    now += 31_000;
    await expect(v.verify(token({}, ROTATED.privateKey, 'kid-2'))).resolves.toMatchObject({ email: EMAIL });
    expect(hits).toBe(2);

    // A forged key id cannot make it fetch more than once a minute.
    for (let i = 0; i < 5; i += 1) {
      now += 5_000;
      expect((await refusal(v, token({}, STRANGER.privateKey, `kid-forged-${i}`))).code).toBe('invalid');
    }
    expect(hits).toBe(2);
    now += 60_000;
    expect((await refusal(v, token({}, STRANGER.privateKey, 'kid-forged-again'))).code).toBe('invalid');
    expect(hits).toBe(3);

    // Known key ids keep coming from the cache meanwhile.
    await v.verify(token());
    await v.verify(token({}, ROTATED.privateKey, 'kid-2'));
    expect(hits).toBe(3);
  });

  it('refetches the keys once they are an hour old, even for a known key id', async () => {
    let now = 5_000_000;
    const v = verifier({ now: () => now });
    await v.verify(token());
    now += 59 * 60_000;
    await v.verify(token());
    expect(hits).toBe(1);
    now += 2 * 60_000;
    await v.verify(token());
    expect(hits).toBe(2);
  });

  it('no longer verifies with a key IAP dropped, once refetched', async () => {
    let now = 9_000_000;
    const v = verifier({ now: () => now });
    await v.verify(token());
    served = { 'kid-2': ROTATED.pem };
    now += 61 * 60_000;
    expect((await refusal(v, token())).code).toBe('invalid');
    expect(hits).toBe(2);
  });

  it('says keys_unavailable when the key server answers an error', async () => {
    answer = 'not_found';
    const refused = await refusal(verifier(), token());
    expect(refused.code).toBe('keys_unavailable');
  });

  it('says keys_unavailable when the key server is down', async () => {
    const down = createServer();
    await new Promise<void>((resolve) => down.listen(0, '127.0.0.1', resolve));
    const port = (down.address() as AddressInfo).port;
    await new Promise<void>((resolve) => down.close(() => resolve()));
    const v = new IapJwtVerifier({ audience: AUDIENCE, publicKeysUrl: `http://127.0.0.1:${port}/keys` });
    const assertion = token();
    const refused = await refusal(v, assertion);
    expect(refused.code).toBe('keys_unavailable');
  });

  it('keeps verifying with the keys it holds when a refetch fails', async () => {
    let now = 20_000_000;
    const v = verifier({ now: () => now });
    await v.verify(token());
    now += 61 * 60_000;
    answer = 'not_found';
    expect((await v.verify(token())).email).toBe(EMAIL);
    expect(hits).toBe(2);
    // A key it never had still cannot verify.
    expect((await refusal(v, token({}, ROTATED.privateKey, 'kid-2'))).code).toBe('invalid');
  });

  it('fetches the keys once for requests that arrive together', async () => {
    const v = verifier();
    const all = await Promise.all(Array.from({ length: 5 }, () => v.verify(token())));
    expect(all.map((i) => i.email)).toEqual(Array(5).fill(EMAIL));
    expect(hits).toBe(1);
  });
});
