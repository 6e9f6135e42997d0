import { Command, CommanderError } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import type { Adapters } from '../../../shared/adapters/factory.js';
import { formatAccountReport, registerExplain } from '../../../shared/cli/commands/explain.js';
import { CliError, type Out } from '../../../shared/cli/io.js';
import type { DriftLifecycle } from '../../../shared/core/lifecycle.js';
import { plan } from '../../../shared/core/planner.js';
import type { AuditRecord } from '../../../shared/domain/audit.js';
import { type AuditInput, auditRecord } from '../../../shared/pipeline/audit.js';
import { UpstreamError } from '../../../shared/ports/errors.js';
import type { AccountReport } from '../../../shared/support/account-report.js';
import { fakeDeps } from '../../support/fakes.js';
import { runContext } from '../../support/runs.js';
import { healthyView, opeItem, stripeItem, viewWith } from '../../support/views.js';

const ACCOUNT = 'acc_1';
const ctx = runContext;
const row = (at: string, input: Partial<AuditInput> & Pick<AuditInput, 'outcome'>): AuditRecord =>
  auditRecord({
    run: ctx(),
    stage: 'plan_apply',
    accountId: ACCOUNT,
    startedAt: new Date(at),
    finishedAt: new Date(at),
    ...input,
  });

const older = row('2026-11-23T06:05:00.000Z', {
  run: ctx({ runId: 'sched-stripe-2026-11-23', snapshotDate: '2026-11-23' }),
  outcome: 'blocked',
  restrictions: ['InvoiceDateTooNear'],
  changeIds: ['chg_a', 'chg_b'],
  reason: 'InvoiceDateTooNear: next invoice is within 3 days',
});
const newer = row('2026-11-24T06:05:30.123Z', {
  run: ctx({ trigger: 'replay', requestedBy: 'ops@example.com', runId: 'replay-1' }),
  outcome: 'applied',
  changeIds: ['chg_a', 'chg_b'],
  stripeWrites: 2,
});
const retrying = row('2026-11-24T07:00:00.000Z', {
  outcome: 'failed',
  errorCode: 'subs-api_error',
  willRetry: true,
});
const halt = auditRecord({
  run: ctx({ runId: 'sched-stripe-2026-11-25', snapshotDate: '2026-11-25' }),
  stage: 'detect',
  outcome: 'halted',
  accountId: null,
  errorCode: 'kill_switch',
  reason: 'the kill switch was on',
  startedAt: new Date('2026-11-25T06:00:00Z'),
  finishedAt: new Date('2026-11-25T06:00:00Z'),
});
const lifecycle: DriftLifecycle = {
  status: 'healed',
  signature: 'abc',
  firstSeenAt: '2026-11-23T06:05:00.000Z',
  lastSeenAt: '2026-11-24T06:05:30.123Z',
  healedAt: '2026-11-24T06:05:30.123Z',
  attempts: 2,
  lastOutcome: 'applied',
  lastRunId: 'replay-1',
  lastTrigger: 'replay',
};

function report(over: Partial<AccountReport> = {}): AccountReport {
  return {
    accountId: ACCOUNT,
    explanation: {
      accountId: ACCOUNT,
      sentence:
        'New drift on 2026-11-23; healed on 2026-11-24: 2 changes written to Stripe (replay run replay-1).',
      verdict: 'healed',
      decisive: newer,
      code: null,
      action: 'Nothing to do; the heal is in the Stripe dashboard under the change ids.',
    },
    attempts: [older, newer, retrying],
    lifecycle: { stripe: lifecycle, www: null },
    customerId: 'cus_1',
    links: [
      { kind: 'customer', id: 'cus_1', url: 'https://dashboard.stripe.com/test/customers/cus_1' },
      { kind: 'subscription', id: 'sub_1', url: 'https://dashboard.stripe.com/test/subscriptions/sub_1' },
    ],
    halts: [],
    tickets: [],
    live: null,
    problems: [],
    generatedAt: '2026-11-24T12:00:00.000Z',
    ...over,
  };
}

describe('formatAccountReport', () => {
  it('puts the sentence first and the next step second', () => {
    const lines = formatAccountReport(report()).split('\n');
    expect(lines[0]).toBe(report().explanation.sentence);
    expect(lines[1]).toBe(
      'Next step: Nothing to do; the heal is in the Stripe dashboard under the change ids.',
    );
    expect(lines[2]).toBe('');
  });

  it('ends with one newline', () => {
    const text = formatAccountReport(report());
    expect(text.endsWith('\n')).toBe(true);
    expect(text.endsWith('\n\n')).toBe(false);
  });

  it('prints the drift lifecycle per system, times to the minute', () => {
    const text = formatAccountReport(report());
    expect(text).toContain(
      'Drift lifecycle:\n' +
        '  stripe healed — first seen 2026-11-23 06:05Z, last seen 2026-11-24 06:05Z, healed 2026-11-24 06:05Z; 2 check(s); last applied (replay, run replay-1)\n' +
        '  www    none recorded\n',
    );
  });

  it('leaves out "healed" for drift not healed', () => {
    const text = formatAccountReport(
      report({ lifecycle: { stripe: null, www: { ...lifecycle, status: 'persistent', healedAt: null } } }),
    );
    expect(text).toContain('  stripe none recorded\n');
    expect(text).toMatch(
      / {2}www {4}persistent — first seen 2026-11-23 06:05Z, last seen 2026-11-24 06:05Z; 2 check/,
    );
  });

  it('lists every attempt newest first, with who asked, what blocked and the reason beneath', () => {
    const text = formatAccountReport(report());
    const section = text.slice(text.indexOf('Attempts ('), text.indexOf('Stripe dashboard:'));
    const lines = section.split('\n').filter((l) => l !== '');
    expect(lines[0]).toBe('Attempts (3, newest first):');
    expect(lines[1]).toMatch(
      /^ {2}2026-11-24 07:00Z {2}stripe plan_apply failed \(will retry\) +scheduled sched-stripe-2026-11-24 {2}\[subs-api_error\]$/,
    );
    expect(lines[2]).toMatch(
      /^ {2}2026-11-24 06:05Z {2}stripe plan_apply applied +replay by ops@example\.com replay-1 {2}\[2 change\(s\), 2 written\]$/,
    );
    expect(lines[3]).toMatch(
      /^ {2}2026-11-23 06:05Z {2}stripe plan_apply blocked +scheduled sched-stripe-2026-11-23 {2}\[InvoiceDateTooNear; 2 change\(s\), 0 written\]$/,
    );
    expect(lines[4]).toBe('      InvoiceDateTooNear: next invoice is within 3 days');
    expect(lines).toHaveLength(5);
  });

  it('says so when there is no attempt', () => {
    expect(formatAccountReport(report({ attempts: [] }))).toContain(
      'Attempts (0, newest first):\n\nStripe dashboard:',
    );
  });

  it('lists the Stripe dashboard links, or says no customer is mapped', () => {
    expect(formatAccountReport(report())).toContain(
      'Stripe dashboard:\n' +
        '  customer     https://dashboard.stripe.com/test/customers/cus_1\n' +
        '  subscription https://dashboard.stripe.com/test/subscriptions/sub_1\n',
    );
    expect(formatAccountReport(report({ links: [] }))).toContain(
      'Stripe dashboard:\n  no Stripe customer mapped in subs-api\n',
    );
  });

  it('names the reads that failed right after the answer', () => {
    const lines = formatAccountReport(report({ problems: ['subs-api: subs-api_error — down'] })).split('\n');
    expect(lines.slice(2, 6)).toEqual([
      '',
      'Reads that failed (the answer uses what could be read):',
      '  subs-api: subs-api_error — down',
      '',
    ]);
    expect(formatAccountReport(report())).not.toContain('Reads that failed');
  });

  it('lists the halted runs', () => {
    const text = formatAccountReport(report({ halts: [halt] }));
    expect(text).toContain(
      'Nightly runs that halted lately:\n  sched-stripe-2026-11-25 (stripe): kill_switch — the kill switch was on\n',
    );
    expect(formatAccountReport(report())).not.toContain('halted lately');
  });

  it('lists the tickets that name the account, between the halts and the links', () => {
    const text = formatAccountReport(
      report({
        halts: [halt],
        tickets: [
          {
            key: 'BILL-1234',
            created: '2026-11-20T09:00:00.000+0000',
            atom: 'double_charge',
            molecule: 'billing_error',
            taxonomyVersion: 'v3',
          },
          {
            key: 'CUSTESC-7',
            created: '2026-11-18T09:00:00.000+0000',
            atom: 'refund_request',
            molecule: null,
            taxonomyVersion: 'v3',
          },
        ],
      }),
    );
    expect(text).toContain(
      'Tickets that name the account:\n' +
        '  BILL-1234      2026-11-20  billing_error · double_charge (v3)\n' +
        '  CUSTESC-7      2026-11-18  unclassified · refund_request (v3)\n',
    );
    const order = [
      'Nightly runs that halted lately:',
      'Tickets that name the account:',
      'Stripe dashboard:',
    ].map((h) => text.indexOf(h));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(formatAccountReport(report())).not.toContain('Tickets that name');
  });

  it('prints no live section unless asked', () => {
    expect(formatAccountReport(report())).not.toContain('Live plan');
  });

  it('prints the live plan: outcome, changes, sources time', () => {
    const p = plan(viewWith((v) => void (stripeItem(v).quantity = 4)));
    expect(p.outcome).toBe('changes');
    const text = formatAccountReport(
      report({ live: { plan: p, sources: [], asOf: '2026-11-24T12:00:05.000Z' } }),
    );
    const live = text.slice(text.indexOf('Live plan'));
    expect(live.split('\n')[0]).toBe('Live plan (every store read now, 2026-11-24T12:00:05.000Z):');
    expect(live).toContain(
      `  outcome changes: ${p.changes.length} change(s) to apply, 0 blocked, 0 dropped by a gate\n`,
    );
    for (const c of p.changes)
      expect(live).toContain(`  change ${c.id} ${c.kind} ${c.target.id} (${c.drift.join(', ')})\n`);
    expect(live).not.toContain('restriction ');
  });

  it('prints the restrictions that apply and the blocked changes of a blocked live plan', () => {
    const p = plan(
      viewWith((v) => {
        v.subsAccount.data.mergedAccountIds = ['acc_9'];
        stripeItem(v).quantity = 4;
      }),
    );
    expect(p.outcome).toBe('blocked');
    const live = formatAccountReport(
      report({ live: { plan: p, sources: [], asOf: '2026-11-24T12:00:05.000Z' } }),
    );
    expect(live).toContain(`0 change(s) to apply, ${p.blockedChanges.length} blocked`);
    const applying = p.restrictions.filter((r) => r.applies);
    expect(applying.map((r) => r.name)).toContain('MergedAccount');
    for (const r of applying) expect(live).toContain(`  restriction ${r.name}: ${r.reason}\n`);
    expect(live.match(/^ {2}restriction /gm)).toHaveLength(applying.length);
    for (const c of p.blockedChanges) expect(live).toContain(`  change ${c.id} ${c.kind} ${c.target.id}`);
  });

  it('prints what needs a human in a live plan', () => {
    const p = plan(viewWith((v) => void (opeItem(v).productId = 'prod_unpriced')));
    expect(p.outcome).toBe('needs_human');
    const live = formatAccountReport(
      report({ live: { plan: p, sources: [], asOf: '2026-11-24T12:00:05.000Z' } }),
    );
    for (const f of p.findings) expect(live).toContain(`  needs a human: ${f.kind}: ${f.detail}\n`);
  });

  it('says subs-api does not know the account live', () => {
    const text = formatAccountReport(
      report({ live: { plan: null, sources: [], asOf: '2026-11-24T12:00:05.000Z' } }),
    );
    expect(text).toMatch(
      /Live plan \(every store read now, 2026-11-24T12:00:05\.000Z\):\n {2}subs-api does not know the account\n$/,
    );
  });
});

function cli(view = healthyView()) {
  const f = fakeDeps(view);
  const close = vi.fn(async () => undefined);
  const adapters = { ...f.deps, env: {}, close } as unknown as Adapters;
  const adaptersOf = vi.fn(async () => adapters);
  const printed: string[] = [];
  const out: Out = { stdout: (s) => void printed.push(s), setExit: vi.fn() };
  const program = new Command('driftcontrol')
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  registerExplain(program, out, adaptersOf);
  const run = (...args: string[]) => program.parseAsync(['explain', ...args], { from: 'user' });
  return { f, close, adaptersOf, printed, run };
}

describe('driftcontrol explain', () => {
  it('prints the report as text, the sentence first, and closes the adapters', async () => {
    const c = cli();
    c.f.support.rows.push(older, newer);
    await c.run(ACCOUNT);
    const text = c.printed.join('');
    expect(text.split('\n')[0]).toMatch(
      /^Drift found on 2026-11-24 by a replay by .*; healed on 2026-11-24: 2 changes written to Stripe \(replay run replay-1\)\.$/,
    );
    expect(text).toContain('Attempts (2, newest first):');
    expect(text).toContain('  customer     https://dashboard.stripe.com/test/customers/cus_1');
    expect(text).not.toContain('Live plan');
    expect(c.close).toHaveBeenCalledTimes(1);
  });

  it('--json prints the whole report as parseable JSON', async () => {
    const c = cli();
    c.f.support.rows.push(older, newer);
    await c.run(ACCOUNT, '--json');
    const parsed = JSON.parse(c.printed.join('')) as AccountReport;
    expect(parsed.accountId).toBe(ACCOUNT);
    expect(parsed.explanation.sentence).toMatch(/healed on 2026-11-24/);
    expect(parsed.explanation.verdict).toBe('healed');
    expect(parsed.attempts).toHaveLength(2);
    expect(parsed.customerId).toBe('cus_1');
    expect(parsed.live).toBeNull();
    expect(c.close).toHaveBeenCalledTimes(1);
  });

  it('--live --json adds the live plan, read now, and writes nothing', async () => {
    const c = cli(viewWith((v) => void (stripeItem(v).quantity = 4)));
    await c.run(ACCOUNT, '--live', '--json');
    const parsed = JSON.parse(c.printed.join('')) as AccountReport;
    expect(parsed.live?.plan?.outcome).toBe('changes');
    expect(parsed.live?.sources.length).toBe(11);
    expect(parsed.explanation.sentence).toMatch(/Live now: drift, and the pipeline would apply 1 change\.$/);
    expect(c.f.stripe.writes).toEqual([]);
  });

  it('--live prints the live section as text', async () => {
    const c = cli();
    await c.run(ACCOUNT, '--live');
    const text = c.printed.join('');
    expect(text.split('\n')[0]).toBe(
      `No attempt on record for ${ACCOUNT}: no run has found it drifted. Live now: no drift — the stores agree.`,
    );
    expect(text).toContain('  outcome noop: 0 change(s) to apply, 0 blocked, 0 dropped by a gate');
  });

  it.each([
    { name: 'a leading space', id: ' acc_1' },
    { name: 'a trailing space', id: 'acc_1 ' },
    { name: 'an empty id', id: '' },
    { name: 'an id over 255 characters', id: 'a'.repeat(256) },
  ])('refuses $name clearly without touching the adapters', async ({ id }) => {
    const c = cli();
    const error = await c.run(id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).message).toBe(`not an account id: ${JSON.stringify(id)}`);
    expect((error as CliError).exitCode).toBe(1);
    expect(c.adaptersOf).not.toHaveBeenCalled();
    expect(c.printed).toEqual([]);
  });

  it('refuses a missing account argument (commander)', async () => {
    const c = cli();
    const error = await c.run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommanderError);
    expect((error as CommanderError).code).toBe('commander.missingArgument');
    expect(c.adaptersOf).not.toHaveBeenCalled();
  });

  it('fails when the audit cannot be read, and still closes the adapters', async () => {
    const c = cli();
    vi.spyOn(c.f.support, 'accountAttempts').mockRejectedValue(
      new UpstreamError('timeout', 'bigquery', true),
    );
    await expect(c.run(ACCOUNT)).rejects.toThrow('timeout');
    expect(c.close).toHaveBeenCalledTimes(1);
    expect(c.printed).toEqual([]);
  });
});
