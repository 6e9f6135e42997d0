import type { BigQuery } from '@google-cloud/bigquery';
import type { RunContext } from '../../shared/contracts/messages.js';
import { AUDIT_TABLE, DATASETS } from '../../shared/contracts/topology.js';
import type { AuditRecord, DriftSystem } from '../../shared/domain/audit.js';
import type { RestrictionName } from '../../shared/domain/plan.js';
import { type AuditInput, auditRecord } from '../../shared/pipeline/audit.js';
import { Rng } from './prng.js';

/**
 * Synthetic audit history: the rows earlier nightly runs would have left, day by day, built with the
 * pipeline's own row builder (auditRecord) so they have the production shape and ids. The console's
 * trends page, its screenshots and its benchmark (100k rows) need weeks of history a one-night local run
 * cannot give. Accounts are `acc_9…` (never the synthetic world's), so a real local run's accounts keep
 * their own story. Deterministic per seed.
 */

export interface AuditHistoryOptions {
  /** Days of runs, ending the day before `beforeDate`. */
  readonly days: number;
  /** The first day not generated (YYYY-MM-DD): usually the local run's snapshot date. */
  readonly beforeDate: string;
  /** New-drift accounts per Stripe run, about (WWW runs get a fifth as many zones). */
  readonly accountsPerDay: number;
  readonly seed?: number;
  /** Days with no synthetic night: the local run's own snapshot date, whose run ids are the real run's. */
  readonly skipDates?: readonly string[];
}

const RESTRICTIONS: readonly (readonly [RestrictionName, number])[] = [
  ['InvoiceDateTooNear', 40],
  ['InvalidPaymentMethod', 22],
  ['MergedAccount', 12],
  ['NoStripeCustomer', 10],
  ['UnsupportedAccountType', 6],
  ['BadDebtDriftRemediation', 6],
  ['InvoiceMetadataRemediation', 4],
];

const RESTRICTION_REASON: Record<RestrictionName, string> = {
  InvoiceDateTooNear: 'next invoice is within 3 days',
  InvalidPaymentMethod: 'no default payment method and 1 change(s) raise what the customer pays',
  MergedAccount: 'the Stripe customer is shared with a merged account',
  NoStripeCustomer: 'subs_customer maps the account to no Stripe customer',
  UnsupportedAccountType: 'unsupported account type: msp (managed service provider account)',
  BadDebtDriftRemediation: 'BadDebtDriftRemediation gate is off: 1 change dropped',
  InvoiceMetadataRemediation: 'InvoiceMetadataRemediation gate is off: 1 change dropped',
};

type Heal = 'applied' | 'blocked' | 'needs_human' | 'noop' | 'stale' | 'retried' | 'failed';
const HEALS: readonly (readonly [Heal, number])[] = [
  ['applied', 46],
  ['blocked', 30],
  ['needs_human', 7],
  ['noop', 6],
  ['stale', 4],
  ['retried', 4],
  ['failed', 3],
];
const DRIFT_KINDS = ['price', 'quantity', 'missing_item', 'extra_item', 'interval'] as const;

function dayOffset(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

export function syntheticAuditHistory(options: AuditHistoryOptions): AuditRecord[] {
  const rng = new Rng(options.seed ?? 7);
  const rows: AuditRecord[] = [];
  let nextAccount = 9_000_001;
  for (let d = options.days; d >= 1; d--) {
    const day = dayOffset(options.beforeDate, -d);
    if (options.skipDates?.includes(day)) continue;
    for (const system of ['stripe', 'www'] as const satisfies readonly DriftSystem[]) {
      const run: RunContext = {
        runId: `sched-${system}-${day}`,
        system,
        snapshotDate: day,
        trigger: 'scheduled',
        requestedBy: null,
        dryRun: false,
      };
      let clock = Date.parse(`${day}T06:00:00Z`) + rng.int(0, 600) * 1000;
      const at = (gapMs: number) => {
        clock += gapMs;
        return new Date(clock);
      };
      const emit = (input: Omit<AuditInput, 'run' | 'startedAt' | 'finishedAt'>, gapMs = 150) => {
        const started = at(gapMs);
        rows.push(auditRecord({ run, startedAt: started, finishedAt: at(rng.int(20, 400)), ...input }));
      };
      // About one night in twenty halts on the blast radius: nothing is checked.
      if (system === 'stripe' && rng.chance(0.05)) {
        emit({
          stage: 'detect',
          outcome: 'halted',
          errorCode: 'blast_radius_count',
          reason: `${options.accountsPerDay * 9} new-drift accounts exceed the limit of ${options.accountsPerDay * 5}`,
        });
        continue;
      }
      const newDrift = Math.max(
        1,
        Math.round((options.accountsPerDay * (0.7 + rng.next() * 0.6)) / (system === 'www' ? 5 : 1)),
      );
      const persistent = Math.round(newDrift * (0.3 + rng.next() * 0.4));
      for (let i = 0; i < persistent; i++) {
        const accountId = `acc_${nextAccount++}`;
        emit({
          stage: 'detect',
          outcome: 'excluded',
          accountId,
          ...(system === 'www' ? { zoneId: `zone_${accountId.slice(4)}` } : {}),
          errorCode: rng.chance(0.9) ? 'persistent_drift' : 'unsupported_account_type',
          reason: 'drift in both snapshots',
        });
      }
      for (let i = 0; i < newDrift; i++) {
        const accountId = `acc_${nextAccount++}`;
        const zoneId = system === 'www' ? `zone_${accountId.slice(4)}` : null;
        emit({ stage: 'detect', outcome: 'published', accountId, zoneId, reason: 'new drift' }, 40);
        if (system === 'www') {
          const ok = rng.chance(0.9);
          emit({
            stage: 'www_resync',
            outcome: ok ? 'applied' : 'failed',
            accountId,
            zoneId,
            ...(ok ? {} : { errorCode: 'missing_in_www', reason: `www has no zone ${zoneId}` }),
          });
          continue;
        }
        emit({
          stage: 'gather',
          outcome: 'published',
          accountId,
          reason: 'account view gathered from the live stores',
        });
        const kind = rng.pick(DRIFT_KINDS);
        const drift = {
          account: [],
          items: [{ key: `ope_${accountId}`, class: 'expected_in_stripe', drift: [kind] }],
        };
        const changes = [
          {
            id: `chg_${accountId.slice(4).padStart(20, '0')}`,
            target: `sub_${accountId.slice(4)}`,
            drift: [kind],
          },
        ];
        const heal = rng.weighted(HEALS);
        if (heal === 'applied' || heal === 'retried') {
          if (heal === 'retried')
            emit({
              stage: 'plan_apply',
              outcome: 'failed',
              accountId,
              errorCode: 'stripe_rate_limit',
              reason: 'Stripe call failed: rate limited (will retry)',
              willRetry: true,
              attemptKey: 'm1',
            });
          emit({
            stage: 'plan_apply',
            outcome: 'applied',
            accountId,
            changeIds: changes.map((c) => c.id),
            stripeWrites: 1,
            reason: 'applied 1 change(s)',
            result: { drift, changes },
          });
        } else if (heal === 'blocked') {
          const first = rng.weighted(RESTRICTIONS);
          const second = rng.chance(0.15) ? rng.weighted(RESTRICTIONS) : first;
          const names = [...new Set([first, second])];
          emit({
            stage: 'plan_apply',
            outcome: 'blocked',
            accountId,
            restrictions: names,
            reason: names.map((n) => `${n}: ${RESTRICTION_REASON[n]}`).join('; '),
            result: { drift, restrictions: names.map((n) => ({ name: n, reason: RESTRICTION_REASON[n] })) },
          });
        } else if (heal === 'needs_human') {
          const detail = `OPE item ope_${accountId} has no price in billing_prod`;
          emit({
            stage: 'plan_apply',
            outcome: 'needs_human',
            accountId,
            reason: detail,
            result: { drift, findings: [{ kind: 'missing_price', detail }] },
          });
        } else if (heal === 'noop') {
          emit({
            stage: 'plan_apply',
            outcome: 'noop',
            accountId,
            errorCode: 'mirror_drift_not_live',
            reason: `drift in the mirror of ${day}, not in the live stores: nothing to do`,
          });
        } else if (heal === 'stale') {
          emit({
            stage: 'plan_apply',
            outcome: 'stale',
            accountId,
            errorCode: 'stale_plan',
            reason: 'Stripe changed since gather',
          });
        } else {
          emit({
            stage: 'plan_apply',
            outcome: 'failed',
            accountId,
            errorCode: 'invalid_store_data',
            reason: "the stores' records do not make a valid account view",
          });
        }
      }
      emit({ stage: 'detect', outcome: 'published', reason: `run summary: ${newDrift} new drift` });
    }
  }
  return rows;
}

/** Streams the rows into the audit table through the real client (insertId = row_id), in chunks. */
export async function insertAuditHistory(
  bq: BigQuery,
  rows: readonly AuditRecord[],
  chunk = 5000,
): Promise<void> {
  const table = bq.dataset(DATASETS.audit).table(AUDIT_TABLE);
  for (let i = 0; i < rows.length; i += chunk)
    await table.insert(
      rows.slice(i, i + chunk).map((r) => ({ insertId: r.row_id, json: r })),
      { raw: true },
    );
}
