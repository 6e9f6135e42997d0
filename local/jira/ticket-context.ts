import type { Rng } from '../synthetic/prng.js';

/**
 * What a ticket template draws on: the generator's rng, the ticket's date and the account it may name in
 * its text, plus the ids, amounts, dates and names real tickets are full of (Stripe-shaped ids, several
 * date and money spellings), so no two tickets from one template read the same.
 */

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const DAY_MS = 86_400_000;
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const ZONES = [
  'shop-lindqvist.se',
  'acme-widgets.com',
  'blog.kurzweil.dev',
  'api.paygrid.io',
  'mariposa-cafe.mx',
  'static.northwind.net',
  'tienda-olivar.es',
  'docs.heliotrope.app',
  'fotostudio-berg.de',
  'cdn.quokka.games',
];
const NAMES = ['Maria', 'Tom', 'Priya', 'Jonas', 'Aiko', 'Lucas', 'Fatima', 'Dan', 'Sofie', 'Kwame', 'Elena'];
const ADDONS = ['Load Balancing', 'Argo Smart Routing', 'Workers Paid', 'Image Resizing', 'Stream'];

export class TicketContext {
  constructor(
    readonly rng: Rng,
    /** The ticket's creation instant (epoch ms); dates in the text lie before it. */
    readonly created: number,
    /** The account id the text may name; null when the text names none. */
    readonly account: string | null,
  ) {}

  pick<T>(items: readonly T[]): T {
    return this.rng.pick(items);
  }

  chance(p: number): boolean {
    return this.rng.chance(p);
  }

  private token(length: number): string {
    let s = '';
    for (let i = 0; i < length; i++) s += BASE62[this.rng.int(0, 61)];
    return s;
  }

  invoice(): string {
    return `in_1${this.token(23)}`;
  }
  sub(): string {
    return `sub_1${this.token(23)}`;
  }
  item(): string {
    return `si_${this.token(14)}`;
  }
  charge(): string {
    return `ch_3${this.token(23)}`;
  }
  dispute(): string {
    return `dp_1${this.token(23)}`;
  }
  customer(): string {
    return `cus_${this.token(14)}`;
  }
  paymentIntent(): string {
    return `pi_3${this.token(23)}`;
  }
  requestId(): string {
    return `req_${this.token(14)}`;
  }
  rayId(): string {
    return Array.from({ length: 16 }, () => '0123456789abcdef'[this.rng.int(0, 15)]).join('');
  }
  ticketNo(): number {
    return this.rng.int(1_200_000, 3_900_000);
  }

  zone(): string {
    return this.pick(ZONES);
  }
  plan(): string {
    return this.pick(['Pro', 'Business', 'Pro', 'Business', 'Pro']);
  }
  addon(): string {
    return this.pick(ADDONS);
  }
  name(): string {
    return this.pick(NAMES);
  }

  /** A card as people describe it: `Visa ending 4242`. */
  card(): string {
    return `${this.pick(['Visa', 'Mastercard', 'Amex', 'visa', 'MC'])} ending ${this.rng.int(1000, 9999)}`;
  }

  /** An amount as people write it: $25.00, USD 250, 230,00 €, £20. */
  money(): string {
    const base = this.pick([5, 20, 25, 50, 200, 250, 500, 2500]);
    switch (this.rng.int(0, 4)) {
      case 0:
        return `$${base}.00`;
      case 1:
        return `USD ${base}`;
      case 2:
        return `${Math.round(base * 0.92)},00 €`;
      case 3:
        return `£${Math.round(base * 0.8)}`;
      default:
        return `$${base}`;
    }
  }

  /** A day 1..maxDaysAgo before the ticket, in one of the spellings tickets use. */
  day(maxDaysAgo = 30): string {
    const d = new Date(this.created - this.rng.int(1, maxDaysAgo) * DAY_MS);
    const dd = d.getUTCDate();
    const mm = d.getUTCMonth();
    switch (this.rng.int(0, 3)) {
      case 0:
        return d.toISOString().slice(0, 10);
      case 1:
        return `${MONTHS[mm]} ${dd}`;
      case 2:
        return `${String(dd).padStart(2, '0')}/${String(mm + 1).padStart(2, '0')}/${d.getUTCFullYear()}`;
      default:
        return `${dd} ${(MONTHS[mm] as string).slice(0, 3)}`;
    }
  }

  /** The name of a month 0..back months before the ticket. */
  month(back = 2): string {
    const d = new Date(this.created);
    return MONTHS[(d.getUTCMonth() + 12 - this.rng.int(0, back)) % 12] as string;
  }

  /** ` (account acc_...)`-style mention, or '' when the text names no account. */
  acct(): string {
    if (this.account === null) return '';
    return this.pick([
      ` (account ${this.account})`,
      ` - acct ${this.account}`,
      `, account id ${this.account}`,
      ` [${this.account}]`,
    ]);
  }

  /** A trailing `Account ID: ...` line, or ''. */
  acctLine(): string {
    if (this.account === null) return '';
    return this.pick([
      `\n\nAccount ID: ${this.account}`,
      `\n\nacct: ${this.account}`,
      `\n\nCF account ${this.account}`,
    ]);
  }

  /** A customer's sign-off, sometimes none. */
  sig(): string {
    return this.pick([
      '',
      '\n\nThanks',
      `\n\nThanks,\n${this.name()}`,
      `\n\nRegards,\n${this.name()}`,
      '\n\nthx',
    ]);
  }
}
