import { HttpError, type JsonRequest } from '../http.js';
import { type AccountFields, AccountFieldsSchema, type AccountRecord, AccountTable } from './accounts.js';
import { type SubsApiSeed, SubsApiSeedSchema } from './subs-api-seed.js';
import { describeIssues, type ZoneRecord } from './table.js';
import { LocalZoneService, type RouteResult, type ZoneServiceOptions } from './zone-service.js';

/**
 * Local subs-api: the source of truth for a zone's plan level and for an account's type, merged
 * accounts, Stripe customer and dunning state (read-only API).
 *
 *   GET /v1/zones/:zoneId                -> 200 ZoneRecord | 404 zone_not_found
 *   GET /v1/accounts/:accountId          -> 200 AccountRecord | 404 account_not_found
 *   GET /v1/accounts/:accountId/zones    -> 200 { accountId, zones: ZoneRecord[] } (empty list if none)
 *   GET /v1/customers/:stripeCustomerId  -> 200 { stripeCustomerId, accountIds: string[] } (subs_customer
 *                                           read backwards; empty list if no account maps to it)
 *
 * Admin (tests, seeding): POST /_admin/seed (SubsApiSeed: zones and accounts), POST /_admin/reset,
 * GET /_admin/zones, GET /_admin/accounts, PUT /_admin/accounts/:accountId (change an account's fields,
 * so a test can move truth after the mirror). Contract: docs/local-stack.md.
 */
export type LocalSubsApiOptions = ZoneServiceOptions<SubsApiSeed>;

const SEGMENT = '([A-Za-z0-9._:-]+)';
const ACCOUNT_PATCH = AccountFieldsSchema.partial();

export class LocalSubsApi extends LocalZoneService<SubsApiSeed> {
  readonly accounts = new AccountTable();

  constructor(options: LocalSubsApiOptions = {}) {
    super(options);
    if (options.seed) this.seed(options.seed);
  }

  seed(seed: SubsApiSeed): { zones: number; accounts: number } {
    const parsed = SubsApiSeedSchema.safeParse(seed);
    if (!parsed.success) throw new Error(`invalid subs-api seed: ${describeIssues(parsed.error)}`);
    const { zones } = this.zones.seed({ zones: parsed.data.zones ?? [] });
    return { zones, accounts: this.accounts.load(parsed.data.accounts ?? []) };
  }

  override reset(): void {
    super.reset();
    this.accounts.reset();
  }

  /** Changes one account in process, as `PUT /_admin/accounts/:accountId` does (throws HttpError 400/404). */
  updateAccount(accountId: string, patch: Partial<AccountFields>): AccountRecord {
    const parsed = ACCOUNT_PATCH.safeParse(patch);
    if (!parsed.success)
      throw new HttpError(400, 'invalid_request', `Invalid account change: ${describeIssues(parsed.error)}`);
    this.account(accountId);
    return this.accounts.update(accountId, parsed.data);
  }

  protected override adminRoute(req: JsonRequest): RouteResult | undefined {
    const change = new RegExp(`^/_admin/accounts/${SEGMENT}$`).exec(req.url.pathname);
    if (change && req.method === 'PUT')
      return { body: this.updateAccount(change[1] as string, req.body as Partial<AccountFields>) };
    if (req.url.pathname === '/_admin/accounts' && req.method === 'GET')
      return { body: { accounts: this.accounts.all() } };
    return super.adminRoute(req);
  }

  protected route(req: JsonRequest): RouteResult {
    const path = req.url.pathname;
    if (req.method !== 'GET')
      throw new HttpError(405, 'method_not_allowed', `${req.method} is not supported by subs-api`);
    const zone = new RegExp(`^/v1/zones/${SEGMENT}$`).exec(path);
    if (zone) {
      const zoneId = zone[1] as string;
      const record = this.zones.get(zoneId);
      if (!record)
        throw new HttpError(404, 'zone_not_found', `Zone ${zoneId} does not exist in subs-api.`, { zoneId });
      return { body: record satisfies ZoneRecord };
    }
    const account = new RegExp(`^/v1/accounts/${SEGMENT}$`).exec(path);
    if (account) return { body: this.account(account[1] as string) };
    const customer = new RegExp(`^/v1/customers/${SEGMENT}$`).exec(path);
    if (customer) {
      const stripeCustomerId = customer[1] as string;
      return { body: { stripeCustomerId, accountIds: this.accounts.accountsOfCustomer(stripeCustomerId) } };
    }
    const zones = new RegExp(`^/v1/accounts/${SEGMENT}/zones$`).exec(path);
    if (zones) {
      const accountId = zones[1] as string;
      return { body: { accountId, zones: this.zones.byAccount(accountId) } };
    }
    throw new HttpError(404, 'not_found', `No route for ${req.method} ${path}`);
  }

  private account(accountId: string): AccountRecord {
    const record = this.accounts.get(accountId);
    if (!record)
      throw new HttpError(404, 'account_not_found', `Account ${accountId} does not exist in subs-api.`, {
        accountId,
      });
    return record;
  }
}

export async function startLocalSubsApi(options: LocalSubsApiOptions = {}): Promise<LocalSubsApi> {
  return new LocalSubsApi(options).listen(options.port ?? 0);
}
