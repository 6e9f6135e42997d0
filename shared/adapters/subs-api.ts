import { z } from 'zod';
import { DunningState } from '../domain/account-view.js';
import { UpstreamError } from '../ports/errors.js';
import type { SubsApiAccount, SubsApiPort, ZoneRecord } from '../ports/index.js';
import { InternalHttp, type InternalHttpOptions } from './internal-http.js';
import { DEFAULT_READ_RETRY, type ReadRetryPolicy, withReadRetries } from './read-retry.js';

/**
 * SubsApiPort over subs-api's HTTP API (the local stand-in, local/zones/subs-api.ts, serves the same):
 *   GET /v1/zones/:zoneId        -> 200 ZoneRecord | 404 zone_not_found
 *   GET /v1/accounts/:accountId  -> 200 { accountId, accountType, mergedAccountIds, stripeCustomerId,
 *                                         accountIdsForCustomer, dunning: { state } } | 404 account_not_found
 *   GET /v1/customers/:stripeCustomerId -> 200 { stripeCustomerId, accountIds } (subs_customer backwards)
 * The account read carries subs_account, subs_customer and subs_dunning in one round trip, stamped with
 * the time it was made; it is retried within the read policy, and an answer that does not parse is a
 * retryable failure naming the field.
 */

const AccountBody = z.object({
  accountId: z.string().min(1),
  accountType: z.string().min(1).max(64),
  mergedAccountIds: z.array(z.string().min(1).max(255)),
  stripeCustomerId: z.string().min(1).max(255).nullable(),
  accountIdsForCustomer: z.array(z.string().min(1).max(255)),
  dunning: z.object({ state: DunningState }),
});

const CustomerBody = z.object({
  stripeCustomerId: z.string().min(1),
  accountIds: z.array(z.string().min(1).max(255)).max(1000),
});

export interface SubsApiClientOptions extends InternalHttpOptions {
  readonly retry?: ReadRetryPolicy;
  /** Clock for the read stamps. */
  readonly now?: () => Date;
}

export class SubsApiClient implements SubsApiPort {
  private readonly http: InternalHttp;
  private readonly retry: ReadRetryPolicy;
  private readonly now: () => Date;

  constructor(options: SubsApiClientOptions) {
    this.http = new InternalHttp('subs-api', options);
    this.retry = options.retry ?? DEFAULT_READ_RETRY;
    this.now = options.now ?? (() => new Date());
  }

  zone(zoneId: string): Promise<ZoneRecord | null> {
    return this.http.zone(zoneId);
  }

  accountsOfCustomer(stripeCustomerId: string): Promise<string[]> {
    const path = `/v1/customers/${encodeURIComponent(stripeCustomerId)}`;
    return withReadRetries(async () => {
      const answer = await this.http.request('GET', path);
      // No account maps to it: a customer the company does not know (not an error, nothing to check).
      if (answer.status === 404) return [];
      if (answer.status !== 200) throw this.http.fail('GET', path, answer);
      const parsed = CustomerBody.safeParse(answer.body);
      if (!parsed.success || parsed.data.stripeCustomerId !== stripeCustomerId) {
        const issues = parsed.success
          ? `stripeCustomerId: names ${parsed.data.stripeCustomerId}`
          : parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
        throw new UpstreamError(`subs-api GET ${path}: invalid customer (${issues})`, 'subs-api', true, 200);
      }
      return parsed.data.accountIds;
    }, this.retry);
  }

  account(accountId: string): Promise<SubsApiAccount | null> {
    const path = `/v1/accounts/${encodeURIComponent(accountId)}`;
    return withReadRetries(async () => {
      const asOf = this.now().toISOString();
      const answer = await this.http.request('GET', path);
      if (answer.status === 404 && this.http.errorCode(answer) === 'account_not_found') return null;
      if (answer.status !== 200) throw this.http.fail('GET', path, answer);
      const parsed = AccountBody.safeParse(answer.body);
      if (!parsed.success || parsed.data.accountId !== accountId) {
        const issues = parsed.success
          ? `accountId: names ${parsed.data.accountId}`
          : parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
        throw new UpstreamError(`subs-api GET ${path}: invalid account (${issues})`, 'subs-api', true, 200);
      }
      const a = parsed.data;
      return {
        subsAccount: {
          source: 'subs_account',
          asOf,
          data: { accountType: a.accountType, mergedAccountIds: a.mergedAccountIds },
        },
        subsCustomer: {
          source: 'subs_customer',
          asOf,
          data: { stripeCustomerId: a.stripeCustomerId, accountIdsForCustomer: a.accountIdsForCustomer },
        },
        subsDunning: { source: 'subs_dunning', asOf, data: { state: a.dunning.state } },
      };
    }, this.retry);
  }
}
