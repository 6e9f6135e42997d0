import { z } from 'zod';

/** ISO-8601 instant with an explicit offset (Z or +hh:mm). Never a bare local time. */
export const Instant = z.iso.datetime({ offset: true });
export type Instant = z.infer<typeof Instant>;

/** A calendar date (YYYY-MM-DD), e.g. a mirror snapshot date. */
export const CalendarDate = z.iso.date();
export type CalendarDate = z.infer<typeof CalendarDate>;

/** Identifiers are non-empty, trimmed and bounded so a malformed message cannot smuggle a huge blob. */
export const Id = z
  .string()
  .min(1)
  .max(255)
  .regex(/^\S(.*\S)?$/, 'must not have leading or trailing whitespace');

/** Stripe metadata: string keys to string values (Stripe's own rule). */
export const Metadata = z.record(z.string().max(40), z.string().max(500));
export type Metadata = z.infer<typeof Metadata>;

/** Lower-case ISO-4217 code, as Stripe writes it. */
export const Currency = z.string().regex(/^[a-z]{3}$/, 'must be a lower-case ISO-4217 code such as "usd"');
export type Currency = z.infer<typeof Currency>;

/** Money in integer minor units (cents). Floats never carry money. */
export const MinorUnits = z.number().int().refine(Number.isSafeInteger, 'must be a safe integer');

export const Money = z.strictObject({ amountMinor: MinorUnits, currency: Currency });
export type Money = z.infer<typeof Money>;

/** Billing intervals the product sells: explicit, never inferred from an amount. */
export const Interval = z.enum(['month', 'year']);
export type Interval = z.infer<typeof Interval>;

/** How many intervals fit in a year: the basis of annualised money effects. */
export const INTERVALS_PER_YEAR: Readonly<Record<Interval, number>> = { month: 12, year: 1 };

/** The calendar date before a YYYY-MM-DD date (UTC): yesterday's snapshot. */
export function dayBefore(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}
