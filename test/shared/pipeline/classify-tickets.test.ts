import { describe, expect, it } from 'vitest';
import { classificationRow, classifyWeek } from '../../../shared/pipeline/classify-tickets.js';
import { UpstreamError } from '../../../shared/ports/errors.js';
import { classifierFor } from '../../../shared/tickets/classifiers.js';
import type { Ticket } from '../../../shared/tickets/ticket.js';
import { fakeDeps } from '../../support/fakes.js';

const classifier = classifierFor('v6', '\\bacc_\\d{7}\\b');
const ticket = (
  key: string,
  created: string,
  summary: string,
  description: string | null = null,
): Ticket => ({
  key,
  project: key.split('-')[0] as string,
  created,
  summary,
  description,
  labels: [],
  accountIds: [],
});

const WEEK = '2026-11-16';
const tickets = [
  ticket(
    'BILL-1',
    '2026-11-16T00:00:00.000+0000',
    'Charged twice for the same Pro plan this month',
    'Two identical charges of $25 on acc_0000042, please fix',
  ),
  ticket('BILL-2', '2026-11-18T10:00:00.000Z', 'Please void invoice in_1Pq, we were told it would be waived'),
  ticket('CUSTESC-3', '2026-11-22T23:59:59.000Z', '', null),
  // Outside the week on both sides: never read.
  ticket('BILL-4', '2026-11-15T23:59:59.000Z', 'last week'),
  ticket('BILL-5', '2026-11-23T00:00:00.000Z', 'next week'),
];

describe('classifyWeek', () => {
  it('reads the week whole, lands one row per ticket with its evidence, and records the run', async () => {
    const f = fakeDeps();
    f.tickets.tickets.push(...tickets);
    const result = await classifyWeek(f.deps, classifier, { week: WEEK, force: false });
    expect(result).toMatchObject({ status: 'classified', week: WEEK, taxonomyVersion: 'v6' });
    expect(f.tickets.reads).toEqual([
      { fromIso: '2026-11-16T00:00:00.000Z', toIso: '2026-11-23T00:00:00.000Z' },
    ]);
    expect(f.ticketStore.rows.map((r) => r.key)).toEqual(['BILL-1', 'BILL-2', 'CUSTESC-3']);
    const empty = f.ticketStore.rows.find((r) => r.key === 'CUSTESC-3');
    expect(empty).toMatchObject({ atom: 'unclassified', molecule: null, reason: 'empty', week: WEEK });
    const duplicate = f.ticketStore.rows.find((r) => r.key === 'BILL-1');
    expect(duplicate).toMatchObject({ created: '2026-11-16T00:00:00.000Z', account_ids: ['acc_0000042'] });
    expect(duplicate?.evidence.length).toBeGreaterThan(0);
    if (result.status !== 'classified') throw new Error('unreachable');
    expect(result.summary).toMatchObject({ tickets: 3, unclassified: { empty: 1 } });
    expect(f.ticketRuns.runs.get(`v6_${WEEK}`)).toMatchObject({ status: 'done', runId: result.runId });
  });

  it.each([
    ['a week already classified is not classified again', 'done', false, 'already_ran', 0],
    ['a week another run holds is left to it', 'running', false, 'in_progress', 0],
    ['force classifies a finished week again', 'done', true, 'classified', 3],
  ] as const)('%s', async (_name, state, force, status, rows) => {
    const f = fakeDeps();
    f.tickets.tickets.push(...tickets);
    f.ticketRuns.runs.set(`v6_${WEEK}`, {
      runId: 'earlier',
      status: state,
      leaseUntilMs: Date.parse('2026-12-31T00:00:00Z'),
      finishedAt: '2026-11-23T06:00:00Z',
    });
    const result = await classifyWeek(f.deps, classifier, { week: WEEK, force });
    expect(result.status).toBe(status);
    expect(f.ticketStore.rows).toHaveLength(rows);
  });

  it('lands nothing and frees the week for a retry at once when Jira fails', async () => {
    const f = fakeDeps();
    f.tickets.tickets.push(...tickets);
    f.tickets.failNext = new UpstreamError('Jira search failed', 'jira', true, 503);
    await expect(classifyWeek(f.deps, classifier, { week: WEEK, force: false })).rejects.toThrow(/Jira/);
    expect(f.ticketStore.rows).toEqual([]);
    expect(f.ticketRuns.runs.get(`v6_${WEEK}`)?.status).toBe('failed');
    const retry = await classifyWeek(f.deps, classifier, { week: WEEK, force: false });
    expect(retry.status).toBe('classified');
    expect(f.ticketStore.rows).toHaveLength(3);
  });

  it('refuses a week that is not a Monday', async () => {
    const f = fakeDeps();
    await expect(classifyWeek(f.deps, classifier, { week: '2026-11-17', force: false })).rejects.toThrow(
      /not a Monday/,
    );
  });
});

describe('classificationRow', () => {
  it('cuts the summary and evidence to what the table holds', () => {
    const t = ticket('BILL-9', '2026-11-17T08:00:00Z', 'x'.repeat(1000));
    const row = classificationRow(
      t,
      {
        key: 'BILL-9',
        atom: 'void-waive',
        molecule: 'invoice-quality',
        confidence: 0.123456,
        evidence: Array.from({ length: 30 }, () => 'e'.repeat(500)),
        reason: null,
        truncated: true,
        accountIds: [],
        taxonomyVersion: 'v6',
      },
      'run-1',
      '2026-11-23T06:00:00.000Z',
    );
    expect(row.summary).toHaveLength(300);
    expect(row.evidence).toHaveLength(20);
    expect(row.evidence[0]).toHaveLength(200);
    expect(row.confidence).toBe(0.1235);
    expect(row.week).toBe('2026-11-16');
  });
});
