import { generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import { closeServer, LOOPBACK, listenOnLoopback } from '../net.js';

/**
 * A local stand-in for Identity-Aware Proxy in front of the console (docs/support.md, "Who may open it"):
 * it signs, for one development identity, the same ES256 assertion IAP adds to every request
 * (`x-goog-iap-jwt-assertion`: issuer https://cloud.google.com/iap, the audience, iat/exp, email, sub) and
 * serves its public keys the way Google does (`{ kid: PEM }`), so the console verifies locally exactly as
 * deployed — no bypass in the function. An assertion sent by the browser is dropped, as IAP drops it.
 */

export const DEV_IDENTITY = 'support-dev@example.com';
export const IAP_HEADER = 'x-goog-iap-jwt-assertion';

export interface LocalIap {
  /** Where people open the console (the proxy). */
  readonly url: string;
  /** `{ kid: PEM }`, for IAP_PUBLIC_KEYS_URL. */
  readonly publicKeysUrl: string;
  readonly audience: string;
  readonly identity: string;
  /** Signs an assertion as IAP would (tests forge others with their own keys). */
  assertion(
    claims?: Partial<Record<'email' | 'sub' | 'aud' | 'iss', string>> & { expiresInS?: number },
  ): string;
  /** Where requests go (set once the console listens). */
  setTarget(url: string): void;
  stop(): Promise<void>;
}

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

export function signEs256(privateKey: KeyObject, kid: string, payload: Record<string, unknown>): string {
  const head = base64url(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid }));
  const body = base64url(JSON.stringify(payload));
  const signature = sign('sha256', Buffer.from(`${head}.${body}`), {
    key: privateKey,
    dsaEncoding: 'ieee-p1363',
  });
  return `${head}.${body}.${base64url(signature)}`;
}

export async function startLocalIap(options: { audience: string; identity?: string }): Promise<LocalIap> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = `local-${randomUUID().slice(0, 8)}`;
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const identity = options.identity ?? DEV_IDENTITY;
  let target: URL | null = null;
  const assertion: LocalIap['assertion'] = (claims = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return signEs256(privateKey, kid, {
      iss: claims.iss ?? 'https://cloud.google.com/iap',
      aud: claims.aud ?? options.audience,
      sub: claims.sub ?? `accounts.google.com:${identity}`,
      email: claims.email ?? identity,
      iat: now,
      exp: now + (claims.expiresInS ?? 600),
    });
  };
  let port = 0;
  const server: Server = createServer((req, res) => {
    // Only this machine's loopback names: a page elsewhere cannot rebind a DNS name onto the signed proxy.
    if (req.headers.host !== `${LOOPBACK}:${port}` && req.headers.host !== `localhost:${port}`) {
      res
        .writeHead(403, { 'content-type': 'text/plain' })
        .end('the local IAP serves 127.0.0.1 and localhost only');
      return;
    }
    if (req.url === '/_iap/public_key') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ [kid]: pem }));
      return;
    }
    if (target === null) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('the console is not up yet');
      return;
    }
    const headers = { ...req.headers };
    delete headers[IAP_HEADER];
    headers.host = target.host;
    headers[IAP_HEADER] = assertion();
    headers['x-goog-authenticated-user-email'] = `accounts.google.com:${identity}`;
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('the console did not answer');
    });
    req.pipe(upstream);
  });
  port = await listenOnLoopback(server);
  const url = `http://${LOOPBACK}:${port}`;
  return {
    url,
    publicKeysUrl: `${url}/_iap/public_key`,
    audience: options.audience,
    identity,
    assertion,
    setTarget: (u) => {
      target = new URL(u);
    },
    stop: () => closeServer(server),
  };
}
