import { z } from 'zod';
import { SubsAccount, SubsCustomer, SubsDunning } from '../../shared/domain/account-view.js';

/**
 * subs-api's account records (subs_account + subs_customer + subs_dunning), held in memory by account id.
 * `accountIdsForCustomer` is not stored: it is computed from the table on every read, so changing one
 * account's Stripe customer changes the lists of every account that shared (or now shares) it.
 */

/** The fields of one account as seeded and as the admin route changes them (the domain's own schemas). */
export const AccountFieldsSchema = z.strictObject({
  ...SubsAccount.shape,
  stripeCustomerId: SubsCustomer.shape.stripeCustomerId,
  dunning: SubsDunning,
});
export type AccountFields = z.infer<typeof AccountFieldsSchema>;

export const AccountSeedEntrySchema = AccountFieldsSchema.extend({ accountId: z.string().min(1) });
export type AccountSeedEntry = z.infer<typeof AccountSeedEntrySchema>;

/** What `GET /v1/accounts/:accountId` answers. */
export interface AccountRecord extends AccountFields {
  accountId: string;
  /** Every account id whose stripeCustomerId equals this one's, this one included, sorted. */
  accountIdsForCustomer: string[];
}

export class AccountTable {
  private readonly accounts = new Map<string, AccountFields>();
  /** Stripe customer id -> the accounts mapped to it. */
  private readonly byCustomer = new Map<string, Set<string>>();

  /** Adds or replaces accounts by id. Entries are validated by the caller, with the rest of the seed. */
  load(entries: readonly AccountSeedEntry[]): number {
    for (const { accountId, ...fields } of entries) this.put(accountId, fields);
    return entries.length;
  }

  get(accountId: string): AccountRecord | undefined {
    const fields = this.accounts.get(accountId);
    if (!fields) return undefined;
    const sharing =
      fields.stripeCustomerId === null ? undefined : this.byCustomer.get(fields.stripeCustomerId);
    return {
      accountId,
      ...structuredClone(fields),
      accountIdsForCustomer: sharing ? [...sharing].sort() : [accountId],
    };
  }

  /** Changes the given fields of an existing account (the others keep their value). */
  update(accountId: string, patch: Partial<AccountFields>): AccountRecord {
    const current = this.accounts.get(accountId);
    if (!current) throw new Error(`unknown account ${accountId}`);
    this.put(accountId, { ...current, ...structuredClone(patch) });
    return this.get(accountId) as AccountRecord;
  }

  /** The accounts mapped to a Stripe customer, sorted (empty when none). */
  accountsOfCustomer(stripeCustomerId: string): string[] {
    return [...(this.byCustomer.get(stripeCustomerId) ?? [])].sort();
  }

  all(): AccountRecord[] {
    return [...this.accounts.keys()].sort().map((id) => this.get(id) as AccountRecord);
  }

  reset(): void {
    this.accounts.clear();
    this.byCustomer.clear();
  }

  private put(accountId: string, fields: AccountFields): void {
    const before = this.accounts.get(accountId)?.stripeCustomerId;
    if (before) this.byCustomer.get(before)?.delete(accountId);
    this.accounts.set(accountId, fields);
    const customer = fields.stripeCustomerId;
    if (customer === null) return;
    const sharing = this.byCustomer.get(customer) ?? new Set<string>();
    sharing.add(accountId);
    this.byCustomer.set(customer, sharing);
  }
}
