import { hash32, Rng } from '../synthetic/prng.js';
import { accountIdOf, buildAccount, type Scenario, type World } from '../synthetic/world.js';
import { textToAdf } from './adf.js';
import type { DriftCause, DriftScenario, JiraIssue } from './issues.js';
import {
  type AtomId,
  MOLECULE_IDS,
  MOLECULES,
  type MoleculeId,
  type TicketLabel,
  UNCLASSIFIED,
} from './taxonomy.js';
import { TicketContext } from './ticket-context.js';
import { TEMPLATES } from './ticket-templates.js';

/**
 * Synthetic billing tickets over the ISO weeks (Monday 00:00 UTC) ending with the week that contains
 * `endDate`, for the local Jira: about `perWeek` a week in the molecule mix below plus ~3% that belong to
 * no atom, in projects BILL (~70%) and CUSTESC (~30%), keys and ids numbered in created order. No ticket
 * is created after `endDate`, so a last week that is still running holds only its days so far.
 *
 * About 60% name an account (customfield_10042, sometimes the text too): clean accounts of the world, or
 * in weeks before the last two also ids outside it (closed accounts). In the last week, drift-active world
 * accounts file the ticket their drift would cause (DRIFT_TICKET_ATOM), created on or after the world's
 * last snapshot date; such a record carries `cause`. Every record carries `intendedAtom`.
 * Deterministic in (world, options): one calendar week's tickets come from their own rng stream.
 */

/** Tickets per molecule in a week of 55 (the mix of the real queue the generator imitates). */
export const MOLECULE_MIX: Readonly<Record<MoleculeId, number>> = {
  'subscription-state': 15,
  'payment-loop': 16,
  'invoice-quality': 9,
  reconciliation: 6,
  'customer-impact': 4,
  operational: 5,
};
const MIX_TOTAL = Object.values(MOLECULE_MIX).reduce((a, b) => a + b, 0);

/** Share of tickets that belong to no atom (DNS, passwords, spam, empty, non-English). */
export const UNCLASSIFIED_SHARE = 0.03;

/** How often each atom comes up inside its molecule. */
const ATOM_WEIGHTS: Readonly<Record<AtomId, number>> = {
  'annual-monthly-confusion': 4,
  'cancellation-failure': 5,
  'stuck-processing': 3,
  'ghost-subscription': 3,
  'checkout-blocked': 9,
  'bad-debt-state': 7,
  'void-waive': 4,
  'invoice-confusion': 5,
  'entitlement-drift': 4,
  'ordering-duplicate': 2,
  'refund-dispute': 1,
  operational: 1,
};

/** The ticket a drift-active account files about its drift. */
export const DRIFT_TICKET_ATOM = {
  drift_interval: 'annual-monthly-confusion',
  drift_status: 'cancellation-failure',
  drift_missing_subscription: 'entitlement-drift',
  drift_missing_item: 'entitlement-drift',
  drift_missing_price: 'entitlement-drift',
  drift_extra_item: 'ghost-subscription',
  drift_duplicate_item: 'ordering-duplicate',
  drift_bad_debt_flag: 'bad-debt-state',
  drift_uncollectible: 'bad-debt-state',
  drift_invoice_metadata: 'invoice-confusion',
  drift_invoice_date_near: 'invoice-confusion',
  drift_price: 'invoice-confusion',
  drift_quantity: 'invoice-confusion',
  drift_currency: 'invoice-confusion',
  drift_price_no_payment_method: 'checkout-blocked',
  drift_delayed_upgrade_due: 'stuck-processing',
} as const satisfies Record<DriftScenario, AtomId>;

export interface SyntheticTicketOptions {
  world: World;
  /** Number of ISO weeks; default 27. */
  weeks?: number;
  /** yyyy-MM-dd, the last day tickets are created on; default the world's last snapshot date. */
  endDate?: string;
  /** Tickets in a full week; default 55. */
  perWeek?: number;
  /** Default the world's seed. */
  seed?: number;
  /** How many drift-active accounts file a ticket in the last week (fewer if the world has fewer). Default perWeek / 5. */
  driftTickets?: number;
}

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
/** Tickets per weekday, Monday first: the queue is quiet at weekends. */
const WEEKDAY_WEIGHTS = [18, 18, 17, 17, 16, 7, 7];
const WEEKDAY_TOTAL = WEEKDAY_WEIGHTS.reduce((a, b) => a + b, 0);
const CUSTESC_SHARE = 0.32;
const LABELS: Record<'BILL' | 'CUSTESC', readonly string[]> = {
  BILL: ['billing', 'stripe', 'customer-reported', 'needs-triage', 'finance'],
  CUSTESC: ['escalation', 'p2', 'p3', 'billing', 'enterprise-watch'],
};

interface Draft {
  created: number;
  project: 'BILL' | 'CUSTESC';
  issue: Omit<JiraIssue, 'id' | 'key'>;
}

/** floor(x) plus one with probability frac(x): counts that average to x. */
function randomRound(rng: Rng, x: number): number {
  const whole = Math.floor(x);
  return whole + (rng.chance(x - whole) ? 1 : 0);
}

/** A lazy Fisher-Yates walk over 0..n-1: visits indices in random order without an n-sized array. */
function* shuffledIndices(n: number, rng: Rng): Generator<number> {
  const moved = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const j = rng.int(i, n - 1);
    const atJ = moved.get(j) ?? j;
    moved.set(j, moved.get(i) ?? i);
    yield atJ;
  }
}

function parseDay(date: string): number {
  const ms = Date.parse(`${date}T00:00:00Z`);
  // The round trip also refuses days a month does not have (2026-11-31).
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== date)
    throw new RangeError(`invalid endDate ${date}`);
  return ms;
}

function atomOf(rng: Rng, molecule: MoleculeId): AtomId {
  return rng.weighted(MOLECULES[molecule].map((a): [AtomId, number] => [a, ATOM_WEIGHTS[a]]));
}

class TicketWriter {
  /** Scenarios of accounts already built: building one costs far more than a lookup. */
  private readonly scenarios = new Map<number, Scenario>();
  private readonly lastDateIndex: number;

  constructor(
    private readonly world: World,
    /** End of the last ticket day (exclusive), for ticket ages. */
    private readonly horizon: number,
  ) {
    this.lastDateIndex = world.dates.length - 1;
  }

  scenarioOf(index: number): Scenario {
    let scenario = this.scenarios.get(index);
    if (scenario === undefined) {
      scenario = buildAccount(this.world, index, this.lastDateIndex).scenario;
      this.scenarios.set(index, scenario);
    }
    return scenario;
  }

  /** A random account with a clean scenario; an id outside the world if a few tries find none. */
  cleanAccount(rng: Rng): string {
    for (let tries = 0; tries < 20; tries++) {
      const index = rng.int(0, this.world.accounts - 1);
      if (this.scenarioOf(index).startsWith('clean')) return accountIdOf(index);
    }
    return this.outsideAccount(rng);
  }

  /** An id the world does not have: an account closed before the world's snapshots. */
  outsideAccount(rng: Rng): string {
    return accountIdOf(this.world.accounts + rng.int(0, 9 * this.world.accounts + 999));
  }

  draft(rng: Rng, label: TicketLabel, created: number, accountId: string | null, cause?: DriftCause): Draft {
    const project = label !== 'operational' && rng.chance(CUSTESC_SHARE) ? 'CUSTESC' : 'BILL';
    const inText = accountId !== null && rng.chance(cause ? 0.7 : 0.5) ? accountId : null;
    const c = new TicketContext(rng, created, inText);
    const text = rng.pick(TEMPLATES[label])(c);
    let { summary, body } = text;
    // The ticket form adds the account id when the author did not write it.
    if (inText !== null && body !== '' && !body.includes(inText)) body = `${body}\n\nAccount: ${inText}`;
    if (project === 'CUSTESC' && body !== '' && rng.chance(0.6))
      body = `Escalated from support ticket #${c.ticketNo()}. Priority: ${rng.pick(['P2', 'P3', 'P2', 'P1'])}\n\n${body}`;
    if (project === 'CUSTESC' && rng.chance(0.3)) summary = `[ESC] ${summary}`;
    const pool = LABELS[project];
    const labels = [...new Set(Array.from({ length: rng.int(0, 2) }, () => rng.pick(pool)))];
    const old = this.horizon - created > 14 * DAY_MS;
    const status = old
      ? rng.weighted([
          ['Closed', 50],
          ['Resolved', 40],
          ['Open', 10],
        ])
      : rng.weighted([
          ['Open', 50],
          ['In Progress', 35],
          ['Waiting for customer', 15],
        ]);
    const issueType =
      project === 'CUSTESC'
        ? 'Escalation'
        : label === 'operational'
          ? 'Task'
          : rng.weighted([
              ['Support', 60],
              ['Bug', 25],
              ['Task', 15],
            ]);
    return {
      created,
      project,
      issue: {
        summary,
        description: textToAdf(body),
        labels,
        created: new Date(created).toISOString(),
        issueType,
        status,
        accountIds: accountId === null ? null : [accountId],
        intendedAtom: label,
        ...(cause ? { cause } : {}),
      },
    };
  }
}

/** A moment in the given weekday of the week, business hours most of the time. */
function createdIn(rng: Rng, weekStart: number, days: readonly number[]): number {
  const day = rng.weighted(days.map((d): [string, number] => [String(d), WEEKDAY_WEIGHTS[d] as number]));
  const hour = rng.chance(0.8) ? rng.int(7, 18) : rng.int(0, 23);
  return weekStart + Number(day) * DAY_MS + hour * 3_600_000 + rng.int(0, 3_599_999);
}

export function syntheticTickets(options: SyntheticTicketOptions): JiraIssue[] {
  const { world } = options;
  const weeks = options.weeks ?? 27;
  const perWeek = options.perWeek ?? 55;
  const seed = options.seed ?? world.seed;
  const driftTickets = options.driftTickets ?? Math.round(perWeek / 5);
  if (!Number.isInteger(weeks) || weeks < 1) throw new RangeError('weeks must be a positive integer');
  if (!(perWeek >= 0)) throw new RangeError('perWeek must be >= 0');
  if (!Number.isInteger(driftTickets) || driftTickets < 0)
    throw new RangeError('driftTickets must be a non-negative integer');

  const lastDate = world.dates[world.dates.length - 1] as string;
  const end = parseDay(options.endDate ?? lastDate);
  const horizon = end + DAY_MS;
  const lastWeekStart = end - ((new Date(end).getUTCDay() + 6) % 7) * DAY_MS;
  const writer = new TicketWriter(world, horizon);
  const drafts: Draft[] = [];

  for (let w = 0; w < weeks; w++) {
    const weekStart = lastWeekStart - (weeks - 1 - w) * WEEK_MS;
    const rng = new Rng(hash32(seed, weekStart / DAY_MS));
    const days = [0, 1, 2, 3, 4, 5, 6].filter((d) => weekStart + d * DAY_MS < horizon);
    const share = days.reduce((a, d) => a + (WEEKDAY_WEIGHTS[d] as number), 0) / WEEKDAY_TOTAL;
    const spread = Math.round(perWeek * 0.07);
    const total = Math.max(0, (perWeek + rng.int(-spread, spread)) * share);
    const labels: TicketLabel[] = [];
    for (const molecule of MOLECULE_IDS) {
      const n = randomRound(rng, (total * (1 - UNCLASSIFIED_SHARE) * MOLECULE_MIX[molecule]) / MIX_TOTAL);
      for (let i = 0; i < n; i++) labels.push(atomOf(rng, molecule));
    }
    for (let i = randomRound(rng, total * UNCLASSIFIED_SHARE); i > 0; i--) labels.push(UNCLASSIFIED);
    const recent = w >= weeks - 2;
    for (const label of labels) {
      const named = rng.chance(label === UNCLASSIFIED || label === 'operational' ? 0.25 : 0.65);
      const accountId = !named
        ? null
        : recent || rng.chance(0.7)
          ? writer.cleanAccount(rng)
          : writer.outsideAccount(rng);
      drafts.push(writer.draft(rng, label, createdIn(rng, weekStart, days), accountId));
    }
  }

  if (driftTickets > 0) {
    // Filed after the drift showed: on or after the last snapshot's date (the snapshot that found it),
    // within the last week so far, so the drift is dated before the ticket it causes.
    const from = Math.max(lastWeekStart, parseDay(lastDate));
    const to = Math.min(lastWeekStart + WEEK_MS, horizon);
    if (from >= to)
      throw new RangeError(
        `the world's last snapshot (${lastDate}) is after endDate's week: drift tickets cannot be placed`,
      );
    const rng = new Rng(hash32(seed, 0xd21f7));
    let filed = 0;
    for (const index of shuffledIndices(world.accounts, rng)) {
      if (filed >= driftTickets) break;
      const state = buildAccount(world, index, world.dates.length - 1);
      if (!state.scenario.startsWith('drift_') || !state.driftActive) continue;
      const scenario = state.scenario as DriftScenario;
      const created = from + rng.int(0, to - from - 1);
      drafts.push(
        writer.draft(rng, DRIFT_TICKET_ATOM[scenario], created, state.accountId, {
          accountId: state.accountId,
          scenario,
        }),
      );
      filed++;
    }
  }

  drafts.sort((a, b) => a.created - b.created);
  const next = { BILL: 1, CUSTESC: 1 };
  return drafts.map((d, i) => ({
    id: String(10_001 + i),
    key: `${d.project}-${next[d.project]++}`,
    ...d.issue,
  }));
}
