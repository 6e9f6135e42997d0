/**
 * ISO weeks as the ticket signal counts them (docs/tickets.md): Monday 00:00 UTC to the next Monday,
 * named by their Monday's date.
 */

const DAY_MS = 86_400_000;
const WEEK_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The Monday (YYYY-MM-DD, UTC) of the week `instant` falls in. */
export function weekOf(instant: Date | string): string {
  const d = new Date(instant);
  if (Number.isNaN(d.getTime())) throw new RangeError(`not a date: ${String(instant)}`);
  const day = (d.getUTCDay() + 6) % 7; // Monday 0 .. Sunday 6
  const monday = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - day * DAY_MS;
  return new Date(monday).toISOString().slice(0, 10);
}

/** Checks a week name: a date that is a Monday. */
export function parseWeek(week: string): string {
  if (!WEEK_DATE.test(week) || Number.isNaN(Date.parse(`${week}T00:00:00Z`)))
    throw new RangeError(`week must be a date YYYY-MM-DD (a Monday): ${week}`);
  if (weekOf(`${week}T00:00:00Z`) !== week)
    throw new RangeError(`week ${week} is not a Monday (its week starts ${weekOf(`${week}T00:00:00Z`)})`);
  return week;
}

export function addWeeks(week: string, n: number): string {
  return new Date(Date.parse(`${parseWeek(week)}T00:00:00Z`) + n * 7 * DAY_MS).toISOString().slice(0, 10);
}

/** [start, end) of the week as ISO instants. */
export function weekRange(week: string): { fromIso: string; toIso: string } {
  return { fromIso: `${parseWeek(week)}T00:00:00.000Z`, toIso: `${addWeeks(week, 1)}T00:00:00.000Z` };
}

/** The last week that has ended by `now` (what the Monday schedule classifies). */
export function lastCompleteWeek(now: Date): string {
  return addWeeks(weekOf(now), -1);
}

/** Every week from `from` to `to`, both included, oldest first. */
export function weeksBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let w = parseWeek(from); w <= parseWeek(to); w = addWeeks(w, 1)) out.push(w);
  return out;
}
