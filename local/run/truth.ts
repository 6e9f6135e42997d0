import type { DunningState } from '../../shared/domain/account-view.js';
import type { LocalStores } from '../stores/local-stores.js';
import type { Store } from '../stores/schema.js';
import type { AccountFields } from '../zones/accounts.js';

/**
 * Moves live truth after the mirror landed, as production truth moves during the day: gather reads the
 * stores live, so a test (or run-local) changes them here and sees gather and plan-apply act on the new
 * truth while detection still sees last night's mirror. OPE and cf_prod change through SQL on the local
 * databases, subs-api through its admin route (`PUT /_admin/accounts/:accountId`).
 */
export class LiveTruth {
  constructor(
    private readonly stores: LocalStores,
    private readonly subsApiUrl: string,
  ) {}

  setItemQuantity(itemId: string, quantity: number): Promise<void> {
    return this.update('ope', `OPE item ${itemId}`, 'UPDATE items SET quantity = $2 WHERE id = $1', [
      itemId,
      quantity,
    ]);
  }

  setItemProduct(itemId: string, productId: string): Promise<void> {
    return this.update('ope', `OPE item ${itemId}`, 'UPDATE items SET product_id = $2 WHERE id = $1', [
      itemId,
      productId,
    ]);
  }

  /** Cancels now, as OPE records a cancellation. */
  cancelSubscription(subscriptionId: string): Promise<void> {
    return this.update(
      'ope',
      `OPE subscription ${subscriptionId}`,
      "UPDATE subscriptions SET status = 'canceled', canceled_at = now() WHERE id = $1",
      [subscriptionId],
    );
  }

  setDunning(accountId: string, state: DunningState): Promise<void> {
    return this.changeAccount(accountId, { dunning: { state } });
  }

  /** subs-api and cf_prod each hold an account type; by default both change. */
  async setAccountType(
    accountId: string,
    accountType: string,
    where: 'subs-api' | 'cf_prod' | 'both' = 'both',
  ): Promise<void> {
    if (where !== 'cf_prod') await this.changeAccount(accountId, { accountType });
    if (where !== 'subs-api')
      await this.update(
        'cf_prod',
        `cf_prod account ${accountId}`,
        'UPDATE accounts SET account_type = $2 WHERE account_id = $1',
        [accountId, accountType],
      );
  }

  /** Changes which Stripe customer subs-api maps the account to (every sharer's list follows). */
  setStripeCustomer(accountId: string, stripeCustomerId: string | null): Promise<void> {
    return this.changeAccount(accountId, { stripeCustomerId });
  }

  private async update(store: Store, what: string, sql: string, params: unknown[]): Promise<void> {
    const result = await this.stores.query(store, sql, params);
    // A typo in a test's id must fail the test, not leave truth unchanged.
    if (result.rowCount !== 1) throw new Error(`${what} does not exist in ${store}`);
  }

  private async changeAccount(accountId: string, patch: Partial<AccountFields>): Promise<void> {
    const res = await fetch(`${this.subsApiUrl}/_admin/accounts/${encodeURIComponent(accountId)}`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(patch),
    });
    if (!res.ok)
      throw new Error(`subs-api refused to change ${accountId}: ${res.status} ${await res.text()}`);
  }
}
