import { describe, expect, it } from 'vitest';
import type { DriftLifecycle } from '../../../shared/core/lifecycle.js';
import { plan } from '../../../shared/core/planner.js';
import { AuditOutcome, type AuditRecord } from '../../../shared/domain/audit.js';
import { PlanOutcome } from '../../../shared/domain/plan.js';
import type { AuditInput } from '../../../shared/pipeline/audit.js';
import { UPSTREAM_SERVICES } from '../../../shared/ports/errors.js';
import {
  describeDrift,
  explainAccount,
  livePlanClause,
  type Verdict,
} from '../../../shared/support/explain.js';
import { REASON_CODES } from '../../../shared/support/reason-codes.js';
import { auditRowsFor, runContext } from '../../support/runs.js';
import { healthyView, stripeItem, viewWith } from '../../support/views.js';

const ACCOUNT = 'acc_0000001';
const run = runContext;
const row = auditRowsFor(ACCOUNT);
const explain = (attempts: AuditRecord[], extra: Partial<Parameters<typeof explainAccount>[0]> = {}) =>
  explainAccount({ accountId: ACCOUNT, attempts, ...extra });

const DRIFT = {
  account: ['status'],
  items: [{ key: 'ope_1', class: 'expected_in_stripe', drift: ['price'] }],
};

/** One row per outcome as the pipeline writes it, with the verdict and words the answer must carry. */
const BY_OUTCOME: Record<AuditOutcome, { row: AuditRecord; verdict: Verdict; says: RegExp }> = {
  applied: {
    row: row({ outcome: 'applied', stripeWrites: 2, result: { drift: DRIFT } }),
    verdict: 'healed',
    says: /^New drift on 2026-11-24 \(price on 1 item, status\); healed on 2026-11-24: 2 changes written to Stripe \(scheduled run sched-stripe-2026-11-24\)\.$/,
  },
  noop: {
    row: row({ outcome: 'noop' }),
    verdict: 'no_drift',
    says: /nothing to heal on 2026-11-24: Stripe already matched/,
  },
  blocked: {
    row: row({
      outcome: 'blocked',
      restrictions: ['InvoiceDateTooNear'],
      reason:
        'InvoiceDateTooNear: next invoice in 42 hours (2026-11-26T00:00:00.000Z), within the limit of 3 days',
      result: {
        drift: DRIFT,
        restrictions: [
          {
            name: 'InvoiceDateTooNear',
            reason: 'next invoice in 42 hours (2026-11-26T00:00:00.000Z), within the limit of 3 days',
          },
        ],
      },
    }),
    verdict: 'not_healed',
    says: /^New drift on 2026-11-24 \(price on 1 item, status\); not healed: blocked on 2026-11-24 by InvoiceDateTooNear — next invoice in 42 hours \(2026-11-26T00:00:00.000Z\), within the limit of 3 days\.$/,
  },
  needs_human: {
    row: row({
      outcome: 'needs_human',
      result: {
        findings: [{ kind: 'missing_price', detail: 'OPE item ope_9 has no price in billing_prod' }],
      },
    }),
    verdict: 'needs_human',
    says: /not healed: needs a human \(2026-11-24\) — OPE item ope_9 has no price in billing_prod/,
  },
  dry_run: {
    row: row({ outcome: 'dry_run', result: { changes: [{ id: 'chg_1' }, { id: 'chg_2' }] } }),
    verdict: 'not_healed',
    says: /not healed: dry-run was on \(2026-11-24\), it would have applied 2 changes/,
  },
  halted: {
    row: row({ outcome: 'halted', errorCode: 'kill_switch' }),
    verdict: 'not_healed',
    says: /not healed: the kill switch was on/,
  },
  excluded: {
    row: row({ stage: 'detect', outcome: 'excluded', errorCode: 'cooldown' }),
    verdict: 'not_attempted',
    says: /not attempted \(2026-11-24\): the account was healed recently and is in its cooldown/,
  },
  stale: {
    row: row({ outcome: 'stale', errorCode: 'stale_plan' }),
    verdict: 'not_healed',
    says: /not healed \(2026-11-24\): Stripe changed between gather and apply/,
  },
  published: {
    row: row({ stage: 'gather', outcome: 'published' }),
    verdict: 'in_progress',
    says: /in progress: gather handed it on at .* and no final outcome is recorded yet/,
  },
  failed: {
    row: row({ outcome: 'failed', errorCode: 'stripe_resource_missing', reason: 'No such subscription' }),
    verdict: 'not_healed',
    says: /not healed: plan-apply failed on 2026-11-24 because a Stripe call failed \(resource_missing\)/,
  },
};

describe('explainAccount: one sentence per outcome', () => {
  it('has a case for every outcome the audit can hold', () => {
    expect(Object.keys(BY_OUTCOME).sort()).toEqual([...AuditOutcome.options].sort());
  });

  it.each(AuditOutcome.options)('%s', (outcome) => {
    const { row: r, verdict, says } = BY_OUTCOME[outcome];
    const e = explain([r]);
    expect(e.verdict).toBe(verdict);
    expect(e.sentence).toMatch(says);
    expect(e.sentence.endsWith('.')).toBe(true);
    expect(e.decisive?.row_id).toBe(r.row_id);
    expect(e.action.length).toBeGreaterThan(5);
  });
});

/** Every code with the outcome the pipeline writes it under (failures for the rest). */
const OUTCOME_OF_CODE: Record<string, AuditOutcome> = {
  kill_switch: 'halted',
  mirror_not_landed: 'halted',
  mirror_incomplete: 'halted',
  mirror_too_small: 'halted',
  mirror_count_jump: 'halted',
  empty_new_drift: 'halted',
  blast_radius_count: 'halted',
  blast_radius_share: 'halted',
  persistent_drift: 'excluded',
  unsupported_account_type: 'excluded',
  excluded: 'excluded',
  cooldown: 'excluded',
  run_cap: 'excluded',
  lease_held: 'excluded',
  mirror_drift_not_live: 'noop',
  as_of_view: 'dry_run',
  stale_view: 'stale',
  truth_moved: 'stale',
  stale_plan: 'stale',
  foreign_object: 'stale',
};

describe('explainAccount: every reason code', () => {
  const codes = [
    ...Object.keys(REASON_CODES),
    ...UPSTREAM_SERVICES.map((s) => `${s}_error`),
    'stripe_card_declined',
  ];
  it.each(codes)('%s', (code) => {
    const outcome = OUTCOME_OF_CODE[code] ?? 'failed';
    const e = explain([row({ outcome, errorCode: code, reason: `raw reason for ${code}` })]);
    const meaning = (REASON_CODES as Record<string, { meaning: string }>)[code]?.meaning;
    if (meaning !== undefined) expect(e.sentence).toContain(meaning);
    else
      expect(e.sentence).toMatch(
        code.startsWith('stripe_') ? /a Stripe call failed \(card_declined\)/ : /failed or was unavailable/,
      );
    expect(e.code).toBe(code);
    expect(e.sentence).not.toContain('raw reason');
  });

  it('falls back to the row reason for a code it does not know, never to nothing', () => {
    const e = explain([
      row({ outcome: 'failed', errorCode: 'brand_new_code', reason: 'something new broke' }),
    ]);
    expect(e.sentence).toContain('something new broke');
  });
});

describe('explainAccount: which attempt decides', () => {
  it('says in progress while a retried failure is the newest word, and healed once the retry applies', () => {
    const published = row({ stage: 'detect', outcome: 'published' });
    const retrying = row({
      outcome: 'failed',
      errorCode: 'subs-api_error',
      willRetry: true,
      attemptKey: 'm1',
    });
    const inFlight = explain([published, retrying]);
    expect(inFlight.verdict).toBe('in_progress');
    expect(inFlight.sentence).toMatch(
      /not healed yet: plan-apply failed on 2026-11-24 because subs-api failed or was unavailable, and will be retried/,
    );
    const applied = row({ outcome: 'applied', stripeWrites: 1 });
    expect(explain([applied, retrying, published]).verdict).toBe('healed');
  });

  it('says in progress when a newer run handed the account on after an older final word', () => {
    const old = row({ outcome: 'blocked', restrictions: ['InvalidPaymentMethod'], reason: 'no card' });
    const next = row({
      stage: 'detect',
      outcome: 'published',
      run: run({ runId: 'sched-stripe-2026-11-25', snapshotDate: '2026-11-25' }),
    });
    const e = explain([next, old]);
    expect(e.verdict).toBe('in_progress');
    expect(e.sentence).toContain('sched-stripe-2026-11-25');
  });

  it('ignores rows of other accounts', () => {
    const other = row({ outcome: 'applied', accountId: 'acc_other', stripeWrites: 1 });
    expect(explain([other]).verdict).toBe('no_record');
  });

  it('says persistent drift since the lifecycle first saw it', () => {
    const lifecycle: DriftLifecycle = {
      status: 'persistent',
      signature: 'abc',
      firstSeenAt: '2026-11-02T06:00:00.000Z',
      lastSeenAt: '2026-11-24T06:00:00.000Z',
      healedAt: null,
      attempts: 9,
      lastOutcome: 'blocked',
      lastRunId: 'sched-stripe-2026-11-24',
      lastTrigger: 'scheduled',
    };
    const e = explain([row({ stage: 'detect', outcome: 'excluded', errorCode: 'persistent_drift' })], {
      lifecycle: { stripe: lifecycle },
    });
    expect(e.sentence).toMatch(
      /^Persistent drift since 2026-11-02; not attempted .*only new drift is healed automatically\.$/,
    );
  });

  it('names the zone for WWW drift and says a resync healed it', () => {
    const e = explain([
      row({
        stage: 'www_resync',
        outcome: 'applied',
        zoneId: 'zone_1',
        run: run({ system: 'www', runId: 'sched-www-2026-11-24' }),
      }),
    ]);
    expect(e.sentence).toMatch(
      /^New WWW drift on zone zone_1 on 2026-11-24; healed on 2026-11-24: www resynced from subs-api/,
    );
  });

  it('adds that a later nightly run halted, from the halts it is given', () => {
    const blocked = row({ outcome: 'blocked', restrictions: ['MergedAccount'], reason: 'merged' });
    const halt = row({
      stage: 'detect',
      outcome: 'halted',
      accountId: null,
      errorCode: 'blast_radius_count',
      run: run({ runId: 'sched-stripe-2026-11-25', snapshotDate: '2026-11-25' }),
    });
    const e = explain([blocked], { halts: [halt] });
    expect(e.sentence).toMatch(
      / Since then the scheduled run of 2026-11-25 halted: the run found more new drift than the blast-radius limit allows/,
    );
    expect(explain([blocked], { halts: [{ ...halt, system: 'www' }] }).sentence).not.toContain('Since then');
  });

  it('says there is no record, and what is live when asked', () => {
    const e = explain([]);
    expect(e).toMatchObject({ verdict: 'no_record', decisive: null });
    expect(e.sentence).toBe(`No attempt on record for ${ACCOUNT}: no run has found it drifted.`);
    expect(explain([], { livePlan: null }).sentence).toContain(
      'Live now: subs-api does not know the account.',
    );
  });
});

describe('livePlanClause', () => {
  const noop = plan(healthyView(), { invoiceDateTooNearDays: 0 });
  const changes = plan(
    viewWith((v) => {
      stripeItem(v, 1).quantity = 7;
    }),
    { invoiceDateTooNearDays: 0 },
  );

  it('has a case for every plan outcome', () => {
    const cases = { noop, changes } as Record<string, ReturnType<typeof plan>>;
    for (const outcome of PlanOutcome.options)
      if (cases[outcome])
        expect(livePlanClause(cases[outcome] as ReturnType<typeof plan>)).toMatch(/^Live now: /);
    expect(livePlanClause(noop)).toBe('Live now: no drift — the stores agree.');
    expect(livePlanClause(changes)).toMatch(/^Live now: drift, and the pipeline would apply \d+ change/);
    expect(
      livePlanClause({
        ...changes,
        outcome: 'blocked',
        restrictions: [
          { name: 'InvoiceDateTooNear', effect: 'blocks_plan', applies: true, reason: 'soon', evidence: {} },
        ],
      }),
    ).toBe('Live now: drift, blocked by InvoiceDateTooNear — soon.');
    expect(
      livePlanClause({
        ...changes,
        outcome: 'needs_human',
        findings: [
          {
            kind: 'currency',
            opeSubscriptionId: null,
            stripeSubscriptionId: null,
            elementKeys: [],
            detail: 'EUR vs USD',
          },
        ],
      }),
    ).toBe('Live now: drift that needs a human — EUR vs USD.');
  });
});

describe('describeDrift', () => {
  it.each([
    [{ drift: { account: [], items: [] } }, null],
    [{}, null],
    [{ drift: { account: ['bad_debt_flag'], items: [] } }, 'bad debt flag'],
    [
      { drift: { account: [], items: [{ drift: ['price', 'quantity'] }, { drift: ['quantity'] }] } },
      'price on 1 item, quantity on 2 items',
    ],
    [{ drift: { account: 'nonsense', items: 'nonsense' } }, null],
  ])('%j -> %s', (result, expected) => {
    expect(describeDrift(result as Record<string, unknown>)).toBe(expected);
  });
});

describe('explainAccount: each system and zone, and checks that only looked', () => {
  const www = (over: Partial<AuditInput> & Pick<AuditInput, 'outcome'>) =>
    row({
      stage: 'www_resync',
      zoneId: 'zone_1',
      run: run({ system: 'www', runId: 'sched-www-2026-11-24' }),
      ...over,
    });

  it('answers for Stripe first and adds each zone, never letting a later WWW row hide a Stripe block', () => {
    const blocked = row({ outcome: 'blocked', restrictions: ['InvalidPaymentMethod'], reason: 'no card' });
    const zone = www({ outcome: 'noop' });
    const e = explain([blocked, zone]);
    expect(e.decisive?.row_id).toBe(blocked.row_id);
    expect(e.verdict).toBe('not_healed');
    expect(e.sentence).toMatch(
      /; not healed: blocked on 2026-11-24 by InvalidPaymentMethod .* WWW zone zone_1: nothing to heal on 2026-11-24: www already matched subs-api\.$/,
    );
  });

  it('speaks of www, not Stripe, for WWW rows', () => {
    expect(explain([www({ outcome: 'noop' })]).sentence).toBe(
      'Checked WWW drift on zone zone_1; nothing to heal on 2026-11-24: www already matched subs-api.',
    );
    expect(explain([www({ outcome: 'dry_run' })]).sentence).toMatch(/it would have resynced the zone\.$/);
    expect(explain([www({ outcome: 'applied' })]).action).toMatch(/www now holds/);
  });

  it('takes a heal over a later dry-run replay or as-of view, and names the replay when it is all there is', () => {
    const applied = row({ outcome: 'applied', stripeWrites: 1 });
    const preview = row({
      outcome: 'dry_run',
      run: run({ runId: 'replay-1', trigger: 'replay', requestedBy: 'ops@example.com', dryRun: true }),
      result: { changes: [{ id: 'chg_1' }] },
    });
    const asOf = row({
      outcome: 'dry_run',
      errorCode: 'as_of_view',
      run: run({ runId: 'replay-2', trigger: 'replay', requestedBy: 'ops@example.com' }),
    });
    expect(explain([applied, preview, asOf]).verdict).toBe('healed');
    const only = explain([preview]);
    expect(only.sentence).toMatch(
      /not healed: a dry-run replay by ops@example\.com on 2026-11-24 would have applied 1 change\.$/,
    );
    expect(only.action).toMatch(/--apply/);
  });

  it("keeps the run's furthest stage as its word when an earlier stage's row lands after it", () => {
    const detect = row({ stage: 'detect', outcome: 'published' });
    const final = row({ outcome: 'blocked', restrictions: ['MergedAccount'], reason: 'merged' });
    // gather crashed after publishing and before auditing: its redelivery audits after plan-apply's word.
    const republished = row({ stage: 'gather', outcome: 'published' });
    const e = explain([detect, final, republished]);
    expect(e.decisive?.row_id).toBe(final.row_id);
    expect(e.verdict).toBe('not_healed');
  });

  it('says a retry that never came may be in the dead letters', () => {
    const retrying = row({
      outcome: 'failed',
      errorCode: 'subs-api_error',
      willRetry: true,
      attemptKey: 'x',
    });
    const soon = new Date(Date.parse(retrying.finished_at) + 3_600_000).toISOString();
    const late = new Date(Date.parse(retrying.finished_at) + 7 * 3_600_000).toISOString();
    expect(explain([retrying], { now: soon }).verdict).toBe('in_progress');
    const lost = explain([retrying], { now: late });
    expect(lost.verdict).toBe('not_healed');
    expect(lost.sentence).toMatch(/and no retry is recorded since\.$/);
    expect(lost.action).toMatch(/dead letters/);
  });

  it('does not claim drift for a check that ended before seeing any', () => {
    const cooled = row({
      stage: 'gather',
      outcome: 'excluded',
      errorCode: 'cooldown',
      run: run({ runId: 'event-1', trigger: 'event' }),
    });
    expect(explain([cooled]).sentence).toMatch(
      /^An event-triggered check on 2026-11-24; not attempted \(2026-11-24\): the account was healed recently/,
    );
    const replayed = row({
      stage: 'gather',
      outcome: 'failed',
      errorCode: 'unknown_account',
      run: run({ runId: 'replay-9', trigger: 'replay', requestedBy: 'ops@example.com' }),
    });
    expect(explain([replayed]).sentence).toMatch(
      /^A replay by ops@example\.com on 2026-11-24; not healed: gather failed/,
    );
  });

  it('says a nightly run halted when the account has no row at all', () => {
    const halt = row({
      stage: 'detect',
      outcome: 'halted',
      accountId: null,
      errorCode: 'blast_radius_share',
    });
    const e = explain([], { halts: [halt] });
    expect(e.verdict).toBe('no_record');
    expect(e.sentence).toMatch(
      /no run has found it drifted\. The scheduled run of 2026-11-24 halted: the run found a larger share/,
    );
  });
});
