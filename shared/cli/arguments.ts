import { InvalidArgumentError } from 'commander';
import { CalendarDate } from '../domain/common.js';

/** Option parsers shared by the commands: every value checked and bounded, never NaN or Infinity. */

export function calendarDate(value: string): string {
  if (!CalendarDate.safeParse(value).success) throw new InvalidArgumentError('must be a date YYYY-MM-DD');
  return value;
}

/** A whole number in [min, max], written as plain digits. */
export function wholeNumber(min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
    return n;
  };
}

export const todayUtc = (): string => new Date().toISOString().slice(0, 10);
