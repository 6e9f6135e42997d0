import type { StripeItem } from '../domain/account-view.js';
import { INTERVALS_PER_YEAR, type Interval } from '../domain/common.js';
import type { MoneyEffect } from '../domain/plan.js';

/**
 * Money effects are annualised so month and year prices compare exactly in integers:
 * unit amount x quantity x intervals per year. The monthly figure is for display only.
 */

export function annualMinor(unitAmountMinor: number, quantity: number, interval: Interval): number {
  const value = unitAmountMinor * quantity * INTERVALS_PER_YEAR[interval];
  if (!Number.isSafeInteger(value))
    throw new RangeError(`annual amount overflows: ${unitAmountMinor} x ${quantity}`);
  return value;
}

export function stripeItemAnnualMinor(item: StripeItem): number {
  return annualMinor(item.price.unitAmountMinor, item.quantity, item.price.interval);
}

/** Annual / 12, rounded half away from zero. */
export function monthlyDisplayMinor(annualDeltaMinor: number): number {
  const magnitude = Math.round(Math.abs(annualDeltaMinor) / 12);
  return annualDeltaMinor < 0 ? -magnitude : magnitude;
}

export function moneyEffect(currency: string, annualDeltaMinor: number): MoneyEffect {
  return { currency, annualDeltaMinor, monthlyDeltaMinor: monthlyDisplayMinor(annualDeltaMinor) };
}

/** Sum per currency, sorted by currency; currencies are never added to each other. */
export function sumMoneyEffects(effects: readonly MoneyEffect[]): MoneyEffect[] {
  const totals = new Map<string, number>();
  for (const e of effects) totals.set(e.currency, (totals.get(e.currency) ?? 0) + e.annualDeltaMinor);
  return [...totals.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([currency, annual]) => moneyEffect(currency, annual));
}
