import { OAuth2Client } from 'google-auth-library';
import { NotAuthenticatedError } from '../ports/errors.js';
import type { IdentityVerifierPort, VerifiedIdentity } from '../ports/index.js';

/**
 * The console's own lock behind Identity-Aware Proxy (docs/support.md, "Who may open it"): every request's
 * `x-goog-iap-jwt-assertion` is verified with Google's auth library against IAP's public keys — ES256
 * signature, issuer https://cloud.google.com/iap, the deployment's audience, issue and expiry times. A
 * request that reached the function some other way (a mis-set invoker, a direct URL) has no valid header
 * and is refused. The library's error texts quote the token, so they are never passed on.
 */

export const IAP_ISSUER = 'https://cloud.google.com/iap';
export const IAP_PUBLIC_KEYS_URL = 'https://www.gstatic.com/iap/verify/public_key';
/** IAP's keys rotate; a key id not seen before refetches them (at most once a minute). */
const KEYS_TTL_MS = 60 * 60_000;
const REFETCH_MIN_MS = 60_000;

export interface IapVerifierOptions {
  /** Unset: every request is refused (a console deployed without its audience serves nobody). */
  readonly audience: string | undefined;
  readonly publicKeysUrl?: string;
  readonly now?: () => number;
}

/** The assertion's header (null: not a JWT header). */
function headerOf(assertion: string): { kid?: unknown; alg?: unknown } | null {
  try {
    const header: unknown = JSON.parse(
      Buffer.from(assertion.split('.')[0] ?? '', 'base64url').toString('utf8'),
    );
    return typeof header === 'object' && header !== null
      ? (header as { kid?: unknown; alg?: unknown })
      : null;
  } catch {
    return null;
  }
}

export class IapJwtVerifier implements IdentityVerifierPort {
  private readonly client: OAuth2Client;
  private keys: { pubkeys: Record<string, string>; fetchedAtMs: number } | null = null;
  private fetching: Promise<Record<string, string>> | null = null;
  private readonly now: () => number;

  constructor(private readonly options: IapVerifierOptions) {
    this.client = new OAuth2Client({
      endpoints: { oauth2IapPublicKeyUrl: options.publicKeysUrl ?? IAP_PUBLIC_KEYS_URL },
    });
    this.now = options.now ?? Date.now;
  }

  private async publicKeys(keyId: string | null): Promise<Record<string, string>> {
    const now = this.now();
    const cached = this.keys;
    const fresh = cached !== null && now - cached.fetchedAtMs < KEYS_TTL_MS;
    const knows = cached !== null && keyId !== null && Object.hasOwn(cached.pubkeys, keyId);
    if (cached !== null && fresh && (knows || now - cached.fetchedAtMs < REFETCH_MIN_MS))
      return cached.pubkeys;
    // One fetch at a time; when it fails, keys already held still verify (IAP rotates them slowly).
    this.fetching ??= this.client
      .getIapPublicKeys()
      .then(({ pubkeys }) => {
        this.keys = { pubkeys: pubkeys as unknown as Record<string, string>, fetchedAtMs: this.now() };
        return this.keys.pubkeys;
      })
      .finally(() => {
        this.fetching = null;
      });
    try {
      return await this.fetching;
    } catch (error) {
      if (cached !== null) return cached.pubkeys;
      throw new NotAuthenticatedError('keys_unavailable', "IAP's public keys could not be fetched", {
        cause: error,
      });
    }
  }

  async verify(assertion: string | null): Promise<VerifiedIdentity> {
    const audience = this.options.audience;
    if (audience === undefined)
      throw new NotAuthenticatedError('not_configured', 'IAP_AUDIENCE is not set: the console serves nobody');
    if (assertion === null || assertion.length === 0)
      throw new NotAuthenticatedError('missing', 'no x-goog-iap-jwt-assertion header: not through IAP');
    // IAP signs with ES256 only; the library checks other algorithms' signatures as given, so refuse them.
    const header = headerOf(assertion);
    if (header?.alg !== 'ES256')
      throw new NotAuthenticatedError('invalid', 'the IAP assertion is not signed with ES256');
    const keys = await this.publicKeys(typeof header.kid === 'string' ? header.kid : null);
    let payload: { email?: unknown; sub?: unknown } | undefined;
    try {
      const ticket = await this.client.verifySignedJwtWithCertsAsync(assertion, keys, audience, [IAP_ISSUER]);
      payload = ticket.getPayload();
    } catch (error) {
      // The library's message quotes the token: keep only that it failed.
      throw new NotAuthenticatedError('invalid', 'the IAP assertion does not verify', {
        cause: new Error((error as Error).message.split(':')[0]),
      });
    }
    if (typeof payload?.email !== 'string' || typeof payload.sub !== 'string')
      throw new NotAuthenticatedError('invalid', 'the IAP assertion names no user');
    return { email: payload.email, subject: payload.sub };
  }
}
