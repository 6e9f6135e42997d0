/**
 * The ticket views over a small hand-made scenario: classification rows land in
 * billing_tickets.ticket_classifications through the real client's insertAll, audit rows through
 * BigQueryMirror (as in audit-views.test.ts), and each view's answers are checked by hand.
 *
 * Taxonomy v1, weeks with tickets (Mondays): 10-12, 11-02, 11-09, 11-16, 11-23 (10-26 has none).
 * Week 11-23: BILL-10 and BILL-11 (invoice_date_wrong), BILL-14 (duplicate_invoice, invoicing),
 * BILL-12 (card_declined, payments), BILL-13 (unclassified). Taxonomy v2 classified BILL-10 only.
 * Accounts, against the 14 days before each ticket:
 *   acc_drift    new drift 3 days before BILL-10, heal blocked by InvoiceDateTooNear; an apply after the
 *                tickets (outside the window)
 *   acc_old      drift and an applied heal 20 days before BILL-10 (outside the window)
 *   acc_healed   new drift, a retried failure, then applied
 *   acc_persist  persistent drift, blocked (MergedAccount, InvoiceDateTooNear), later applied
 *   acc_pay      blocked by NoStripeCustomer and InvalidPaymentMethod (a tie: the first name wins)
 */
import { BigQuery } from '@google-cloud/bigquery';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalBigQuery, startLocalBigQuery } from '../../../local/bigquery/index.js';
import { deployWarehouse } from '../../../local/provision/warehouse.js';
import { BigQueryMirror } from '../../../shared/adapters/bigquery.js';
import type { RunContext } from '../../../shared/contracts/messages.js';
import { DATASETS, TICKET_CLASSIFICATIONS_TABLE } from '../../../shared/contracts/topology.js';
import { TicketClassificationRow } from '../../../shared/domain/ticket-classification.js';
import { type AuditInput, auditRecord } from '../../../shared/pipeline/audit.js';
import { readsAudit, readsTickets, viewFiles } from '../../../shared/warehouse/sql-files.js';

process.env.METADATA_SERVER_DETECTION = 'none';

let lb: LocalBigQuery;
let bq: BigQuery;

const MOLECULE: Record<string, string | null> = {
  invoice_date_wrong: 'invoicing',
  duplicate_invoice: 'invoicing',
  card_declined: 'payments',
  unclassified: null,
};

interface TicketSpec {
  key: string;
  created: string;
  week: string;
  atom: string;
  accounts?: string[];
  version?: string;
  runId?: string;
  classifiedAt?: string;
}

const ticket = (t: TicketSpec): TicketClassificationRow =>
  TicketClassificationRow.parse({
    key: t.key,
    project: t.key.split('-')[0],
    created: t.created,
    week: t.week,
    summary: `summary of ${t.key}`,
    atom: t.atom,
    molecule: MOLECULE[t.atom] ?? null,
    confidence: t.atom === 'unclassified' ? 0.2 : 0.9,
    evidence: t.atom === 'unclassified' ? [] : [`${t.atom} phrase`],
    reason: t.atom === 'unclassified' ? 'low_confidence' : null,
    truncated: false,
    taxonomy_version: t.version ?? 'v1',
    account_ids: t.accounts ?? [],
    run_id: t.runId ?? 'r2',
    classified_at: t.classifiedAt ?? '2026-12-01T08:00:00.000Z',
  });

const W5 = '2026-11-23';
const TICKETS: TicketClassificationRow[] = [
  // Earlier weeks: invoicing 1, 1, 0, 1 and payments 0, 1, 1, 0 over 10-12, 11-02, 11-09, 11-16.
  ticket({ key: 'BILL-1', created: '2026-10-13T09:00:00Z', week: '2026-10-12', atom: 'invoice_date_wrong' }),
  ticket({ key: 'BILL-2', created: '2026-11-03T09:00:00Z', week: '2026-11-02', atom: 'duplicate_invoice' }),
  ticket({ key: 'CUSTESC-3', created: '2026-11-04T09:00:00Z', week: '2026-11-02', atom: 'card_declined' }),
  ticket({ key: 'BILL-4', created: '2026-11-10T09:00:00Z', week: '2026-11-09', atom: 'card_declined' }),
  ticket({ key: 'BILL-5', created: '2026-11-17T09:00:00Z', week: '2026-11-16', atom: 'invoice_date_wrong' }),
  // BILL-10: an older run said card_declined; the latest run (r2) says invoice_date_wrong.
  ticket({
    key: 'BILL-10',
    created: '2026-11-24T10:00:00Z',
    week: W5,
    atom: 'card_declined',
    accounts: ['acc_drift'],
    runId: 'r1',
    classifiedAt: '2026-11-30T08:00:00.000Z',
  }),
  ticket({
    key: 'BILL-10',
    created: '2026-11-24T10:00:00Z',
    week: W5,
    atom: 'invoice_date_wrong',
    accounts: ['acc_drift', 'acc_old'],
  }),
  // BILL-11: two rows classified at the same instant; the later run id (r3) wins.
  ticket({
    key: 'BILL-11',
    created: '2026-11-25T09:00:00Z',
    week: W5,
    atom: 'unclassified',
    accounts: ['acc_healed'],
  }),
  ticket({
    key: 'BILL-11',
    created: '2026-11-25T09:00:00Z',
    week: W5,
    atom: 'invoice_date_wrong',
    accounts: ['acc_healed', 'acc_drift', 'acc_persist'],
    runId: 'r3',
  }),
  ticket({
    key: 'BILL-12',
    created: '2026-11-26T12:00:00Z',
    week: W5,
    atom: 'card_declined',
    accounts: ['acc_pay'],
  }),
  ticket({ key: 'BILL-13', created: '2026-11-27T09:00:00Z', week: W5, atom: 'unclassified' }),
  ticket({ key: 'BILL-14', created: '2026-11-27T10:00:00Z', week: W5, atom: 'duplicate_invoice' }),
  // Taxonomy v2 sees BILL-10 only: its own version, no earlier week.
  ticket({
    key: 'BILL-10',
    created: '2026-11-24T10:00:00Z',
    week: W5,
    atom: 'duplicate_invoice',
    accounts: ['acc_drift'],
    version: 'v2',
  }),
];

const runOn = (date: string, trigger: RunContext['trigger'] = 'scheduled'): RunContext => ({
  runId: `sched-stripe-${date}`,
  system: 'stripe',
  snapshotDate: date,
  trigger,
  requestedBy: null,
  dryRun: false,
});
const audit = (
  accountId: string,
  startedAt: string,
  input: Partial<AuditInput> & Pick<AuditInput, 'stage' | 'outcome'>,
) => {
  const start = new Date(startedAt);
  return auditRecord({
    run: runOn(startedAt.slice(0, 10)),
    accountId,
    startedAt: start,
    finishedAt: new Date(start.getTime() + 1000),
    ...input,
  });
};

const AUDIT = [
  // acc_drift: new drift 3 days before BILL-10, blocked; applied after both tickets (outside).
  audit('acc_drift', '2026-11-21T06:00:00Z', { stage: 'detect', outcome: 'published' }),
  audit('acc_drift', '2026-11-21T06:05:00Z', {
    stage: 'plan_apply',
    outcome: 'blocked',
    restrictions: ['InvoiceDateTooNear'],
  }),
  audit('acc_drift', '2026-11-28T06:05:00Z', {
    stage: 'plan_apply',
    outcome: 'applied',
    planHash: 'a'.repeat(64),
  }),
  // acc_old: 20 days before BILL-10.
  audit('acc_old', '2026-11-04T06:00:00Z', { stage: 'detect', outcome: 'published' }),
  audit('acc_old', '2026-11-04T06:05:00Z', {
    stage: 'plan_apply',
    outcome: 'applied',
    planHash: 'b'.repeat(64),
  }),
  // acc_healed: new drift, a failure that was retried, then applied (same run: the final word is applied).
  audit('acc_healed', '2026-11-20T06:00:00Z', { stage: 'detect', outcome: 'published' }),
  audit('acc_healed', '2026-11-20T06:05:00Z', {
    stage: 'plan_apply',
    outcome: 'failed',
    willRetry: true,
    attemptKey: 'm1',
    errorCode: 'stripe_rate_limit',
  }),
  audit('acc_healed', '2026-11-20T06:06:00Z', {
    stage: 'plan_apply',
    outcome: 'applied',
    planHash: 'c'.repeat(64),
  }),
  // acc_persist: persistent drift; blocked on 11-18, applied on 11-23.
  audit('acc_persist', '2026-11-22T06:00:00Z', {
    stage: 'detect',
    outcome: 'excluded',
    errorCode: 'persistent_drift',
  }),
  audit('acc_persist', '2026-11-18T06:05:00Z', {
    stage: 'plan_apply',
    outcome: 'blocked',
    restrictions: ['MergedAccount', 'InvoiceDateTooNear'],
  }),
  audit('acc_persist', '2026-11-23T06:05:00Z', {
    stage: 'plan_apply',
    outcome: 'applied',
    planHash: 'd'.repeat(64),
  }),
  // acc_pay: blocked by two restrictions, no detection row.
  audit('acc_pay', '2026-11-25T06:05:00Z', {
    stage: 'plan_apply',
    outcome: 'blocked',
    restrictions: ['NoStripeCustomer', 'InvalidPaymentMethod'],
  }),
];

beforeAll(async () => {
  lb = await startLocalBigQuery();
  bq = new BigQuery({ projectId: 'ticket-views', apiEndpoint: lb.url });
  await deployWarehouse(bq);
  await bq.dataset(DATASETS.tickets).table(TICKET_CLASSIFICATIONS_TABLE).insert(TICKETS);
  await new BigQueryMirror(bq).insert(AUDIT);
}, 60_000);
afterAll(async () => {
  await lb.stop();
});

/** Rows with DATE and TIMESTAMP values as their strings. */
const q = async (sql: string) =>
  ((await bq.query({ query: sql }))[0] as Record<string, unknown>[]).map((r) =>
    Object.fromEntries(
      Object.entries(r).map(([k, v]) => [
        k,
        v !== null && typeof v === 'object' && 'value' in v ? (v as { value: unknown }).value : v,
      ]),
    ),
  );

describe('the ticket views are held to the warehouse rules', () => {
  it('13-16 read the ticket classifications, so they need no snapshot partition filter', () => {
    const ticketViews = viewFiles()
      .filter(readsTickets)
      .map((v) => `${v.order} ${v.name}`);
    expect(ticketViews).toEqual([
      '13 ticket_classifications_latest',
      '14 ticket_weekly_molecules',
      '15 ticket_account_drift',
      '16 ticket_atom_drift',
    ]);
    for (const v of viewFiles().filter(readsTickets)) expect(readsAudit(v)).toBe(true);
  });
});

describe('ticket_classifications_latest', () => {
  it('one row per version and ticket: the latest classified_at, ties by run id', async () => {
    expect(await q('SELECT COUNT(*) AS n FROM billing_tickets.ticket_classifications')).toEqual([{ n: 13 }]);
    const rows = await q(
      `SELECT taxonomy_version, key, atom, molecule, run_id, account_ids
       FROM billing_observability.ticket_classifications_latest
       WHERE key IN ('BILL-10', 'BILL-11') ORDER BY taxonomy_version, key`,
    );
    expect(rows).toEqual([
      {
        taxonomy_version: 'v1',
        key: 'BILL-10',
        atom: 'invoice_date_wrong',
        molecule: 'invoicing',
        run_id: 'r2',
        account_ids: ['acc_drift', 'acc_old'],
      },
      {
        taxonomy_version: 'v1',
        key: 'BILL-11',
        atom: 'invoice_date_wrong',
        molecule: 'invoicing',
        run_id: 'r3',
        account_ids: ['acc_healed', 'acc_drift', 'acc_persist'],
      },
      {
        taxonomy_version: 'v2',
        key: 'BILL-10',
        atom: 'duplicate_invoice',
        molecule: 'invoicing',
        run_id: 'r2',
        account_ids: ['acc_drift'],
      },
    ]);
    const [count] = await q(
      'SELECT COUNT(*) AS n, COUNT(DISTINCT CONCAT(taxonomy_version, key)) AS tickets FROM billing_observability.ticket_classifications_latest',
    );
    expect(count).toEqual({ n: 11, tickets: 11 });
  });

  it('keeps every column of the table', async () => {
    const [row] = await q(
      "SELECT * FROM billing_observability.ticket_classifications_latest WHERE key = 'BILL-13'",
    );
    expect(Object.keys(row ?? {}).sort()).toEqual(Object.keys(TicketClassificationRow.shape).sort());
    expect(row).toMatchObject({
      project: 'BILL',
      week: W5,
      atom: 'unclassified',
      molecule: null,
      reason: 'low_confidence',
      evidence: [],
      truncated: false,
      created: '2026-11-27T09:00:00.000Z',
    });
  });
});

describe('ticket_weekly_molecules', () => {
  const weekly = () =>
    q(
      `SELECT * FROM billing_observability.ticket_weekly_molecules
       ORDER BY taxonomy_version, week, molecule`,
    );

  it('counts, shares and the classification rate of the week', async () => {
    const w5 = (await weekly()).filter((r) => r.taxonomy_version === 'v1' && r.week === W5);
    expect(w5.map((r) => [r.molecule, r.tickets, r.week_tickets, r.share, r.classification_rate])).toEqual([
      ['invoicing', 3, 5, 0.6, 0.8],
      ['payments', 1, 5, 0.2, 0.8],
      ['unclassified', 1, 5, 0.2, 0.8],
    ]);
  });

  it('the previous 4 and 26 weeks: weeks of the version with tickets, a week without the molecule as 0', async () => {
    const rows = await weekly();
    const at = (version: string, week: string, molecule: string) =>
      rows.find((r) => r.taxonomy_version === version && r.week === week && r.molecule === molecule);
    // invoicing: 11-02 1, 11-09 0, 11-16 1 (10-26 had no tickets at all); 26 weeks add 10-12's 1.
    const inv = at('v1', W5, 'invoicing');
    expect(inv?.prev_4w_avg as number).toBeCloseTo(2 / 3, 10);
    expect(inv?.prev_26w_avg as number).toBeCloseTo(3 / 4, 10);
    expect(inv?.delta_vs_4w as number).toBeCloseTo(3 - 2 / 3, 10);
    // payments: 11-02 1, 11-09 1, 11-16 0; 10-12 0.
    const pay = at('v1', W5, 'payments');
    expect(pay?.prev_4w_avg as number).toBeCloseTo(2 / 3, 10);
    expect(pay?.prev_26w_avg as number).toBeCloseTo(2 / 4, 10);
    // unclassified never appeared before: every earlier week counts 0.
    expect(at('v1', W5, 'unclassified')).toMatchObject({ prev_4w_avg: 0, prev_26w_avg: 0, delta_vs_4w: 1 });
    // The first week has no previous week; 11-02's 4 weeks reach back only to 10-05, so 10-12 counts.
    expect(at('v1', '2026-10-12', 'invoicing')).toMatchObject({
      tickets: 1,
      week_tickets: 1,
      share: 1,
      classification_rate: 1,
      prev_4w_avg: null,
      prev_26w_avg: null,
      delta_vs_4w: null,
    });
    expect(at('v1', '2026-11-02', 'invoicing')).toMatchObject({ prev_4w_avg: 1, delta_vs_4w: 0 });
    // A week without the molecule has no row; versions do not mix.
    expect(at('v1', '2026-11-09', 'invoicing')).toBeUndefined();
    expect(at('v2', W5, 'invoicing')).toMatchObject({
      tickets: 1,
      week_tickets: 1,
      prev_4w_avg: null,
      prev_26w_avg: null,
    });
    expect(rows).toHaveLength(9);
  });
});

describe('ticket_account_drift', () => {
  const rows = () =>
    q(
      `SELECT key, account_id, week, created, atom, molecule, new_drift_14d, persistent_drift_14d,
              heal_attempted, heal_applied, heal_blocked, blocking_restrictions, last_heal_outcome, last_heal_at
       FROM billing_observability.ticket_account_drift
       WHERE taxonomy_version = 'v1' ORDER BY key, account_id`,
    );
  const none = {
    new_drift_14d: false,
    persistent_drift_14d: false,
    heal_attempted: false,
    heal_applied: false,
    heal_blocked: false,
    blocking_restrictions: [],
    last_heal_outcome: null,
    last_heal_at: null,
  };

  it('one row per ticket and named account; a ticket naming none has no row', async () => {
    const got = await rows();
    expect(got.map((r) => `${r.key} ${r.account_id}`)).toEqual([
      'BILL-10 acc_drift',
      'BILL-10 acc_old',
      'BILL-11 acc_drift',
      'BILL-11 acc_healed',
      'BILL-11 acc_persist',
      'BILL-12 acc_pay',
    ]);
    expect(got[0]).toMatchObject({
      week: W5,
      created: '2026-11-24T10:00:00.000Z',
      atom: 'invoice_date_wrong',
      molecule: 'invoicing',
    });
  });

  it('new drift 3 days before and a heal blocked by InvoiceDateTooNear; a later apply is outside', async () => {
    const [bill10] = await rows();
    expect(bill10).toMatchObject({
      ...none,
      new_drift_14d: true,
      heal_attempted: true,
      heal_blocked: true,
      blocking_restrictions: ['InvoiceDateTooNear'],
      last_heal_outcome: 'blocked',
      last_heal_at: '2026-11-21T06:05:01.000Z',
    });
    // BILL-11 (created 11-25) sees the same account the same way.
    const bill11 = (await rows()).find((r) => r.key === 'BILL-11' && r.account_id === 'acc_drift');
    expect(bill11).toMatchObject({ new_drift_14d: true, heal_blocked: true, last_heal_outcome: 'blocked' });
  });

  it('drift and a heal 20 days before the ticket are outside the window', async () => {
    const old = (await rows()).find((r) => r.account_id === 'acc_old');
    expect(old).toMatchObject(none);
  });

  it('a healed account: applied, the retried failure not counted', async () => {
    const healed = (await rows()).find((r) => r.account_id === 'acc_healed');
    expect(healed).toMatchObject({
      ...none,
      new_drift_14d: true,
      heal_attempted: true,
      heal_applied: true,
      last_heal_outcome: 'applied',
      last_heal_at: '2026-11-20T06:06:01.000Z',
    });
  });

  it('persistent drift, blocked then applied: restrictions distinct and sorted, the last outcome applied', async () => {
    const persist = (await rows()).find((r) => r.account_id === 'acc_persist');
    expect(persist).toMatchObject({
      new_drift_14d: false,
      persistent_drift_14d: true,
      heal_attempted: true,
      heal_applied: true,
      heal_blocked: true,
      blocking_restrictions: ['InvoiceDateTooNear', 'MergedAccount'],
      last_heal_outcome: 'applied',
      last_heal_at: '2026-11-23T06:05:01.000Z',
    });
    const pay = (await rows()).find((r) => r.account_id === 'acc_pay');
    expect(pay).toMatchObject({
      ...none,
      heal_attempted: true,
      heal_blocked: true,
      blocking_restrictions: ['InvalidPaymentMethod', 'NoStripeCustomer'],
      last_heal_outcome: 'blocked',
      last_heal_at: '2026-11-25T06:05:01.000Z',
    });
  });
});

describe('ticket_atom_drift', () => {
  it('per atom: tickets, accounts (distinct across tickets) and the top blocking restriction', async () => {
    const rows = await q(
      `SELECT * FROM billing_observability.ticket_atom_drift
       WHERE taxonomy_version = 'v1' AND week = '${W5}' ORDER BY atom`,
    );
    expect(rows).toEqual([
      {
        taxonomy_version: 'v1',
        week: W5,
        atom: 'card_declined',
        molecule: 'payments',
        tickets: 1,
        tickets_naming_accounts: 1,
        accounts_named: 1,
        accounts_new_drift: 0,
        accounts_heal_attempted: 1,
        accounts_heal_applied: 0,
        accounts_heal_blocked: 1,
        // A tie (one account each): the first name.
        top_blocking_restriction: 'InvalidPaymentMethod',
        top_blocking_restriction_accounts: 1,
      },
      {
        taxonomy_version: 'v1',
        week: W5,
        atom: 'duplicate_invoice',
        molecule: 'invoicing',
        tickets: 1,
        tickets_naming_accounts: 0,
        accounts_named: 0,
        accounts_new_drift: 0,
        accounts_heal_attempted: 0,
        accounts_heal_applied: 0,
        accounts_heal_blocked: 0,
        top_blocking_restriction: null,
        top_blocking_restriction_accounts: 0,
      },
      {
        taxonomy_version: 'v1',
        week: W5,
        atom: 'invoice_date_wrong',
        molecule: 'invoicing',
        tickets: 2,
        tickets_naming_accounts: 2,
        // acc_drift is named by both tickets: counted once.
        accounts_named: 4,
        accounts_new_drift: 2,
        accounts_heal_attempted: 3,
        accounts_heal_applied: 2,
        accounts_heal_blocked: 2,
        top_blocking_restriction: 'InvoiceDateTooNear',
        top_blocking_restriction_accounts: 2,
      },
      {
        taxonomy_version: 'v1',
        week: W5,
        atom: 'unclassified',
        molecule: null,
        tickets: 1,
        tickets_naming_accounts: 0,
        accounts_named: 0,
        accounts_new_drift: 0,
        accounts_heal_attempted: 0,
        accounts_heal_applied: 0,
        accounts_heal_blocked: 0,
        top_blocking_restriction: null,
        top_blocking_restriction_accounts: 0,
      },
    ]);
  });

  it('reading the views as materialised CTEs returns the same rows as inlining them', async () => {
    const all = async () =>
      JSON.stringify(
        await q(
          'SELECT * FROM billing_observability.ticket_atom_drift ORDER BY taxonomy_version, week, atom',
        ),
      );
    const expanded = await all();
    lb.db.expandViews = false;
    try {
      expect(await all()).toBe(expanded);
    } finally {
      lb.db.expandViews = true;
    }
  });

  it('every week and atom with tickets has a row', async () => {
    const [n] = await q('SELECT COUNT(*) AS n FROM billing_observability.ticket_atom_drift');
    // v1: 10-12 1, 11-02 2, 11-09 1, 11-16 1, 11-23 4; v2: 1.
    expect(n).toEqual({ n: 10 });
  });
});
